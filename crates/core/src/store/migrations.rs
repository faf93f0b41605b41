//! Embedded, versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! A hand-written runner rather than rusqlite_migration or refinery: both cap rusqlite at 0.40
//! (SQLCipher 4.14), and we keep rusqlite 0.43 (SQLCipher 4.20). All pending steps and the
//! version bump commit in one transaction, so a crash never leaves a half-migrated database.

use rusqlite::{Connection, TransactionBehavior};

use crate::{Error, Result};

/// Step `i` moves the schema from version `i` to `i + 1`. Never edit a step that has shipped.
const STEPS: &[&str] = &[
    include_str!("../../migrations/0001_chart.sql"),
    include_str!("../../migrations/0002_audit.sql"),
    include_str!("../../migrations/0003_second_factor.sql"),
    include_str!("../../migrations/0004_settings.sql"),
    include_str!("../../migrations/0005_user_status.sql"),
    include_str!("../../migrations/0006_section_keys.sql"),
    include_str!("../../migrations/0007_audit_checkpoints.sql"),
    include_str!("../../migrations/0008_membership_chain.sql"),
    include_str!("../../migrations/0009_signed_records.sql"),
    include_str!("../../migrations/0010_replication.sql"),
    include_str!("../../migrations/0011_data_keys.sql"),
    include_str!("../../migrations/0012_given_chart_numbers.sql"),
    include_str!("../../migrations/0013_vault_records.sql"),
    include_str!("../../migrations/0014_alerts.sql"),
];

pub fn latest_version() -> i64 {
    STEPS.len() as i64
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > latest_version() {
        crate::log_safe!(error, "chart schema newer than this build", found = current, supported = latest_version());
        return Err(Error::SchemaTooNew { found: current, supported: latest_version() });
    }
    for step in &STEPS[usize::try_from(current).unwrap_or(0)..] {
        tx.execute_batch(step)?;
    }
    if current != latest_version() {
        tx.pragma_update(None, "user_version", latest_version())?;
    }
    tx.commit()?;
    if current != latest_version() {
        crate::log_safe!(info, "chart schema migrated", from = current, to = latest_version());
    }
    Ok(())
}

/// Tables that hold state derived from the change log, in the order they are cleared for a rebuild.
pub const STATE_TABLES: &[&str] = &[
    "patient_fts",
    "patient_name_keys",
    "appointments",
    "lab_reports",
    "prescriptions",
    "problems",
    "allergies",
    "vitals",
    "notes",
    "encounters",
    "patients",
    "users",
    "clinic_settings",
    "merge_conflicts",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(version, latest_version());
        conn.pragma_update(None, "user_version", latest_version() + 1).expect("bump");
        assert!(matches!(migrate(&mut conn), Err(Error::SchemaTooNew { .. })));
    }
}
