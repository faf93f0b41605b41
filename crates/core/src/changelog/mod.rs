//! The change log: every write appended once, applied to state in the same transaction; replaying
//! the log rebuilds the state exactly.

mod apply;
mod change;
mod digest;
pub mod hlc;
pub mod record;
pub mod sealed;
#[cfg(test)]
mod tests;

use rusqlite::{params, Connection};
use uuid::Uuid;

pub use apply::apply;
pub(crate) use change::Change;
pub use change::{ChangeBody, ClinicalBody, OpenBody};
pub use digest::state_digest;
pub use hlc::{Hlc, HlcClock};
pub use record::{AuthorKeys, Authorship, RecordKeys, RecordPlace, RowIndex};
pub use sealed::{ClinicalIndex, ClinicalKind, ClinicalOp, LoggedBody, SealedBody};

use crate::store::migrations::STATE_TABLES;
use crate::{Error, Result};

/// Appends `change` to the log. Call inside the transaction that applies it.
pub fn append(conn: &Connection, change: &Change) -> Result<()> {
    let (kind, entity_id) = change.body.entity();
    let (encoded, sealed) = match &change.body {
        LoggedBody::Open(body) => (serde_json::to_string(body), None),
        LoggedBody::Sealed(body) => (serde_json::to_string(body.index()), Some(body.record())),
    };
    let body = encoded.map_err(|_| Error::InvalidState("a change could not be encoded"))?;
    conn.prepare_cached(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, patient_id, body,
             sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        change.id.to_string(),
        change.hlc.wall_ms,
        change.hlc.counter,
        change.author,
        change.device,
        kind,
        entity_id,
        change.body.patient().map(|p| p.to_string()),
        body,
        sealed
    ])?;
    let entity = uuid::Uuid::parse_str(&entity_id).ok();
    crate::log_safe!(
        debug,
        "change appended",
        kind = kind,
        change = change.id,
        entity = entity,
        patient = change.body.patient(),
        sealed = sealed.is_some()
    );
    Ok(())
}

/// The newest stamp in the log, so a reopened device keeps issuing later ones.
pub fn last_stamp(conn: &Connection) -> Result<Hlc> {
    let stamp = conn.query_row(
        "SELECT hlc_wall, hlc_counter FROM changes ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
        [],
        |row| Ok(Hlc { wall_ms: row.get(0)?, counter: row.get(1)? }),
    );
    match stamp {
        Ok(hlc) => Ok(hlc),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Hlc::default()),
        Err(other) => Err(other.into()),
    }
}

pub fn count(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row("SELECT count(*) FROM changes", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Clears every state table and replays the whole log in clock order. Call inside a transaction.
/// Returns how many changes were replayed. `progress(done, total)` is told after each change.
pub fn rebuild(conn: &Connection, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
    let total = count(conn)?;
    progress(0, total);
    for table in STATE_TABLES {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut stmt = conn.prepare("SELECT id, body, sealed FROM changes ORDER BY hlc_wall, hlc_counter, device, id")?;
    let mut rows = stmt.query([])?;
    let mut replayed = 0;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let body: String = row.get(1)?;
        let sealed: Option<Vec<u8>> = row.get(2)?;
        let body = match sealed {
            None => read_open(&body, id)?,
            Some(record) => serde_json::from_str(&body)
                .map(|index| LoggedBody::Sealed(SealedBody::from_log(index, record)))
                .map_err(|_| Error::UnreadableChange { id })?,
        };
        apply(conn, &body)?;
        replayed += 1;
        progress(replayed, total);
    }
    Ok(replayed)
}

/// An entry kept in the clear. Only open bodies have a plaintext form; a clinical operation
/// found here (written by a pre-release version before section keys) is refused, never applied.
fn read_open(body: &str, id: String) -> Result<LoggedBody> {
    if let Ok(open) = serde_json::from_str::<OpenBody>(body) {
        return Ok(LoggedBody::Open(open));
    }
    let op = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| v.get("op").cloned());
    match op.map(serde_json::from_value::<ClinicalOp>) {
        Some(Ok(_)) => Err(Error::InvalidState(
            "the change log holds a clinical change in the clear; it was written by a pre-release \
             version without section keys and cannot be used",
        )),
        _ => Err(Error::UnreadableChange { id }),
    }
}

/// A new change id: UUIDv7 at the stamp's wall time.
pub fn new_change_id(hlc: Hlc) -> Result<Uuid> {
    let mut random = [0u8; 10];
    crate::secret::fill_random(&mut random)?;
    Ok(uuid::Builder::from_unix_timestamp_millis(u64::try_from(hlc.wall_ms).unwrap_or(0), &random).into_uuid())
}
