//! Appointments and check-in at the front desk (受付). A walk-in is an appointment made at
//! check-in time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

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
}

#[derive(Clone, Debug, Deserialize)]
pub struct AppointmentInput {
    pub scheduled_at: DateTime<Utc>,
    pub purpose: String,
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
