//! The tamper-evident audit log: who opened, searched, wrote, signed or was refused what, kept
//! as a per-device hash chain whose head is signed with the device's Ed25519 key. Events are
//! appended in the same transaction as the action they record.

mod chain;
mod event;
mod identity;
mod reasons;
mod reports;

use uuid::Uuid;

pub use chain::{append, check_pin, event_hash, head, verify, Actor, PinBreak, Verdict, SIGN_EVERY};
pub use event::{Action, AuditEvent, NewEvent, Outcome};
pub use identity::DeviceIdentity;
pub use reasons::{explain, ExplainedEvent, ReasonCode};
pub use reports::events;

/// Which events a report covers.
#[derive(Clone, Debug)]
pub enum Filter {
    All,
    Patient(Uuid),
    User(String),
    /// What an administrator should look at: break-the-glass, refusals and failed logins.
    Alerts,
}

impl AuditEvent {
    /// True for the events the admin's alert list shows.
    pub fn is_alert(&self) -> bool {
        self.break_glass
            || self.outcome == Outcome::Denied
            || matches!(self.action, Action::LoginFailed | Action::Tampering)
    }
}
