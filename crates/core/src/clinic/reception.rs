//! The front desk's day: today's appointments (Japan time) with their patients.

use chrono::{Duration, NaiveTime, TimeZone};
use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use super::{japan_time, Clinic};
use crate::audit::{Action, NewEvent};
use crate::domain::{Appointment, Patient};
use crate::policy::{Access, Section};
use crate::search::PatientSummary;
use crate::{Error, Result};

/// One line of the day's list at the desk.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Visit {
    pub appointment: Appointment,
    pub patient: PatientSummary,
}

impl Clinic {
    /// Today's appointments in time order, with who they are for; audited as a listing of those
    /// patients.
    pub fn todays_visits(&mut self) -> Result<Vec<Visit>> {
        self.authorize(Section::Appointments, Access::Read, None)?;
        let midnight = japan_time()
            .from_local_datetime(&self.today().and_time(NaiveTime::MIN))
            .single()
            .ok_or(Error::InvalidState("today has no midnight in Japan time"))?
            .with_timezone(&chrono::Utc);
        let (from, to) = (midnight.to_rfc3339(), (midnight + Duration::days(1)).to_rfc3339());
        self.audited(|conn| {
            let visits = visits_between(conn, &from, &to)?;
            let mut event = NewEvent::allowed(Action::Read, Some(Section::Appointments), None);
            event.patients_listed = visits.iter().map(|v| v.patient.id).collect();
            Ok((visits, vec![event]))
        })
    }
}

fn visits_between(conn: &Connection, from: &str, to: &str) -> Result<Vec<Visit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.body, p.body FROM appointments a JOIN patients p ON p.id = a.patient_id
         WHERE a.scheduled_at >= ?1 AND a.scheduled_at < ?2 ORDER BY a.scheduled_at, a.id",
    )?;
    let rows = stmt.query_map([from, to], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (appointment, patient) = row?;
        let unreadable = || Error::InvalidState("a stored appointment is unreadable; run `mamori store rebuild`");
        let appointment: Appointment = serde_json::from_str(&appointment).map_err(|_| unreadable())?;
        let patient: Patient = serde_json::from_str(&patient).map_err(|_| unreadable())?;
        Ok(Visit { appointment, patient: patient.into() })
    })
    .collect()
}
