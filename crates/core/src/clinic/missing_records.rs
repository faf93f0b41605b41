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

use crate::changelog::ClinicalKind;
use crate::Result;

const KINDS: [ClinicalKind; 6] = [
    ClinicalKind::Note,
    ClinicalKind::Vitals,
    ClinicalKind::Allergy,
    ClinicalKind::Problem,
    ClinicalKind::Prescription,
    ClinicalKind::LabReport,
];

/// A record the chart shows and the change its sealed bytes name.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shown {
    pub record: Uuid,
    pub change: Uuid,
}

/// How many clinical records of `patient` were deleted or rolled back, given the records the
/// chart shows.
pub(super) fn count(conn: &Connection, patient: Uuid, shown: &[Shown]) -> Result<u32> {
    let patient = patient.to_string();
    let mut gone: BTreeSet<String> = BTreeSet::new();
    // Audited changes the log no longer holds.
    gone.extend(strings(
        conn,
        "SELECT DISTINCT a.record_id FROM audit_records a
         WHERE a.patient_id = ?1 AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.id = a.change_id)",
        &patient,
    )?);
    // Records the log holds that the chart does not hold as the same kind of record.
    let missing_by_kind: Vec<String> = KINDS
        .iter()
        .map(|k| {
            format!(
                "SELECT entity_id FROM changes
                 WHERE patient_id = ?1 AND sealed IS NOT NULL AND entity_kind = '{}'
                   AND entity_id NOT IN (SELECT id FROM {} WHERE patient_id = ?1)",
                k.entity_kind(),
                k.table()
            )
        })
        .collect();
    gone.extend(strings(conn, &missing_by_kind.join(" UNION "), &patient)?);
    // Records shown at another version than the newest the log holds, or the newest the audit
    // log names (a version put back over a newer one, or one written outside the app).
    let newest_logged = newest(
        conn,
        "SELECT entity_id, id FROM changes WHERE patient_id = ?1 AND sealed IS NOT NULL
         ORDER BY hlc_wall, hlc_counter, device, id",
        &patient,
    )?;
    let newest_audited =
        newest(conn, "SELECT record_id, change_id FROM audit_records WHERE patient_id = ?1 ORDER BY seq", &patient)?;
    for s in shown {
        let (record, change) = (s.record.to_string(), s.change.to_string());
        let stale = newest_logged.get(&record) != Some(&change)
            || newest_audited.get(&record).is_some_and(|audited| audited != &change);
        if stale {
            gone.insert(record);
        }
    }
    Ok(u32::try_from(gone.len()).unwrap_or(u32::MAX))
}

/// The last value per key of a `key, value` query, in its order.
fn newest(conn: &Connection, sql: &str, patient: &str) -> Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([patient], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
    let mut newest = BTreeMap::new();
    for row in rows {
        let (key, value) = row?;
        newest.insert(key, value);
    }
    Ok(newest)
}

fn strings(conn: &Connection, sql: &str, patient: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([patient], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
