//! Today's visit. Check-in at the front desk opens the patient's visit for today (once); what a
//! clinician records now — vitals, prescriptions — is filed under it, never under a visit of an
//! earlier day, whatever the window had selected.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::{japan_time, Clinic};
use crate::changelog::OpenBody;
use crate::domain::validation::{Field, Problem};
use crate::domain::{Encounter, EncounterKind};
use crate::{Error, Result};

impl Clinic {
    /// The encounter to file something measured or issued now under: the one the caller named
    /// (which must be this patient's and today's), or else today's visit if one is open.
    pub(super) fn visit_for_now(&self, patient_id: Uuid, named: Option<Uuid>) -> Result<Option<Uuid>> {
        let Some(id) = named else {
            return Ok(todays_encounter(self.conn()?, patient_id, self.today())?.map(|e| e.id));
        };
        let encounter = self.load_encounter(id)?;
        if encounter.patient_id != patient_id {
            return Err(Error::invalid(Field::Encounter, Problem::OtherPatientsVisit));
        }
        if jst_date(encounter.started_at) != self.today() {
            return Err(Error::invalid(Field::Encounter, Problem::EarlierDaysVisit));
        }
        Ok(Some(id))
    }

    /// The change that opens today's visit for `patient_id` at check-in, unless one is open.
    pub(super) fn todays_visit_opening(&self, patient_id: Uuid) -> Result<Option<OpenBody>> {
        if todays_encounter(self.conn()?, patient_id, self.today())?.is_some() {
            return Ok(None);
        }
        Ok(Some(OpenBody::EncounterOpened(Encounter {
            id: self.new_id()?,
            patient_id,
            kind: EncounterKind::Outpatient,
            started_at: self.now(),
            clinician: self.user.name.clone(),
        })))
    }
}

/// The newest of the patient's encounters that started on `today` (Japan time).
pub(super) fn todays_encounter(conn: &Connection, patient_id: Uuid, today: NaiveDate) -> Result<Option<Encounter>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM encounters WHERE patient_id = ?1")?;
    let bodies = stmt.query_map([patient_id.to_string()], |row| row.get::<_, String>(0))?;
    let mut newest: Option<Encounter> = None;
    for body in bodies {
        let encounter: Encounter = serde_json::from_str(&body?)
            .map_err(|_| Error::InvalidState("a stored encounter is unreadable; run `mamori store rebuild`"))?;
        let later = newest.as_ref().is_none_or(|n| (encounter.started_at, encounter.id) > (n.started_at, n.id));
        if jst_date(encounter.started_at) == today && later {
            newest = Some(encounter);
        }
    }
    Ok(newest)
}

/// The encounter among `encounters` that is today's visit (the newest started today, JST).
pub(super) fn todays_among(encounters: &[Encounter], today: NaiveDate) -> Option<Uuid> {
    encounters.iter().filter(|e| jst_date(e.started_at) == today).max_by_key(|e| (e.started_at, e.id)).map(|e| e.id)
}

fn jst_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&japan_time()).date_naive()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn encounter(id: u128, at: DateTime<Utc>) -> Encounter {
        Encounter {
            id: Uuid::from_u128(id),
            patient_id: Uuid::nil(),
            kind: EncounterKind::Outpatient,
            started_at: at,
            clinician: "doctor".into(),
        }
    }

    #[test]
    fn today_is_the_japanese_calendar_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        // 23:30 UTC on the 28th is 08:30 on the 29th in Japan; 15:30 UTC on the 29th is already the 30th.
        let early = encounter(1, Utc.with_ymd_and_hms(2026, 11, 28, 23, 30, 0).single().expect("time"));
        let nine_days_ago = encounter(2, Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).single().expect("time"));
        let tomorrow = encounter(3, Utc.with_ymd_and_hms(2026, 11, 29, 15, 30, 0).single().expect("time"));
        assert_eq!(todays_among(&[nine_days_ago.clone(), early.clone(), tomorrow.clone()], today), Some(early.id));
        assert_eq!(todays_among(&[nine_days_ago, tomorrow], today), None);
    }
}
