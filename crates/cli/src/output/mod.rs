//! How results reach the terminal and the spreadsheet: tables aligned by display width, CSV that
//! a spreadsheet cannot run, progress bars on long work, and the wire names of event kinds.

pub mod csv;
pub mod progress;
pub mod table;

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

/// Writes a new file (an export, a context, records for an inspector) and flushes it; an existing
/// file is left alone and named in the error.
pub fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("could not create {} (an existing file is not overwritten)", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("could not write {}", path.display()))
}

/// The name a value has in the JSON export and in docs/audit-events.md (`login_failed`,
/// `break_glass`, …), taken from its serde form so the terminal and the JSON never disagree.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

#[cfg(test)]
mod tests {
    use mamori_core::audit::{Action, Outcome};
    use mamori_core::policy::Section;

    use super::wire_name;

    #[test]
    fn event_kinds_print_with_their_documented_snake_case_names() {
        let docs = include_str!("../../../../docs/audit-events.md");
        let documented = |name: &str| docs.contains(&format!("`{name}`"));
        for (action, name) in [
            (Action::LoginFailed, "login_failed"),
            (Action::BreakGlass, "break_glass"),
            (Action::Read, "read"),
            (Action::Admin, "admin"),
        ] {
            assert_eq!(wire_name(&action), name);
            assert!(documented(name), "{name} is not in docs/audit-events.md");
        }
        assert_eq!(wire_name(&Outcome::Denied), "denied");
        assert_eq!(wire_name(&Section::NursingNotes), "nursing_notes");
        assert!(documented("nursing_notes"));
    }
}
