//! Rule zero for the detector's context: trust comes from signatures, not rows. What can
//! explain an access away or quiet a rule — appointments and visits, the roster, clinic hours,
//! staff profiles — is read from the change log, the newest change of each record whose author's
//! signature and role the verified membership chain accept. A row typed into a state table with
//! raw SQL (an appointment that never was, an on-call shift nobody entered) counts for nothing.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::changelog::merge::VerifiedChange;
use crate::changelog::{AuthorKeys, LoggedBody, OpenBody, SignedChange};
use crate::Result;

/// A column's bytes if it holds a blob, whatever else a raw edit put there (text, NULL): such a
/// row is skipped, never an error that would stop the administrator's list.
pub(crate) fn blob(row: &rusqlite::Row<'_>, column: usize) -> Option<Vec<u8>> {
    match row.get_ref(column) {
        Ok(rusqlite::types::ValueRef::Blob(bytes)) => Some(bytes.to_vec()),
        _ => None,
    }
}

/// A column's text if it holds text.
pub(crate) fn text(row: &rusqlite::Row<'_>, column: usize) -> Option<String> {
    match row.get_ref(column) {
        Ok(rusqlite::types::ValueRef::Text(bytes)) => String::from_utf8(bytes.to_vec()).ok(),
        _ => None,
    }
}

/// A stored change, if its signature and its author's role check against the chain.
pub(crate) fn check(
    signed: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    authors: &dyn AuthorKeys,
) -> Option<VerifiedChange> {
    let change = SignedChange::from_parts(signed?, &signature?).and_then(|s| VerifiedChange::check(s, authors));
    match change {
        Ok(change) => Some(change),
        Err(_) => {
            crate::log_safe!(warn, "a change the detector would read does not verify; ignored");
            None
        }
    }
}

/// The newest verified open body of each `kind` record among `entities`.
pub(crate) fn newest_bodies<'a>(
    conn: &Connection,
    authors: &dyn AuthorKeys,
    kind: &str,
    entities: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, OpenBody>> {
    let mut stmt = conn.prepare_cached(
        "SELECT signed, signature FROM changes WHERE entity_kind = ?1 AND entity_id = ?2
         ORDER BY hlc_wall DESC, hlc_counter DESC, device DESC, id DESC",
    )?;
    let mut bodies = HashMap::new();
    for entity in entities {
        let rows = stmt.query_map(params![kind, entity], |r| Ok((blob(r, 0), blob(r, 1))))?;
        for row in rows {
            let (bytes, signature) = row?;
            if let Some(change) = check(bytes, signature, authors) {
                if let LoggedBody::Open(body) = change.signed().body() {
                    bodies.insert(entity.to_string(), body.clone());
                }
                break;
            }
        }
    }
    Ok(bodies)
}

/// The newest verified value of every clinic setting whose key starts with `prefix`.
pub(crate) fn settings(conn: &Connection, authors: &dyn AuthorKeys, prefix: &str) -> Result<Vec<(String, String)>> {
    let len = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare(
        "SELECT DISTINCT entity_id FROM changes WHERE entity_kind = 'setting' AND substr(entity_id, 1, ?2) = ?1
         ORDER BY entity_id",
    )?;
    let keys: Vec<String> =
        stmt.query_map(params![prefix, len], |r| Ok(text(r, 0)))?.filter_map(|k| k.ok().flatten()).collect();
    let bodies = newest_bodies(conn, authors, "setting", keys.iter().map(String::as_str))?;
    let mut values: Vec<(String, String)> = bodies
        .into_values()
        .filter_map(|body| match body {
            OpenBody::SettingChanged { key, value } => Some((key, value)),
            _ => None,
        })
        .collect();
    values.sort();
    Ok(values)
}
