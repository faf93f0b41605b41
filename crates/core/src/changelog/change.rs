//! A change: one write, as it is kept in the log forever. State is a pure function of the log.
//!
//! What a change does is either open (demographic or administrative: users, patients, visits,
//! appointments, settings), kept in the log in the clear, or clinical (notes, vitals, allergies,
//! problems, prescriptions, results). They are different types, and the log holds only a
//! [`LoggedBody`]: an [`OpenBody`] or a [`super::SealedBody`]. The one way from a
//! [`ClinicalBody`] into the log is [`ClinicalBody::seal`] under the clinical section key.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::hlc::Hlc;
use super::sealed::LoggedBody;
use crate::domain::{
    Allergy, Appointment, Encounter, LabReport, Patient, Prescription, Problem, SoapNote, User, Vitals,
};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    pub id: Uuid,
    pub hlc: Hlc,
    /// User name of the author.
    pub author: String,
    pub device: String,
    /// The membership chain head the author's session held when writing: the author's roles are
    /// judged at this link, never by the change's clock stamp.
    pub chain_seq: u64,
    /// The changes of the same record this one replaces: every newest version (head) the writer
    /// held when writing. A record's state is its newest head (`merge`).
    pub replaces: Vec<Uuid>,
    /// In the clear when open, sealed when clinical.
    pub body: LoggedBody,
}

/// What an open change does: demographic and administrative records, which every role that
/// works the front desk or runs the clinic needs without the clinical key. Each variant carries
/// the whole record it puts, so applying a change twice gives the same state as applying it once.
///
/// Its JSON (`{"op": "patient_registered", "record": {…}}`) is the log's `body` column: a variant
/// is never renamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "record", rename_all = "snake_case")]
pub enum OpenBody {
    UserAdded(User),
    /// A user's role or status changed (disabled, enabled).
    UserUpdated(User),
    PatientRegistered(Patient),
    PatientUpdated(Patient),
    EncounterOpened(Encounter),
    AppointmentSaved(Appointment),
    /// A clinic-wide setting (e.g. the idle timeout).
    SettingChanged {
        key: String,
        value: String,
    },
    /// An administrator reviewed an insider-detection alert (`clinic::alerts`) and says why it
    /// needs nothing more. A change of its own, signed by its author, so a row typed into the
    /// database acknowledges nothing: only what an administrator's key signed counts.
    AlertAcknowledged {
        alert: String,
        comment: String,
        /// The events it covers: an alert that grows afterwards is open again.
        events: Vec<String>,
    },
}

/// What a clinical change does. It has no serialized form and no `Debug`: it reaches the log (and
/// any other byte sink) only as a [`super::SealedBody`], through [`ClinicalBody::seal`].
#[derive(Clone, PartialEq)]
pub enum ClinicalBody {
    NoteDrafted(SoapNote),
    NoteSigned(SoapNote),
    NoteAmended(SoapNote),
    VitalsRecorded(Vitals),
    AllergyRecorded(Allergy),
    ProblemRecorded(Problem),
    PrescriptionIssued(Prescription),
    LabReported(LabReport),
}

/// A write before it is logged: open, or clinical and still to be sealed.
#[derive(Clone, PartialEq)]
pub enum ChangeBody {
    Open(OpenBody),
    Clinical(ClinicalBody),
}

impl From<OpenBody> for ChangeBody {
    fn from(body: OpenBody) -> Self {
        ChangeBody::Open(body)
    }
}

impl From<ClinicalBody> for ChangeBody {
    fn from(body: ClinicalBody) -> Self {
        ChangeBody::Clinical(body)
    }
}

impl OpenBody {
    /// The kind and id of the record this change puts.
    pub fn entity(&self) -> (&'static str, String) {
        match self {
            OpenBody::UserAdded(u) | OpenBody::UserUpdated(u) => ("user", u.name.clone()),
            OpenBody::PatientRegistered(p) | OpenBody::PatientUpdated(p) => ("patient", p.id.to_string()),
            OpenBody::EncounterOpened(e) => ("encounter", e.id.to_string()),
            OpenBody::AppointmentSaved(a) => ("appointment", a.id.to_string()),
            OpenBody::SettingChanged { key, .. } => ("setting", key.clone()),
            OpenBody::AlertAcknowledged { alert, .. } => ("alert_ack", alert.clone()),
        }
    }

    /// The patient whose chart this change belongs to, if any.
    pub fn patient(&self) -> Option<Uuid> {
        match self {
            OpenBody::UserAdded(_)
            | OpenBody::UserUpdated(_)
            | OpenBody::SettingChanged { .. }
            | OpenBody::AlertAcknowledged { .. } => None,
            OpenBody::PatientRegistered(p) | OpenBody::PatientUpdated(p) => Some(p.id),
            OpenBody::EncounterOpened(e) => Some(e.patient_id),
            OpenBody::AppointmentSaved(a) => Some(a.patient_id),
        }
    }
}

impl ClinicalBody {
    /// The patient whose chart this change belongs to.
    pub fn patient(&self) -> Uuid {
        match self {
            ClinicalBody::NoteDrafted(n) | ClinicalBody::NoteSigned(n) | ClinicalBody::NoteAmended(n) => n.patient_id,
            ClinicalBody::VitalsRecorded(v) => v.patient_id,
            ClinicalBody::AllergyRecorded(a) => a.patient_id,
            ClinicalBody::ProblemRecorded(p) => p.patient_id,
            ClinicalBody::PrescriptionIssued(p) => p.patient_id,
            ClinicalBody::LabReported(l) => l.patient_id,
        }
    }
}

impl ChangeBody {
    /// The patient whose chart this change belongs to, if any.
    pub fn patient(&self) -> Option<Uuid> {
        match self {
            ChangeBody::Open(body) => body.patient(),
            ChangeBody::Clinical(body) => Some(body.patient()),
        }
    }
}
