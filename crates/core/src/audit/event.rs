//! An audit event: who did what to which patient's which section, when, and whether it was
//! allowed. Metadata only — never chart content, never a search's query text.
//!
//! The JSON form of [`AuditEvent`] is the export schema (docs/audit-events.md) and the exact bytes
//! the hash chain covers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::domain::Role;
use crate::policy::Section;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "AuditAction")]
pub enum Action {
    Read,
    Search,
    Write,
    Sign,
    Amend,
    Export,
    Print,
    Login,
    Logout,
    Lock,
    LoginFailed,
    Denied,
    BreakGlass,
    Admin,
    /// Something a user had verified was found changed (the audit log below their pin): an alert.
    Tampering,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "AuditOutcome")]
pub enum Outcome {
    Allowed,
    Denied,
}

/// One line of the audit log, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditEvent {
    /// Position in this device's chain, from 1, without gaps.
    pub seq: u64,
    pub id: Uuid,
    /// RFC 3339, UTC.
    pub at: DateTime<Utc>,
    pub user: String,
    pub role: Role,
    pub device: String,
    pub patient: Option<Uuid>,
    pub section: Option<Section>,
    pub action: Action,
    pub outcome: Outcome,
    /// Why: the typed reason of a break-the-glass access, or what an admin action did.
    pub reason: Option<String>,
    pub break_glass: bool,
    /// For a search: the patients it listed.
    pub patients_listed: Vec<Uuid>,
    /// For a chart opened whole: every section it served (one event per chart open).
    pub sections_read: Vec<Section>,
    /// The account an event is about when that is not the actor: the user a failed login tried
    /// (recorded by whoever logs in next when the password was wrong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// For a clinical write: the record it put (note version, vitals, prescription …). A record
    /// the log names that the chart no longer holds was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Uuid>,
    /// For a clinical write: the change that put it (a draft note's versions share the record
    /// id; each has its own change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Uuid>,
}

/// An event before it has a place in the chain.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub patient: Option<Uuid>,
    pub section: Option<Section>,
    pub action: Action,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub patients_listed: Vec<Uuid>,
    pub sections_read: Vec<Section>,
    /// Done under a break-the-glass grant.
    pub break_glass: bool,
    pub subject: Option<String>,
    pub record: Option<Uuid>,
    pub change: Option<Uuid>,
}

impl NewEvent {
    pub fn allowed(action: Action, section: Option<Section>, patient: Option<Uuid>) -> Self {
        Self {
            patient,
            section,
            action,
            outcome: Outcome::Allowed,
            reason: None,
            patients_listed: Vec::new(),
            sections_read: Vec::new(),
            break_glass: false,
            subject: None,
            record: None,
            change: None,
        }
    }

    pub fn denied(section: Section, patient: Option<Uuid>) -> Self {
        Self {
            patient,
            section: Some(section),
            action: Action::Denied,
            outcome: Outcome::Denied,
            reason: None,
            patients_listed: Vec::new(),
            sections_read: Vec::new(),
            break_glass: false,
            subject: None,
            record: None,
            change: None,
        }
    }

    /// A login as `user` refused (wrong password or one-time code); the reason says which.
    pub fn failed_login(user: &str, reason: impl Into<String>) -> Self {
        let mut event = Self::allowed(Action::LoginFailed, None, None).with_reason(reason);
        event.outcome = Outcome::Denied;
        event.subject = Some(user.to_string());
        event
    }

    /// Tampering found by a check (an alert): what was found, about whose verified state.
    pub fn tampering(user: &str, reason: impl Into<String>) -> Self {
        let mut event = Self::allowed(Action::Tampering, Some(Section::Administration), None).with_reason(reason);
        event.subject = Some(user.to_string());
        event
    }

    /// An administrative act (users, keys, settings, audit) and what it did.
    pub fn admin(reason: impl Into<String>) -> Self {
        Self::allowed(Action::Admin, Some(Section::Administration), None).with_reason(reason)
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}
