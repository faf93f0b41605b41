//! Which alerts an administrator acknowledged: read from the change log, each acknowledgement's
//! signature checked against the verified membership chain, and its author an administrator at
//! the link it names. A row typed into the database with raw SQL is not signed by an
//! administrator's key and acknowledges nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use super::verified::{blob, check};
use crate::changelog::{AuthorKeys, LoggedBody, OpenBody};
use crate::Result;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: String,
}

/// The newest verified acknowledgement of each alert, with the events it covered.
pub(crate) fn verified(
    conn: &Connection,
    authors: &dyn AuthorKeys,
) -> Result<HashMap<String, (Acknowledgement, Vec<String>)>> {
    let mut stmt = conn.prepare(
        "SELECT signed, signature FROM changes WHERE entity_kind = 'alert_ack' ORDER BY hlc_wall, hlc_counter",
    )?;
    let rows = stmt.query_map([], |row| Ok((blob(row, 0), blob(row, 1))))?;
    let mut acks = HashMap::new();
    for row in rows {
        let (bytes, signature) = row?;
        let Some(verified) = check(bytes, signature, authors) else { continue };
        let change = verified.signed();
        if let LoggedBody::Open(OpenBody::AlertAcknowledged { alert, comment, events }) = change.body() {
            let at = DateTime::<Utc>::from_timestamp_millis(change.hlc().wall_ms).unwrap_or_default();
            let ack = Acknowledgement { by: change.author().to_string(), at, comment: comment.clone() };
            acks.insert(alert.clone(), (ack, events.clone()));
        }
    }
    Ok(acks)
}
