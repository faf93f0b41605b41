//! Access control and auditing around every operation: the policy is asked before any query
//! runs, a denial is itself audited, and a read is served only if its audit event commits.

use rusqlite::Connection;
use uuid::Uuid;

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::changelog::RecordKeys;
use crate::changelog::{Change, ChangeBody, ClinicalBody, LoggedBody, OpenBody};
use crate::domain::{NoteKind, Role, SoapNote};
use crate::policy::{self, Access, Section};
use crate::{Error, Result};

impl Clinic {
    /// Asks the policy, then the running break-the-glass grants; a denial is recorded (in its own
    /// transaction) and returned as an error.
    pub(crate) fn authorize(&mut self, section: Section, access: Access, patient: Option<Uuid>) -> Result<Authorized> {
        self.check_idle()?;
        self.expire_grants()?;
        if let Some(authorized) = self.authorized_by(section, access, patient) {
            return Ok(authorized);
        }
        crate::log_safe!(
            warn,
            "access denied",
            section = section,
            access = access,
            role = self.user.role,
            patient = patient
        );
        self.record(vec![NewEvent::denied(section, patient).with_reason(access.as_str())])?;
        Err(Error::Denied { section: section.as_str(), access: access.as_str() })
    }

    /// What allows this session `access` to `section`: its role, a running grant, or nothing.
    /// Records nothing; [`Clinic::authorize`] is the check operations run.
    pub(super) fn authorized_by(&self, section: Section, access: Access, patient: Option<Uuid>) -> Option<Authorized> {
        if policy::allows(self.user.role, section, access) {
            Some(Authorized::ByRole)
        } else if self.granted(patient, section, access) {
            Some(Authorized::ByGrant)
        } else {
            None
        }
    }

    /// Appends events in a transaction of their own (login, logout, denials).
    pub(crate) fn record(&mut self, events: Vec<NewEvent>) -> Result<()> {
        // Nothing to record must not cost a write transaction: this runs before every operation.
        if events.is_empty() {
            return Ok(());
        }
        self.audited(|_| Ok(((), events)))
    }

    /// Runs `read` and appends the events it returns in one transaction: if the events cannot be
    /// recorded, the result is not returned.
    ///
    /// These commits are not flushed to disk one by one (synchronous = NORMAL in WAL mode): an
    /// application crash loses nothing, and the next write's full sync makes them durable; only a
    /// power cut in between could lose the last read events. An fsync per chart open would make
    /// every read cost a disk flush (about 4 ms here, 15× the read itself).
    pub(crate) fn audited<T>(&mut self, read: impl FnOnce(&Connection) -> Result<(T, Vec<NewEvent>)>) -> Result<T> {
        self.transact(false, |conn, _| read(conn))
    }

    /// [`Clinic::audited`] for reads that open sealed clinical records with the session's keys.
    pub(crate) fn audited_sealed<T>(
        &mut self,
        read: impl FnOnce(&Connection, RecordKeys<'_>) -> Result<(T, Vec<NewEvent>)>,
    ) -> Result<T> {
        self.transact(false, read)
    }

    /// The note section this user writes in: doctors write medical notes, nurses nursing notes.
    pub(crate) fn own_note_kind(&self) -> NoteKind {
        if self.user.role == Role::Nurse {
            NoteKind::Nursing
        } else {
            NoteKind::Medical
        }
    }
}

/// Why an operation was allowed: what the audit event of an access under a grant must flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authorized {
    ByRole,
    ByGrant,
}

impl Authorized {
    /// Flags `event` when the access ran under a break-the-glass grant.
    pub(crate) fn flag(self, mut event: NewEvent) -> NewEvent {
        if self == Authorized::ByGrant {
            event.break_glass = true;
            event.reason.get_or_insert_with(|| "under a break-the-glass grant".to_string());
        }
        event
    }
}

pub(crate) fn note_section(kind: NoteKind) -> Section {
    match kind {
        NoteKind::Medical => Section::Notes,
        NoteKind::Nursing => Section::NursingNotes,
    }
}

fn note_event(action: Action, note: &SoapNote) -> NewEvent {
    NewEvent::allowed(action, Some(note_section(note.kind)), Some(note.patient_id))
}

/// The audit event of a write.
pub(crate) fn audit_of(body: &ChangeBody) -> NewEvent {
    let write = |section: Section| NewEvent::allowed(Action::Write, Some(section), body.patient());
    match body {
        ChangeBody::Open(OpenBody::UserAdded(user)) => {
            NewEvent::admin(format!("added user {} ({})", user.name, user.role.as_str()))
        }
        ChangeBody::Open(OpenBody::UserUpdated(user)) => NewEvent::admin(format!(
            "set user {} to {}{}",
            user.name,
            user.role.as_str(),
            if user.disabled { ", disabled" } else { "" }
        )),
        ChangeBody::Open(OpenBody::PatientRegistered(_) | OpenBody::PatientUpdated(_)) => write(Section::Demographics),
        ChangeBody::Open(OpenBody::EncounterOpened(_) | OpenBody::AppointmentSaved(_)) => write(Section::Appointments),
        // Detection settings and staff records hold staff members' profiles, rosters and training:
        // their values stay out of the log.
        ChangeBody::Open(OpenBody::SettingChanged { key, .. }) if super::alerts::value_kept_private(key) => {
            NewEvent::admin(format!("changed {key}"))
        }
        ChangeBody::Open(OpenBody::SettingChanged { key, value }) => NewEvent::admin(format!("set {key} to {value}")),
        // The comment is the administrator's free text: the log names the alert only.
        ChangeBody::Open(OpenBody::AlertAcknowledged { alert, .. }) => {
            NewEvent::admin(format!("acknowledged alert {alert}"))
        }
        ChangeBody::Clinical(clinical) => {
            NewEvent { record: Some(clinical.index().id), ..clinical_event(body, clinical) }
        }
    }
}

/// Each clinical write's audit event (the one naming its record and no change yet) names the
/// change that put it, so a deleted or rolled-back version is found when the chart is opened.
pub(crate) fn name_changes_in_events<'a>(changes: impl Iterator<Item = &'a Change>, events: &mut [NewEvent]) {
    for change in changes {
        let LoggedBody::Sealed(sealed) = &change.body else { continue };
        let record = Some(sealed.index().id);
        if let Some(event) = events.iter_mut().find(|e| e.record == record && e.change.is_none()) {
            event.change = Some(change.id);
        }
    }
}

/// The audit event of a clinical write, before it names the record.
fn clinical_event(body: &ChangeBody, clinical: &ClinicalBody) -> NewEvent {
    let write = |section: Section| NewEvent::allowed(Action::Write, Some(section), body.patient());
    match clinical {
        ClinicalBody::NoteDrafted(note) => note_event(Action::Write, note),
        ClinicalBody::NoteSigned(note) => note_event(Action::Sign, note),
        ClinicalBody::NoteAmended(note) => note_event(Action::Amend, note),
        ClinicalBody::VitalsRecorded(_) => write(Section::Vitals),
        ClinicalBody::AllergyRecorded(_) => write(Section::Allergies),
        ClinicalBody::ProblemRecorded(_) => write(Section::Problems),
        ClinicalBody::PrescriptionIssued(_) => {
            NewEvent::allowed(Action::Sign, Some(Section::Prescriptions), body.patient())
        }
        ClinicalBody::LabReported(_) => write(Section::Results),
    }
}
