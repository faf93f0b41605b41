//! The tamper-evident audit log: who opened, searched, wrote, signed or was refused what, kept
//! as a per-device hash chain whose head is signed with the device's Ed25519 key. Events are
//! appended in the same transaction as the action they record.

mod chain;
mod event;
mod identity;

use rusqlite::Connection;
use uuid::Uuid;

pub use chain::{append, event_hash, verify, Actor, Verdict};
pub use event::{Action, AuditEvent, NewEvent, Outcome};
pub use identity::DeviceIdentity;

use crate::{Error, Result};

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
        self.break_glass || self.outcome == Outcome::Denied || self.action == Action::LoginFailed
    }
}

/// Events in chain order, filtered.
pub fn events(conn: &Connection, filter: &Filter) -> Result<Vec<AuditEvent>> {
    let (sql, arg) = match filter {
        Filter::All | Filter::Alerts => ("SELECT body FROM audit_events WHERE ?1 IS NULL ORDER BY seq", None),
        Filter::Patient(id) => {
            ("SELECT body FROM audit_events WHERE patient_id = ?1 ORDER BY seq", Some(id.to_string()))
        }
        Filter::User(user) => ("SELECT body FROM audit_events WHERE user_name = ?1 ORDER BY seq", Some(user.clone())),
    };
    let mut stmt = conn.prepare(sql)?;
    let bodies = stmt.query_map([arg], |row| row.get::<_, String>(0))?;
    let events: Vec<AuditEvent> = bodies
        .map(|body| {
            serde_json::from_str(&body?)
                .map_err(|_| Error::InvalidState("an audit event is unreadable; run `mamori audit verify`"))
        })
        .collect::<Result<_>>()?;
    Ok(match filter {
        Filter::Alerts => events.into_iter().filter(AuditEvent::is_alert).collect(),
        _ => events,
    })
}
