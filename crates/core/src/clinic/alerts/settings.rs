//! What an administrator tells the detector about the clinic, kept as clinic-wide settings in the
//! change log (so every device's detector knows it): opening hours and holidays, the on-call and
//! cover roster, and staff members' optional profiles (surname, home town and block). The values
//! hold staff members' own details: the audit log names the setting, never its value.

use mamori_detect::context::{ClinicHours, Shift, ShiftKind};
use rusqlite::{Connection, OptionalExtension};

use super::verified;
use crate::changelog::AuthorKeys;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use ts_rs::TS;

use crate::changelog::OpenBody;
use crate::clinic::Clinic;
use crate::domain::kana::nfkc_compact;
use crate::domain::validation::{bounded_text, Checker, Field, Problem};
use crate::policy::{Access, Section};
use crate::{Error, Result};

/// Every detection setting's key starts so.
pub const SETTING_PREFIX: &str = "detection.";
/// Staff records (training, reviews of the access log) start so (`clinic/staff_records.rs`).
pub const RECORDS_PREFIX: &str = "records.";

/// Whether a setting's value stays out of the audit log (it describes staff members).
pub fn value_kept_private(key: &str) -> bool {
    key.starts_with(SETTING_PREFIX) || key.starts_with(RECORDS_PREFIX)
}
const HOURS: &str = "detection.clinic_hours";
const ROSTER: &str = "detection.roster";
/// One key per staff member, so two administrators editing two profiles offline lose neither.
const PROFILE: &str = "detection.staff_profile.";

/// A staff member's optional profile: what the same-surname and same-neighbourhood rules compare
/// with patients' charts. Empty fields keep those rules quiet for this member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StaffProfile {
    pub user: String,
    pub surname: Option<String>,
    pub surname_kana: Option<String>,
    /// 町名 as an address writes it (下馬), and the 丁目 (3).
    pub home_town: Option<String>,
    pub home_block: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct DetectionSettings {
    pub clinic_hours: Option<ClinicHours>,
    pub roster: Vec<Shift>,
    pub staff_profiles: Vec<StaffProfile>,
}

impl DetectionSettings {
    /// The settings as administrators' signed changes put them (`verified.rs`); a value that
    /// does not parse is left out.
    pub(crate) fn read(conn: &Connection, authors: &dyn AuthorKeys) -> Result<Self> {
        let values = verified::settings(conn, authors, SETTING_PREFIX)?;
        Ok(Self {
            clinic_hours: one(&values, HOURS),
            roster: one(&values, ROSTER).unwrap_or_default(),
            staff_profiles: parsed(&values, PROFILE),
        })
    }
}

fn one<T: DeserializeOwned>(values: &[(String, String)], key: &str) -> Option<T> {
    values.iter().find(|(k, _)| k == key).and_then(|(_, v)| serde_json::from_str(v).ok())
}

/// Every verified setting under `prefix` that parses, in key order.
pub(crate) fn prefixed<T: DeserializeOwned>(
    conn: &Connection,
    authors: &dyn AuthorKeys,
    prefix: &str,
) -> Result<Vec<T>> {
    Ok(parsed(&verified::settings(conn, authors, prefix)?, prefix))
}

fn parsed<T: DeserializeOwned>(values: &[(String, String)], prefix: &str) -> Vec<T> {
    values.iter().filter(|(key, _)| key.starts_with(prefix)).filter_map(|(_, v)| serde_json::from_str(v).ok()).collect()
}

impl Clinic {
    /// The detector's settings as stored (admin only).
    pub fn detection_settings(&mut self) -> Result<(ClinicHours, Vec<Shift>, Vec<StaffProfile>)> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let settings = DetectionSettings::read(self.conn()?, &self.keys()?.membership)?;
        Ok((settings.clinic_hours.unwrap_or_default(), settings.roster, settings.staff_profiles))
    }

    /// Sets the clinic's opening hours and holidays (admin only). Each day's hours name a weekday
    /// (0 = Monday) and close after they open; the offset is a real one (UTC−12 to UTC+14).
    pub fn set_clinic_hours(&mut self, hours: &ClinicHours) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let mut checks = Checker::new();
        if !(-720..=840).contains(&hours.utc_offset_minutes) {
            checks.add(Field::UtcOffset, Problem::OutOfRange { min: -720.0, max: 840.0 });
        }
        for (i, day) in hours.hours.iter().enumerate() {
            let problem = if day.weekday >= 7 {
                Problem::UnknownChoice
            } else if day.open >= day.close {
                Problem::RangeReversed
            } else {
                continue;
            };
            checks.add_in_item(i + 1, Field::ClinicHours, problem);
        }
        checks.finish()?;
        let mut cleaned = hours.clone();
        cleaned.holidays.sort_unstable();
        cleaned.holidays.dedup();
        self.put_setting(HOURS, &cleaned)
    }

    /// Replaces the on-call and cover roster (admin only). Each shift names a user of the
    /// clinic, ends after it starts, and a cover names whose patients (someone else's).
    pub fn set_roster(&mut self, roster: &[Shift]) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let mut checks = Checker::new();
        for (i, shift) in roster.iter().enumerate() {
            self.known_user(&shift.user)?;
            if shift.to <= shift.from {
                checks.add_in_item(i + 1, Field::Shift, Problem::RangeReversed);
            }
            match (&shift.kind, &shift.covers) {
                (ShiftKind::Cover, Some(covered)) if *covered == shift.user => {
                    checks.add_in_item(i + 1, Field::Covers, Problem::UnknownChoice);
                }
                (ShiftKind::Cover, Some(covered)) => self.known_user(covered)?,
                (ShiftKind::Cover, None) => checks.add_in_item(i + 1, Field::Covers, Problem::Required),
                (ShiftKind::OnCall, _) => {}
            }
        }
        checks.finish()?;
        self.put_setting(ROSTER, &roster)
    }

    /// Sets one staff member's profile (admin only); the others stay as they were.
    pub fn set_staff_profile(&mut self, profile: &StaffProfile) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.known_user(&profile.user)?;
        let word = |field, text: &Option<String>| -> Result<Option<String>> {
            let text = text.as_deref().map(nfkc_compact).unwrap_or_default();
            Ok(if text.is_empty() { None } else { Some(bounded_text(field, &text, 40)?) })
        };
        let cleaned = StaffProfile {
            user: profile.user.clone(),
            surname: word(Field::FamilyName, &profile.surname)?,
            surname_kana: word(Field::FamilyKana, &profile.surname_kana)?,
            home_town: word(Field::Address, &profile.home_town)?,
            home_block: word(Field::Address, &profile.home_block)?,
        };
        self.put_setting(&format!("{PROFILE}{}", cleaned.user), &cleaned)
    }

    pub(crate) fn known_user(&self, name: &str) -> Result<()> {
        let known: Option<String> =
            self.conn()?.query_row("SELECT name FROM users WHERE name = ?1", [name], |r| r.get(0)).optional()?;
        known.map(|_| ()).ok_or_else(|| Error::NotFound { what: "user", id: name.to_string() })
    }

    pub(crate) fn put_setting(&mut self, key: &str, value: &impl Serialize) -> Result<()> {
        let value = serde_json::to_string(value)
            .map_err(|_| Error::InvalidState("a detection setting could not be encoded"))?;
        self.commit(OpenBody::SettingChanged { key: key.into(), value })
    }
}
