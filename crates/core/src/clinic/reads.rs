//! Reading the chart.

use rusqlite::OptionalExtension;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use super::Clinic;
use crate::changelog;
use crate::domain::*;
use crate::search::{self, PatientSummary};
use crate::{Error, Result};

/// Everything in one patient's chart, oldest first within each section.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chart {
    pub patient: Patient,
    pub allergies: Vec<Allergy>,
    pub problems: Vec<Problem>,
    pub encounters: Vec<Encounter>,
    /// Every version of every note; amendments name the version they replace.
    pub notes: Vec<SoapNote>,
    pub vitals: Vec<Vitals>,
    pub prescriptions: Vec<Prescription>,
    pub lab_reports: Vec<LabReport>,
    pub appointments: Vec<Appointment>,
}

impl Clinic {
    pub fn search_patients(&self, query: &str, limit: usize) -> Result<Vec<PatientSummary>> {
        search::search(self.store.conn(), query, limit)
    }

    pub fn patient(&self, id: Uuid) -> Result<Patient> {
        self.by_id("SELECT body FROM patients WHERE id = ?1", "patient", id)
    }

    pub fn chart(&self, patient_id: Uuid) -> Result<Chart> {
        let patient = self.patient(patient_id)?;
        Ok(Chart {
            patient,
            allergies: self.for_patient("SELECT body FROM allergies WHERE patient_id = ?1 ORDER BY id", patient_id)?,
            problems: self.for_patient("SELECT body FROM problems WHERE patient_id = ?1 ORDER BY id", patient_id)?,
            encounters: self
                .for_patient("SELECT body FROM encounters WHERE patient_id = ?1 ORDER BY started_at, id", patient_id)?,
            notes: self
                .for_patient("SELECT body FROM notes WHERE patient_id = ?1 ORDER BY written_at, id", patient_id)?,
            vitals: self
                .for_patient("SELECT body FROM vitals WHERE patient_id = ?1 ORDER BY measured_at, id", patient_id)?,
            prescriptions: self.for_patient(
                "SELECT body FROM prescriptions WHERE patient_id = ?1 ORDER BY prescribed_at, id",
                patient_id,
            )?,
            lab_reports: self.for_patient(
                "SELECT body FROM lab_reports WHERE patient_id = ?1 ORDER BY collected_at, id",
                patient_id,
            )?,
            appointments: self.for_patient(
                "SELECT body FROM appointments WHERE patient_id = ?1 ORDER BY scheduled_at, id",
                patient_id,
            )?,
        })
    }

    pub(super) fn encounter(&self, id: Uuid) -> Result<Encounter> {
        self.by_id("SELECT body FROM encounters WHERE id = ?1", "encounter", id)
    }

    pub(super) fn note(&self, id: Uuid) -> Result<SoapNote> {
        self.by_id("SELECT body FROM notes WHERE id = ?1", "note", id)
    }

    pub(super) fn appointment(&self, id: Uuid) -> Result<Appointment> {
        self.by_id("SELECT body FROM appointments WHERE id = ?1", "appointment", id)
    }

    /// How many changes the log holds.
    pub fn change_count(&self) -> Result<u64> {
        changelog::count(self.store.conn())
    }

    /// A fingerprint of all derived state (see [`changelog::state_digest`]).
    pub fn state_digest(&self) -> Result<String> {
        changelog::state_digest(self.store.conn())
    }

    /// Rebuilds all state from the change log in one transaction; returns the changes replayed.
    pub fn rebuild(&mut self) -> Result<u64> {
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let replayed = changelog::rebuild(&tx)?;
        tx.commit()?;
        Ok(replayed)
    }

    /// Problems found by SQLite's and SQLCipher's integrity checks; empty when healthy.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        self.store.check_integrity()
    }

    /// The open (decrypted) connection, for inspection by maintenance tools and tests: raw SQL
    /// sees exactly what this session's keys can see.
    pub fn raw_sql_for_inspection(&self) -> &rusqlite::Connection {
        self.store.conn()
    }

    fn by_id<T: DeserializeOwned>(&self, sql: &str, what: &'static str, id: Uuid) -> Result<T> {
        let body: Option<String> =
            self.store.conn().prepare_cached(sql)?.query_row([id.to_string()], |row| row.get(0)).optional()?;
        let body = body.ok_or_else(|| Error::NotFound { what, id: id.to_string() })?;
        decode(&body)
    }

    fn for_patient<T: DeserializeOwned>(&self, sql: &str, patient_id: Uuid) -> Result<Vec<T>> {
        let mut stmt = self.store.conn().prepare_cached(sql)?;
        let bodies = stmt.query_map([patient_id.to_string()], |row| row.get::<_, String>(0))?;
        bodies.map(|body| decode(&body?)).collect()
    }
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body)
        .map_err(|_| Error::InvalidState("a stored record is unreadable; run `mamori store rebuild`"))
}
