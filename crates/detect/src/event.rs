//! An audit event as `mamori audit export --format jsonl` writes it (`docs/audit-events.md`);
//! fields the detector does not use (the chain's sequence, the record written) are skipped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reception,
    Nurse,
    Doctor,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    Tampering,
    /// An action a newer Mamori writes that this detector does not know: kept, never a chart access.
    #[serde(other)]
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub at: DateTime<Utc>,
    pub user: String,
    pub role: Role,
    pub device: String,
    #[serde(default)]
    pub patient: Option<String>,
    #[serde(default)]
    pub section: Option<String>,
    pub action: Action,
    pub outcome: Outcome,
    #[serde(default)]
    pub break_glass: bool,
    /// For a failed login: the account that was tried.
    #[serde(default)]
    pub subject: Option<String>,
}

impl Event {
    /// An allowed look at or change to one patient's chart (searches list patients, they do not
    /// open them).
    pub fn chart_access(&self) -> Option<&str> {
        let opens = matches!(
            self.action,
            Action::Read | Action::Write | Action::Sign | Action::Amend | Action::Print | Action::Export
        );
        if opens && self.outcome == Outcome::Allowed {
            self.patient.as_deref()
        } else {
            None
        }
    }
}

/// Reads events from JSON lines; names the line of the first that does not parse.
pub fn read_jsonl(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}
