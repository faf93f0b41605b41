//! Reports over the audit log: all events, one patient's ("who opened this chart"), one user's,
//! and the alerts. Lookups by patient and by user go through derived index tables that a report
//! catches up before it runs, so an audited read writes one row, not one row and two index entries.

use rusqlite::{Connection, OptionalExtension};

use super::{AuditEvent, Filter};
use crate::{Error, Result};

/// Events in chain order, filtered. Call inside a write transaction (it catches the report
/// index up first).
pub fn events(conn: &Connection, filter: &Filter) -> Result<Vec<AuditEvent>> {
    catch_up(conn)?;
    let (sql, arg) = match filter {
        Filter::All | Filter::Alerts => ("SELECT body FROM audit_events WHERE ?1 IS NULL ORDER BY seq", None),
        Filter::Patient(id) => (
            "SELECT e.body FROM audit_by_patient i JOIN audit_events e ON e.seq = i.seq
             WHERE i.patient_id = ?1 ORDER BY i.seq",
            Some(id.to_string()),
        ),
        Filter::User(user) => (
            "SELECT e.body FROM audit_by_user i JOIN audit_events e ON e.seq = i.seq
             WHERE i.user_name = ?1 ORDER BY i.seq",
            Some(user.clone()),
        ),
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

/// Files every event appended since the last report under its patient and its user.
fn catch_up(conn: &Connection) -> Result<()> {
    let done: i64 = conn
        .query_row("SELECT seq FROM audit_report_position WHERE singleton = 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    conn.execute(
        "INSERT OR IGNORE INTO audit_by_patient (patient_id, seq)
         SELECT patient_id, seq FROM audit_events WHERE seq > ?1 AND patient_id IS NOT NULL",
        [done],
    )?;
    // A user's report also lists what happened to their account (failed logins on it).
    conn.execute(
        "INSERT OR IGNORE INTO audit_by_user (user_name, seq)
         SELECT user_name, seq FROM audit_events WHERE seq > ?1
         UNION SELECT json_extract(body, '$.subject'), seq FROM audit_events
             WHERE seq > ?1 AND json_extract(body, '$.subject') IS NOT NULL",
        [done],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO audit_report_position (singleton, seq)
         VALUES (1, (SELECT coalesce(max(seq), 0) FROM audit_events))",
        [],
    )?;
    Ok(())
}

/// The first event whose report index entries disagree with it (missing, stray or altered), so a
/// report cannot silently leave out an access; `None` when they agree.
pub(super) fn first_misfiled(conn: &Connection) -> Result<Option<u64>> {
    let first: Option<i64> = conn.query_row(
        "WITH filed AS (SELECT coalesce((SELECT seq FROM audit_report_position), 0) AS upto),
              people AS (SELECT seq, user_name AS name FROM audit_events
                         UNION SELECT seq, json_extract(body, '$.subject') FROM audit_events
                             WHERE json_extract(body, '$.subject') IS NOT NULL)
         SELECT min(seq) FROM (
             SELECT seq FROM (SELECT seq, patient_id FROM audit_events, filed
                              WHERE patient_id IS NOT NULL AND seq <= filed.upto
                              EXCEPT SELECT seq, patient_id FROM audit_by_patient)
             UNION ALL
             SELECT seq FROM (SELECT seq, patient_id FROM audit_by_patient
                              EXCEPT SELECT seq, patient_id FROM audit_events)
             UNION ALL
             SELECT seq FROM (SELECT seq, name FROM people, filed WHERE seq <= filed.upto
                              EXCEPT SELECT seq, user_name FROM audit_by_user)
             UNION ALL
             SELECT seq FROM (SELECT seq, user_name FROM audit_by_user
                              EXCEPT SELECT seq, name FROM people)
             UNION ALL
             SELECT seq FROM (SELECT seq, patient_id, json_extract(body, '$.record'), json_extract(body, '$.change')
                              FROM audit_events
                              WHERE json_extract(body, '$.change') IS NOT NULL
                              EXCEPT SELECT seq, patient_id, record_id, change_id FROM audit_records)
             UNION ALL
             SELECT seq FROM (SELECT seq, patient_id, record_id, change_id FROM audit_records
                              EXCEPT SELECT seq, patient_id, json_extract(body, '$.record'), json_extract(body, '$.change')
                              FROM audit_events)
         )",
        [],
        |r| r.get(0),
    )?;
    Ok(first.map(|seq| u64::try_from(seq).unwrap_or(0)))
}
