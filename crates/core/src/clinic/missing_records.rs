//! Deleted and rolled-back clinical records, found when a chart is opened. Every clinical write's
//! audit event names the record it put and the change that put it, so:
//!
//! - a change the audit log names that the change log no longer holds was deleted;
//! - a record the change log holds that the chart does not was deleted from the chart;
//! - a record the chart shows at another version than the newest in the log, or than the newest
//!   the audit log names, was rolled back (an earlier, genuinely signed version put back over
//!   the newest one) or replaced outside the app (a colleague's own signed version).
//!
//! The audit events themselves are hash-chained and pinned by every user's logins, so deleting
//! the events as well is found at the next login whose pin lies beyond them
//! (`docs/security-model.md`).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use uuid::Uuid;

use super::sealed_rows::Opened;
use crate::Result;

/// A record the chart shows and the change its sealed bytes name.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shown {
    pub record: Uuid,
    pub change: Uuid,
}

/// How many clinical records of `patient` were deleted or rolled back, given what opening the
/// chart's sealed rows found. Records of kinds the reader did not read are not looked for. Two
/// index-only queries: the patient's clinical changes, and the audited ones.
pub(super) fn count(conn: &Connection, patient: Uuid, opened: &Opened) -> Result<u32> {
    let patient = patient.to_string();
    // The log, by record, oldest change first: its records, their newest change, every change.
    let mut records: Vec<(String, String)> = Vec::new();
    let mut newest_logged: BTreeMap<String, String> = BTreeMap::new();
    let mut logged: BTreeSet<String> = BTreeSet::new();
    let mut stmt = conn.prepare_cached(
        "SELECT entity_kind, entity_id, id FROM changes WHERE patient_id = ?1 AND sealed IS NOT NULL
         ORDER BY entity_kind, entity_id, hlc_wall, hlc_counter, device, id",
    )?;
    let mut rows = stmt.query([&patient])?;
    while let Some(row) = rows.next()? {
        let (kind, record, change): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        if newest_logged.insert(record.clone(), change.clone()).is_none() {
            records.push((kind, record));
        }
        logged.insert(change);
    }
    let mut gone: BTreeSet<String> = BTreeSet::new();
    // Records the log holds that the chart does not hold as the same kind of record.
    for (kind, record) in records {
        if opened.read_kind(&kind) && !opened.holds(&kind, &record) {
            gone.insert(record);
        }
    }
    // Audited changes the log no longer holds; the newest audited change of each record.
    let mut newest_audited: BTreeMap<String, String> = BTreeMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT record_id, change_id FROM audit_records WHERE patient_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([&patient])?;
    while let Some(row) = rows.next()? {
        let (record, change): (String, String) = (row.get(0)?, row.get(1)?);
        if !logged.contains(&change) {
            gone.insert(record.clone());
        }
        newest_audited.insert(record, change);
    }
    // Records shown at another version than the newest the log holds, or the newest the audit
    // log names (a version put back over a newer one, or one written outside the app).
    for s in &opened.shown {
        let (record, change) = (s.record.to_string(), s.change.to_string());
        let stale = newest_logged.get(&record) != Some(&change)
            || newest_audited.get(&record).is_some_and(|audited| audited != &change);
        if stale {
            gone.insert(record);
        }
    }
    Ok(u32::try_from(gone.len()).unwrap_or(u32::MAX))
}
