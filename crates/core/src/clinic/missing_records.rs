//! Deleted clinical records, found when a chart is opened: every clinical write's audit event
//! names the record it put, so a record the audit log names that the chart or the change log no
//! longer holds was deleted behind the app's back (raw SQL on the database). The audit events
//! themselves are hash-chained and pinned by every user's logins, so deleting the event as well
//! is found at the next login whose pin lies beyond it (`docs/security-model.md`).

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

/// How many clinical records of `patient` the audit log says were written and that either the
/// chart (state tables) or the change log no longer holds. Call inside a write transaction: it
/// catches up the audit report index first.
pub(super) fn count(conn: &Connection, patient: Uuid) -> Result<u32> {
    crate::audit::catch_up_reports(conn)?;
    let held: Vec<String> =
        KINDS.iter().map(|k| format!("SELECT id FROM {} WHERE patient_id = ?1", k.table())).collect();
    let sql = format!(
        "SELECT count(DISTINCT a.record_id) FROM audit_records a
         WHERE a.patient_id = ?1
           AND (a.record_id NOT IN ({})
                OR NOT EXISTS (SELECT 1 FROM changes c
                               WHERE c.patient_id = ?1 AND c.entity_id = a.record_id AND c.sealed IS NOT NULL))",
        held.join(" UNION ALL ")
    );
    let missing: i64 = conn.prepare_cached(&sql)?.query_row([patient.to_string()], |row| row.get(0))?;
    Ok(u32::try_from(missing).unwrap_or(u32::MAX))
}
