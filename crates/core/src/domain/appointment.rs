//! Appointments and check-in at the front desk (受付). A walk-in is an appointment made at
//! check-in time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::clinical::EncounterKind;
use super::kana::nfkc_compact;
use super::validation::{bounded_text, invalid, Check, Field, Problem, Valid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Appointment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    /// 来院目的, e.g. 定期受診, 発熱.
    pub purpose: String,
    pub walk_in: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub cancelled: bool,
    /// 外来 or 訪問診療 (absent in appointments made before visits had kinds: 外来).
    #[serde(default = "outpatient")]
    pub kind: EncounterKind,
    /// The clinician in charge (login), when one is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub clinician: Option<String>,
}

fn outpatient() -> EncounterKind {
    EncounterKind::Outpatient
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AppointmentInput {
    pub scheduled_at: DateTime<Utc>,
    pub purpose: String,
    /// "outpatient" (the default) or "home_visit".
    #[serde(default)]
    pub kind: String,
    /// The clinician in charge (login); empty for none.
    #[serde(default)]
    pub clinician: String,
}

fn visit_kind(text: &str) -> Check<EncounterKind> {
    match nfkc_compact(text).as_str() {
        "" | "outpatient" => Ok(EncounterKind::Outpatient),
        "home_visit" => Ok(EncounterKind::HomeVisit),
        _ => invalid(Field::VisitKind, Problem::UnknownChoice),
    }
}

impl Appointment {
    pub fn build(id: Uuid, patient_id: Uuid, input: &AppointmentInput) -> Valid<Self> {
        Ok(Self {
            id,
            patient_id,
            scheduled_at: input.scheduled_at,
            purpose: bounded_text(Field::Purpose, &input.purpose, 100)?,
            walk_in: false,
            checked_in_at: None,
            cancelled: false,
            kind: visit_kind(&input.kind)?,
            clinician: Some(nfkc_compact(&input.clinician))
                .filter(|c| !c.is_empty())
                .map(|c| bounded_text(Field::Clinician, &c, 64))
                .transpose()?,
        })
    }

    pub fn walk_in(id: Uuid, patient_id: Uuid, at: DateTime<Utc>, purpose: &str) -> Valid<Self> {
        Ok(Self {
            id,
            patient_id,
            scheduled_at: at,
            purpose: bounded_text(Field::Purpose, purpose, 100)?,
            walk_in: true,
            checked_in_at: Some(at),
            cancelled: false,
            kind: EncounterKind::Outpatient,
            clinician: None,
        })
    }

    pub fn checked_in(&self, at: DateTime<Utc>) -> Check<Self> {
        if self.cancelled {
            return invalid(Field::Appointment, Problem::AppointmentCancelled);
        }
        if self.checked_in_at.is_some() {
            return invalid(Field::Appointment, Problem::AlreadyCheckedIn);
        }
        Ok(Self { checked_in_at: Some(at), ..self.clone() })
    }
}
