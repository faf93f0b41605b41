//! The alerts table: what the last scans found, one row per alert. A row's id is the rule, the
//! user and the first event that made it, so a scan that finds the same alert grown (more
//! events, a later end) updates it rather than adding another.

use chrono::{DateTime, Utc};
use mamori_detect::Alert;
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use super::verified::text;
use crate::Result;

/// The alert's stable id.
pub(crate) fn alert_id(alert: &Alert) -> String {
    let first = alert.events.first().map_or("", String::as_str);
    let digest = Sha256::digest(format!("{}\u{1f}{}\u{1f}{first}", alert.rule.as_str(), alert.user).as_bytes());
    hex::encode(&digest[..8])
}

/// Keeps `alerts`, found at `now` over the events since `since`: new ones are added, grown ones
/// updated (a kept row keeps the time it was first found), and those of that window the scan no
/// longer finds — explained since by a roster or a visit entered later — are dropped.
pub(crate) fn keep(conn: &Connection, alerts: &[Alert], since: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
    let found: Vec<String> = alerts.iter().map(alert_id).collect();
    let mut stale = conn.prepare("SELECT id FROM alerts WHERE from_at >= ?1")?;
    let stale: Vec<String> = stale
        .query_map([since.to_rfc3339()], |r| Ok(text(r, 0)))?
        .filter_map(|id| id.ok().flatten())
        .filter(|id| !found.contains(id))
        .collect();
    for id in &stale {
        conn.execute("DELETE FROM alerts WHERE id = ?1", [id])?;
    }
    let mut added = 0;
    for alert in alerts {
        let body =
            serde_json::to_string(alert).map_err(|_| crate::Error::InvalidState("an alert could not be encoded"))?;
        let changed = conn
            .prepare_cached(
                "INSERT INTO alerts (id, rule, severity, user_name, from_at, to_at, found_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, to_at = excluded.to_at,
                     body = excluded.body",
            )?
            .execute(params![
                alert_id(alert),
                alert.rule.as_str(),
                severity_str(alert.severity),
                alert.user,
                alert.from.to_rfc3339(),
                alert.to.to_rfc3339(),
                now.to_rfc3339(),
                body
            ])?;
        added += changed;
    }
    Ok(added)
}

pub(crate) fn severity_str(severity: mamori_detect::Severity) -> &'static str {
    match severity {
        mamori_detect::Severity::Low => "low",
        mamori_detect::Severity::Medium => "medium",
        mamori_detect::Severity::High => "high",
    }
}

/// One stored alert: its id, when it was first found, and the alert as the detector gave it.
pub(crate) struct Stored {
    pub id: String,
    pub found_at: DateTime<Utc>,
    pub alert: serde_json::Value,
}

/// Every stored alert, newest first; a row that does not parse (edited in the database) is left
/// out — the next scan writes it again from the audit log.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare("SELECT id, found_at, body FROM alerts ORDER BY from_at DESC, id")?;
    let rows = stmt.query_map([], |row| Ok((text(row, 0), text(row, 1), text(row, 2))))?;
    let mut stored = Vec::new();
    for row in rows {
        let (Some(id), Some(found_at), Some(body)) = row? else { continue };
        let (Ok(found_at), Ok(alert)) = (DateTime::parse_from_rfc3339(&found_at), serde_json::from_str(&body)) else {
            continue;
        };
        stored.push(Stored { id, found_at: found_at.with_timezone(&Utc), alert });
    }
    Ok(stored)
}
