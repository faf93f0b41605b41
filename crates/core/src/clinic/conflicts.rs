//! Records whose newest versions were written concurrently on different devices (`merge`): the
//! newest is shown and the record is flagged here for someone to look at. Each role sees the
//! flags of what it may read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::Clinic;
use crate::changelog::merge::patient_heads;
use crate::domain::Patient;
use crate::policy::{self, Access, Section};
use crate::{Error, OpenBody, Result};

/// One flagged record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeConflict {
    /// The record's kind (`patient`, `appointment`, `setting`, …) and id.
    pub kind: String,
    pub id: String,
    /// How many concurrent newest versions it has.
    pub heads: u64,
    /// For a patient: the fields the versions set differently (the newest value is shown).
    pub fields: Vec<String>,
    /// The change whose value is shown.
    pub winner: String,
}

/// The section whose read permission shows a record kind's flags.
fn section_of(kind: &str) -> Section {
    match kind {
        "patient" | "chart_no" => Section::Demographics,
        "appointment" | "encounter" => Section::Appointments,
        "user" | "setting" => Section::Administration,
        "vitals" => Section::Vitals,
        "allergy" => Section::Allergies,
        "problem" => Section::Problems,
        "prescription" => Section::Prescriptions,
        "lab_report" => Section::Results,
        _ => Section::Notes,
    }
}

/// One of the versions of a patient written on two devices at once, as a person choosing
/// between them sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ConflictVersion {
    /// The change that wrote it (what a choice names).
    pub change_id: String,
    /// Who wrote it (their login), on which device, and when by that device's clock.
    pub author: String,
    pub device: String,
    pub at: DateTime<Utc>,
    /// The fields in conflict, as this version has them (field → value as shown).
    pub values: BTreeMap<String, String>,
    /// The version the chart shows now.
    pub shown: bool,
}

/// A patient edited on two devices at once: the fields that differ and every version of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct PatientConflict {
    pub patient_id: String,
    pub fields: Vec<String>,
    pub versions: Vec<ConflictVersion>,
}

/// A field's value as text: strings as they are, anything else (a date, a number) as JSON.
fn shown_value(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

impl Clinic {
    /// A flagged patient's versions, for someone who may read demographics.
    pub fn patient_conflict(&mut self, patient_id: Uuid) -> Result<PatientConflict> {
        self.authorize(Section::Demographics, Access::Read, Some(patient_id))?;
        let entity = patient_id.to_string();
        let fields = self
            .conflicts()?
            .into_iter()
            .find(|c| c.kind == "patient" && c.id == entity)
            .map(|c| c.fields)
            .ok_or(Error::NotFound { what: "conflict", id: entity.clone() })?;
        let heads = patient_heads(self.conn()?, &entity)?;
        let versions = heads
            .iter()
            .enumerate()
            .map(|(i, head)| ConflictVersion {
                change_id: head.id.clone(),
                author: head.author.clone(),
                device: head.device.clone(),
                at: DateTime::from_timestamp_millis(head.wall_ms).unwrap_or_default(),
                values: fields.iter().map(|f| (f.clone(), shown_value(head.patient.get(f)))).collect(),
                shown: i == 0,
            })
            .collect();
        Ok(PatientConflict { patient_id: entity, fields, versions })
    }

    /// Settles a flagged patient: for each field in conflict, the value of the version chosen
    /// (`picks`: field → change id; a field not picked keeps the value shown). The choice is a
    /// change like any other, naming every version it replaces, so every device settles alike.
    pub fn resolve_patient_conflict(&mut self, patient_id: Uuid, picks: &BTreeMap<String, String>) -> Result<Patient> {
        self.authorize(Section::Demographics, Access::Write, Some(patient_id))?;
        let conflict = self.patient_conflict(patient_id)?;
        let heads = patient_heads(self.conn()?, &conflict.patient_id)?;
        let Some(shown) = heads.first() else {
            return Err(Error::NotFound { what: "patient", id: conflict.patient_id });
        };
        let mut merged = shown.patient.clone();
        for (field, change) in picks {
            if !conflict.fields.contains(field) {
                return Err(Error::InvalidState("a choice names a field that is not in conflict"));
            }
            let head = heads
                .iter()
                .find(|h| &h.id == change)
                .ok_or(Error::InvalidState("a choice names a version that is not in conflict"))?;
            if let (Some(target), Some(value)) = (merged.as_object_mut(), head.patient.get(field)) {
                target.insert(field.clone(), value.clone());
            }
        }
        let patient: Patient = serde_json::from_value(merged)
            .map_err(|_| Error::InvalidState("the chosen values do not make a patient"))?;
        self.ensure_chart_no_free(&patient.chart_no, patient_id)?;
        self.commit(OpenBody::PatientUpdated(patient.clone()))?;
        Ok(patient)
    }

    /// The flagged records this user's role may read.
    pub fn conflicts(&self) -> Result<Vec<MergeConflict>> {
        let role = self.user.role;
        let mut stmt = self.conn()?.prepare(
            "SELECT entity_kind, entity_id, heads, fields, winner FROM merge_conflicts ORDER BY entity_kind, entity_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MergeConflict {
                kind: row.get(0)?,
                id: row.get(1)?,
                heads: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                fields: row
                    .get::<_, Option<String>>(3)?
                    .map(|f| f.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())
                    .unwrap_or_default(),
                winner: row.get(4)?,
            })
        })?;
        let mut visible = Vec::new();
        for conflict in rows {
            let conflict = conflict?;
            if policy::allows(role, section_of(&conflict.kind), Access::Read) {
                visible.push(conflict);
            }
        }
        Ok(visible)
    }
}
