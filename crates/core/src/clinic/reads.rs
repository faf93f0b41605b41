//! Reading the chart. Each read asks the policy first and is audited in the same transaction;
//! a chart holds only the sections the reader's role may see.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::access::{note_section, Authorized};
use super::sealed_rows::{first_verified, sealed_for_patient, sealed_section, Opened, SealedRow};
use super::Clinic;
use crate::audit::{self, Action, AuditEvent, NewEvent, Verdict};
use crate::changelog::{self, ClinicalKind, RecordKeys};
use crate::domain::*;
use crate::policy::{Access, Section};
use crate::search::{self, PatientSummary};
use crate::{Error, Result};

/// One patient's chart, oldest first within each section. A section the reader's role may not
/// read is `None` (and was never queried).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Chart {
    pub patient: Patient,
    pub encounters: Vec<Encounter>,
    pub appointments: Vec<Appointment>,
    pub allergies: Option<Vec<Allergy>>,
    pub problems: Option<Vec<Problem>>,
    /// Every version of every note the reader may see; amendments name the version they replace.
    pub notes: Option<Vec<SoapNote>>,
    pub vitals: Option<Vec<Vitals>>,
    pub prescriptions: Option<Vec<Prescription>>,
    pub lab_reports: Option<Vec<LabReport>>,
    /// Display names by login of the staff the records above name (visit openers, note authors
    /// and signers, prescribers) — of those only.
    pub staff_names: BTreeMap<String, String>,
    /// Today's visit (Japan time), opened at check-in or by a clinician: what is recorded today
    /// is filed under it.
    pub todays_encounter: Option<Uuid>,
    /// Clinical records of this chart left out because they do not verify (altered, moved, or
    /// not signed by the author they name); each chart open that finds any raises an alert.
    pub records_withheld: u32,
    /// Clinical records the audit log says were written that this chart or the change log no
    /// longer holds (deleted); each chart open that finds any raises an alert.
    pub records_missing: u32,
}

impl Clinic {
    /// Patient search; the audit records that it happened and whom it listed, not the query.
    pub fn search_patients(&mut self, query: &str, limit: usize) -> Result<Vec<PatientSummary>> {
        self.authorize(Section::Demographics, Access::Read, None)?;
        self.audited(|conn| {
            let found = search::search(conn, query, limit)?;
            // The query is what someone typed (often a patient's name): only the count is logged.
            crate::log_safe!(debug, "patients searched", found = found.len());
            let mut event = NewEvent::allowed(Action::Search, Some(Section::Demographics), None);
            event.patients_listed = found.iter().map(|p| p.id).collect();
            Ok((found, vec![event]))
        })
    }

    pub fn patient(&mut self, id: Uuid) -> Result<Patient> {
        let authorized = self.authorize(Section::Demographics, Access::Read, Some(id))?;
        self.audited(|conn| {
            let patient = load_patient(conn, id)?;
            let event = authorized.flag(NewEvent::allowed(Action::Read, Some(Section::Demographics), Some(id)));
            Ok((patient, vec![event]))
        })
    }

    pub fn chart(&mut self, patient_id: Uuid) -> Result<Chart> {
        let plan = self.chart_plan(patient_id)?;
        crate::log_safe!(
            debug,
            "chart opened",
            patient = patient_id,
            sections = plan.readable.len(),
            by_grant = plan.by_grant.len()
        );
        let today = self.today();
        self.audited_sealed(|conn, keys| read_chart(conn, keys, patient_id, &plan, today))
    }

    /// The same chart without its audit events: only for the benchmark's unaudited baseline.
    #[cfg(feature = "bench-baselines")]
    pub fn chart_unaudited_for_benchmark(&mut self, patient_id: Uuid) -> Result<Chart> {
        let plan = self.chart_plan(patient_id)?;
        let keys = self.keys()?;
        read_chart(keys.store.conn(), keys.record_keys(), patient_id, &plan, self.today()).map(|(chart, _)| chart)
    }

    /// Which sections this session may read in the chart, and which of them only by a grant.
    fn chart_plan(&mut self, patient_id: Uuid) -> Result<ChartPlan> {
        self.authorize(Section::Demographics, Access::Read, Some(patient_id))?;
        let mut plan = ChartPlan { readable: Vec::new(), by_grant: Vec::new() };
        for section in Section::ALL.into_iter().filter(|s| *s != Section::Administration) {
            match self.authorized_by(section, Access::Read, Some(patient_id)) {
                Some(Authorized::ByRole) => plan.readable.push(section),
                Some(Authorized::ByGrant) => {
                    plan.readable.push(section);
                    plan.by_grant.push(section);
                }
                None => {}
            }
        }
        Ok(plan)
    }

    /// How many changes the log holds.
    pub fn change_count(&self) -> Result<u64> {
        changelog::count(self.conn()?)
    }

    /// A fingerprint of all derived state (see [`changelog::state_digest`]); holds no content.
    pub fn state_digest(&self) -> Result<String> {
        changelog::state_digest(self.conn()?)
    }

    /// Rebuilds all state from the change log in one transaction; returns the changes replayed.
    /// Any user may run it: it shows nothing and yields the state the log already implies.
    pub fn rebuild(&mut self) -> Result<u64> {
        self.rebuild_with_progress(&mut |_, _| {})
    }

    /// [`Clinic::rebuild`], telling `progress(done, total)` after each change replayed (a large
    /// log takes a while; the CLI draws a bar). The last call has `done == total`.
    pub fn rebuild_with_progress(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
        self.check_idle()?;
        let started = std::time::Instant::now();
        self.audited(|conn| {
            let replayed = changelog::rebuild(conn, progress)?;
            crate::log_safe!(
                info,
                "state rebuilt from the change log",
                changes = replayed,
                elapsed_ms = started.elapsed()
            );
            let event = NewEvent::allowed(Action::Admin, None, None)
                .with_reason(format!("rebuilt state from {replayed} changes"));
            Ok((replayed, vec![event]))
        })
    }

    /// Problems found by SQLite's and SQLCipher's integrity checks; empty when healthy.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        self.keys()?.store.check_integrity()
    }

    /// Checks the audit chain and its signed head.
    pub fn verify_audit(&mut self) -> Result<Verdict> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let key = self.keys()?.identity.verifying_key();
        let started = std::time::Instant::now();
        let verdict = audit::verify(self.conn()?, &key)?;
        match &verdict {
            Verdict::Intact { events, signed_through } => crate::log_safe!(
                info,
                "audit log verified",
                events = *events,
                signed_through = *signed_through,
                elapsed_ms = started.elapsed()
            ),
            Verdict::Broken { seq, .. } => crate::log_safe!(error, "audit log broken", at_seq = *seq),
        }
        self.record(vec![NewEvent::admin("verified the audit log")])?;
        Ok(verdict)
    }

    /// Audit events for a report or an export; the export itself is audited.
    pub fn audit_events(&mut self, filter: &audit::Filter) -> Result<Vec<AuditEvent>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let kind = match filter {
            audit::Filter::All => "all",
            audit::Filter::Patient(_) => "patient",
            audit::Filter::User(_) => "user",
            audit::Filter::Alerts => "alerts",
        };
        let about = match filter {
            audit::Filter::All => "all events".to_string(),
            audit::Filter::Patient(id) => format!("events about patient {id}"),
            audit::Filter::User(user) => format!("events by user {user}"),
            audit::Filter::Alerts => "alerts".to_string(),
        };
        self.audited(|conn| {
            let events = audit::events(conn, filter)?;
            crate::log_safe!(info, "audit report read", filter = kind, events = events.len());
            let event = NewEvent::allowed(Action::Export, Some(Section::Administration), None).with_reason(about);
            Ok((events, vec![event]))
        })
    }

    /// The open (decrypted) connection, for inspection by tests and the benchmark: raw SQL sees
    /// exactly what this session's keys can see. Only with the `inspection` feature, which no
    /// product binary enables.
    #[cfg(feature = "inspection")]
    pub fn raw_sql_for_inspection(&self) -> Result<&rusqlite::Connection> {
        self.conn()
    }

    /// What this user's own password unlocks from their key-file entry, for insider stories: the
    /// clinical section keys and their signing key. Only with the `inspection` feature.
    #[cfg(feature = "inspection")]
    pub fn own_keys_for_inspection(&self) -> Result<(&crate::vault::SectionKeys, ed25519_dalek::SigningKey)> {
        let keys = self.keys()?;
        Ok((&keys.section, keys.user_key.signing_key()))
    }

    /// Unaudited lookups that back a write the caller has already been authorized for.
    pub(super) fn load_patient(&self, id: Uuid) -> Result<Patient> {
        load_patient(self.conn()?, id)
    }

    pub(super) fn load_encounter(&self, id: Uuid) -> Result<Encounter> {
        by_id(self.conn()?, "SELECT body FROM encounters WHERE id = ?1", "encounter", id)
    }

    pub(super) fn load_note(&self, id: Uuid) -> Result<SoapNote> {
        let keys = self.keys()?;
        let row: Option<(String, SealedRow)> = keys
            .store
            .conn()
            .prepare_cached(&format!(
                "SELECT patient_id, {} FROM notes WHERE id = ?1",
                ClinicalKind::Note.sealed_columns()
            ))?
            .query_row([id.to_string()], |row| Ok((row.get(0)?, SealedRow::read(row, 1)?)))
            .optional()?;
        let (patient, row) = row.ok_or_else(|| Error::NotFound { what: "note", id: id.to_string() })?;
        let patient = Uuid::parse_str(&patient).map_err(|_| unreadable())?;
        row.open(keys.record_keys(), ClinicalKind::Note, patient)
    }

    pub(super) fn load_appointment(&self, id: Uuid) -> Result<Appointment> {
        by_id(self.conn()?, "SELECT body FROM appointments WHERE id = ?1", "appointment", id)
    }

    /// The patient's newest prescription that verifies (Do処方 repeats it): a planted record that
    /// does not is passed over, as the chart leaves it out.
    pub(super) fn latest_prescription(&self, patient_id: Uuid) -> Result<Option<Prescription>> {
        let keys = self.keys()?;
        let sql = format!(
            "SELECT {} FROM prescriptions WHERE patient_id = ?1 ORDER BY prescribed_at DESC, id DESC",
            ClinicalKind::Prescription.sealed_columns()
        );
        let patient = patient_id.to_string();
        first_verified(keys.store.conn(), keys.record_keys(), ClinicalKind::Prescription, patient_id, &sql, &[&patient])
    }

    /// Whether a version of `note` that verifies amends it already (a planted row that does not
    /// verify blocks nothing).
    pub(super) fn amended_already(&self, note: &SoapNote) -> Result<bool> {
        let keys = self.keys()?;
        let sql = format!(
            "SELECT {} FROM notes WHERE patient_id = ?1 AND replaces = ?2",
            ClinicalKind::Note.sealed_columns()
        );
        let (patient, replaced) = (note.patient_id.to_string(), note.id.to_string());
        let amendment: Option<SoapNote> = first_verified(
            keys.store.conn(),
            keys.record_keys(),
            ClinicalKind::Note,
            note.patient_id,
            &sql,
            &[&patient, &replaced],
        )?;
        Ok(amendment.is_some())
    }
}

fn load_patient(conn: &Connection, id: Uuid) -> Result<Patient> {
    by_id(conn, "SELECT body FROM patients WHERE id = ?1", "patient", id)
}

fn by_id<T: DeserializeOwned>(conn: &Connection, sql: &str, what: &'static str, id: Uuid) -> Result<T> {
    let body: Option<String> = conn.prepare_cached(sql)?.query_row([id.to_string()], |row| row.get(0)).optional()?;
    let body = body.ok_or_else(|| Error::NotFound { what, id: id.to_string() })?;
    serde_json::from_str(&body).map_err(|_| unreadable())
}

fn for_patient<T: DeserializeOwned>(conn: &Connection, sql: &str, patient_id: Uuid) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let bodies = stmt.query_map([patient_id.to_string()], |row| row.get::<_, String>(0))?;
    bodies.map(|body| serde_json::from_str(&body?).map_err(|_| unreadable())).collect()
}

struct ChartPlan {
    readable: Vec<Section>,
    by_grant: Vec<Section>,
}

/// Reads the sections `plan` allows (and only those) and the audit events that record them,
/// with an alert for records that do not verify or that were deleted.
fn read_chart(
    conn: &Connection,
    keys: RecordKeys<'_>,
    id: Uuid,
    plan: &ChartPlan,
    today: NaiveDate,
) -> Result<(Chart, Vec<NewEvent>)> {
    let may = |section: Section| plan.readable.contains(&section);
    let mut opened = Opened::default();
    let notes = if may(Section::Notes) || may(Section::NursingNotes) {
        let all: Vec<SoapNote> = sealed_for_patient(conn, keys, ClinicalKind::Note, id, &mut opened)?;
        Some(all.into_iter().filter(|n| may(note_section(n.kind))).collect())
    } else {
        None
    };
    let encounters: Vec<Encounter> =
        for_patient(conn, "SELECT body FROM encounters WHERE patient_id = ?1 ORDER BY started_at, id", id)?;
    let w = &mut opened;
    let mut chart = Chart {
        patient: load_patient(conn, id)?,
        todays_encounter: super::today::todays_among(&encounters, today),
        encounters,
        appointments: for_patient(
            conn,
            "SELECT body FROM appointments WHERE patient_id = ?1 ORDER BY scheduled_at, id",
            id,
        )?,
        allergies: sealed_section(conn, keys, may(Section::Allergies), ClinicalKind::Allergy, id, w)?,
        problems: sealed_section(conn, keys, may(Section::Problems), ClinicalKind::Problem, id, w)?,
        notes,
        vitals: sealed_section(conn, keys, may(Section::Vitals), ClinicalKind::Vitals, id, w)?,
        prescriptions: sealed_section(conn, keys, may(Section::Prescriptions), ClinicalKind::Prescription, id, w)?,
        lab_reports: sealed_section(conn, keys, may(Section::Results), ClinicalKind::LabReport, id, w)?,
        staff_names: BTreeMap::new(),
        records_withheld: 0,
        records_missing: 0,
    };
    chart.records_withheld = opened.withheld;
    // Only a reader of clinical sections is told of (and checks for) deleted clinical records.
    if plan.readable.iter().any(|s| s.is_clinical()) {
        chart.records_missing = super::missing_records::count(conn, id, &opened)?;
    }
    chart.staff_names = super::staff::display_names(conn, named_staff(&chart))?;
    // One event per chart open, naming every section served: a row per section would make an
    // audited open cost three times an unaudited one.
    let mut event = NewEvent::allowed(Action::Read, None, Some(id));
    event.sections_read = plan.readable.clone();
    if !plan.by_grant.is_empty() {
        event.break_glass = true;
        let granted: Vec<&str> = plan.by_grant.iter().map(|s| s.as_str()).collect();
        event.reason = Some(format!("break-the-glass grant for {}", granted.join(", ")));
    }
    let mut events = vec![event];
    let alert = |reason: String| {
        NewEvent::allowed(Action::Tampering, Some(Section::Administration), Some(id)).with_reason(reason)
    };
    if chart.records_withheld > 0 {
        crate::log_safe!(error, "clinical records do not verify", patient = id, count = chart.records_withheld);
        events.push(alert(format!(
            "{} clinical records of this chart do not verify (altered, moved or not signed by their author)",
            chart.records_withheld
        )));
    }
    if chart.records_missing > 0 {
        crate::log_safe!(error, "clinical records missing", patient = id, count = chart.records_missing);
        events.push(alert(format!(
            "{} clinical records the audit log names are missing from this chart (deleted)",
            chart.records_missing
        )));
    }
    Ok((chart, events))
}

/// Every login the chart's served records name.
fn named_staff(chart: &Chart) -> Vec<&str> {
    let mut logins: Vec<&str> = chart.encounters.iter().map(|e| e.clinician.as_str()).collect();
    for note in chart.notes.iter().flatten() {
        logins.push(&note.author);
        logins.extend(note.signed_by.as_deref());
    }
    logins.extend(chart.prescriptions.iter().flatten().map(|rx| rx.prescriber.as_str()));
    logins
}

fn unreadable() -> Error {
    Error::InvalidState("a stored record is unreadable; run `mamori store rebuild`")
}
