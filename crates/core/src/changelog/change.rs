//! A change: one write, as it is kept in the log forever. State is a pure function of the log.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::hlc::Hlc;
use super::sealed::LoggedBody;
use crate::domain::{
    Allergy, Appointment, Encounter, LabReport, Patient, Prescription, Problem, SoapNote, User, Vitals,
};

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub id: Uuid,
    pub hlc: Hlc,
    /// User name of the author.
    pub author: String,
    pub device: String,
    /// Sealed when clinical (see [`super::sealed`]).
    pub body: LoggedBody,
}

/// What a change does. Each variant carries the whole record it puts, so applying a change twice
/// gives the same state as applying it once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "record", rename_all = "snake_case")]
pub enum ChangeBody {
    UserAdded(User),
    /// A user's role or status changed (disabled, enabled).
    UserUpdated(User),
    PatientRegistered(Patient),
    PatientUpdated(Patient),
    EncounterOpened(Encounter),
    NoteDrafted(SoapNote),
    NoteSigned(SoapNote),
    NoteAmended(SoapNote),
    VitalsRecorded(Vitals),
    AllergyRecorded(Allergy),
    ProblemRecorded(Problem),
    PrescriptionIssued(Prescription),
    LabReported(LabReport),
    AppointmentSaved(Appointment),
    /// A clinic-wide setting (e.g. the idle timeout).
    SettingChanged {
        key: String,
        value: String,
    },
}

impl ChangeBody {
    /// The kind and id of the record this change puts.
    pub fn entity(&self) -> (&'static str, String) {
        match self {
            ChangeBody::UserAdded(u) | ChangeBody::UserUpdated(u) => ("user", u.name.clone()),
            ChangeBody::PatientRegistered(p) | ChangeBody::PatientUpdated(p) => ("patient", p.id.to_string()),
            ChangeBody::EncounterOpened(e) => ("encounter", e.id.to_string()),
            ChangeBody::NoteDrafted(n) | ChangeBody::NoteSigned(n) | ChangeBody::NoteAmended(n) => {
                ("note", n.id.to_string())
            }
            ChangeBody::VitalsRecorded(v) => ("vitals", v.id.to_string()),
            ChangeBody::AllergyRecorded(a) => ("allergy", a.id.to_string()),
            ChangeBody::ProblemRecorded(p) => ("problem", p.id.to_string()),
            ChangeBody::PrescriptionIssued(p) => ("prescription", p.id.to_string()),
            ChangeBody::LabReported(l) => ("lab_report", l.id.to_string()),
            ChangeBody::AppointmentSaved(a) => ("appointment", a.id.to_string()),
            ChangeBody::SettingChanged { key, .. } => ("setting", key.clone()),
        }
    }

    /// The patient whose chart this change belongs to, if any.
    pub fn patient(&self) -> Option<Uuid> {
        match self {
            ChangeBody::UserAdded(_) | ChangeBody::UserUpdated(_) | ChangeBody::SettingChanged { .. } => None,
            ChangeBody::PatientRegistered(p) | ChangeBody::PatientUpdated(p) => Some(p.id),
            ChangeBody::EncounterOpened(e) => Some(e.patient_id),
            ChangeBody::NoteDrafted(n) | ChangeBody::NoteSigned(n) | ChangeBody::NoteAmended(n) => Some(n.patient_id),
            ChangeBody::VitalsRecorded(v) => Some(v.patient_id),
            ChangeBody::AllergyRecorded(a) => Some(a.patient_id),
            ChangeBody::ProblemRecorded(p) => Some(p.patient_id),
            ChangeBody::PrescriptionIssued(p) => Some(p.patient_id),
            ChangeBody::LabReported(l) => Some(l.patient_id),
            ChangeBody::AppointmentSaved(a) => Some(a.patient_id),
        }
    }
}
