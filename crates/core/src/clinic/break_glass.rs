//! Break-the-glass: a user opens a section their role lacks, for one patient, for a limited time,
//! after typing a reason. The grant, every access under it and its expiry are audited and flagged.
//! Grants allow reading only, and vanish when the session locks.
//!
//! Clinical sections are sealed under the clinical section key, which only doctors and nurses
//! hold (and they already read every clinical section): a reception or admin session asking for
//! one is refused, and the refusal is audited and flagged like a grant. So the glass opens
//! demographic and appointment sections, e.g. for an admin identifying a patient named by an alert.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::domain::validation::{required_text, Field, Problem};
use crate::policy::{self, Access, Section};
use crate::{Error, Result};

pub const GRANT_MINUTES: i64 = 30;
/// A break-the-glass reason shorter than this says nothing.
const MIN_REASON_CHARS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct BreakGlassGrant {
    pub patient: Uuid,
    pub section: Section,
    pub until: DateTime<Utc>,
    pub reason: String,
}

impl Clinic {
    /// Opens `section` of one patient's chart for reading, for 30 minutes, with a typed reason.
    pub fn break_glass(&mut self, patient: Uuid, section: Section, reason: &str) -> Result<BreakGlassGrant> {
        self.check_idle()?;
        let reason = required_text(Field::Reason, reason, 200)?;
        if reason.chars().count() < MIN_REASON_CHARS {
            return Err(Error::invalid(Field::Reason, Problem::ReasonTooShort { min: MIN_REASON_CHARS }));
        }
        if section == Section::Administration {
            return Err(Error::invalid(Field::Section, Problem::NotBreakable));
        }
        if policy::allows(self.user.role, section, Access::Read) {
            return Err(Error::invalid(Field::Section, Problem::AlreadyAllowed));
        }
        self.load_patient(patient)?;
        if section.is_clinical() && !policy::holds_clinical_key(self.user.role) {
            // Clinical content is sealed under a key this role never holds: no grant can open it.
            let mut refused = NewEvent::denied(section, Some(patient))
                .with_reason(format!("break-the-glass refused: sealed clinical section ({reason})"));
            refused.break_glass = true;
            // The typed reason often names the patient: it goes to the audit log, never here.
            crate::log_safe!(
                warn,
                "break-the-glass refused: sealed clinical section",
                section = section,
                role = self.user.role,
                patient = patient
            );
            self.record(vec![refused])?;
            return Err(Error::SealedSection { section: section.as_str() });
        }
        let grant = BreakGlassGrant {
            patient,
            section,
            until: self.now() + Duration::minutes(GRANT_MINUTES),
            reason: reason.clone(),
        };
        let mut event = NewEvent::allowed(Action::BreakGlass, Some(section), Some(patient)).with_reason(reason);
        event.break_glass = true;
        self.record(vec![event])?;
        crate::log_safe!(
            warn,
            "break-the-glass grant opened",
            section = section,
            role = self.user.role,
            patient = patient,
            minutes = GRANT_MINUTES
        );
        self.grants.push(grant.clone());
        Ok(grant)
    }

    /// The grants still running (for the UI's countdown).
    pub fn break_glass_grants(&self) -> &[BreakGlassGrant] {
        &self.grants
    }

    /// True when a running grant lets this session read `section` of `patient`.
    pub(super) fn granted(&self, patient: Option<Uuid>, section: Section, access: Access) -> bool {
        let now = self.now();
        access == Access::Read
            && patient
                .is_some_and(|p| self.grants.iter().any(|g| g.patient == p && g.section == section && g.until > now))
    }

    /// Ends grants whose time is up, recording each expiry.
    pub(super) fn expire_grants(&mut self) -> Result<()> {
        let now = self.now();
        let (expired, running): (Vec<_>, Vec<_>) = self.grants.drain(..).partition(|g| g.until <= now);
        self.grants = running;
        if !expired.is_empty() {
            crate::log_safe!(info, "break-the-glass grants expired", grants = expired.len());
        }
        let events: Vec<NewEvent> = expired
            .into_iter()
            .map(|g| {
                let mut event = NewEvent::allowed(Action::BreakGlass, Some(g.section), Some(g.patient))
                    .with_reason(format!("grant expired at {}", g.until.to_rfc3339()));
                event.break_glass = true;
                event
            })
            .collect();
        self.record(events)
    }
}
