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
        let rows = stmt.query_map(params![kind, entity], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (bytes, signature) = row?;
            let verified = SignedChange::from_parts(bytes, &signature).and_then(|s| VerifiedChange::check(s, authors));
            match verified {
                Ok(change) => {
                    if let LoggedBody::Open(body) = change.signed().body() {
                        bodies.insert(entity.to_string(), body.clone());
                    }
                    break;
                }
                Err(_) => crate::log_safe!(warn, "a change the detector would read does not verify; ignored"),
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
    let keys: Vec<String> = stmt.query_map(params![prefix, len], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
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
