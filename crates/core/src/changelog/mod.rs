//! The change log: every write appended once, applied to state in the same transaction; replaying
//! the log rebuilds the state exactly.

mod amendments;
mod apply;
mod change;
mod chart_numbers;
mod digest;
mod field_merge;
#[cfg(test)]
mod field_merge_tests;
pub mod hlc;
pub mod merge;
#[cfg(test)]
mod merge_tests;
pub mod record;
pub mod sealed;
pub mod signed;
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
pub use signed::SignedChange;

use crate::store::migrations::STATE_TABLES;
use crate::{Error, Result};

/// Signs a change written on this device, names the record's current heads as the changes it
/// replaces, appends it and puts it into state. Call inside the write's transaction.
pub(crate) fn record_local(
    conn: &Connection,
    mut change: Change,
    key: &ed25519_dalek::SigningKey,
) -> Result<SignedChange> {
    change.replaces = merge::current_heads(conn, &change)?;
    // Stamped after every head it replaces (whatever this device's clock says), so "replaces"
    // always points back in stamp order and a head from a clock far ahead is still replaced.
    if let Some(newest) = change.replaces.first() {
        let head = stamp_of(conn, newest)?;
        if change.hlc <= head {
            change.hlc = Hlc { wall_ms: head.wall_ms, counter: head.counter.saturating_add(1) };
        }
    }
    let signed = SignedChange::sign(change, key)?;
    append_signed(conn, &signed)?;
    // It replaces every head, so it is the record's only head now.
    apply(conn, signed.body())?;
    let (kind, entity) = signed.body().entity();
    conn.prepare_cached("DELETE FROM merge_conflicts WHERE entity_kind = ?1 AND entity_id = ?2")?
        .execute(params![kind, entity])?;
    if let Some(note) = amendments::amended_by(signed.body()) {
        amendments::flag(conn, &note)?;
    }
    Ok(signed)
}

fn stamp_of(conn: &Connection, id: &uuid::Uuid) -> Result<Hlc> {
    Ok(conn
        .prepare_cached("SELECT hlc_wall, hlc_counter FROM changes WHERE id = ?1")?
        .query_row([id.to_string()], |row| Ok(Hlc { wall_ms: row.get(0)?, counter: row.get(1)? }))?)
}

/// Appends a signed change to the log with its parents. Call inside a transaction.
pub(crate) fn append_signed(conn: &Connection, signed: &SignedChange) -> Result<()> {
    let change = signed.change();
    let (kind, entity_id) = change.body.entity();
    let (encoded, sealed) = match &change.body {
        LoggedBody::Open(body) => (serde_json::to_string(body), None),
        LoggedBody::Sealed(body) => (serde_json::to_string(body.index()), Some(body.record())),
    };
    let body = encoded.map_err(|_| Error::InvalidState("a change could not be encoded"))?;
    conn.prepare_cached(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, patient_id, body,
             sealed, signed, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
        sealed,
        signed.bytes(),
        &signed.signature()[..]
    ])?;
    merge::record_parents(conn, change)?;
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
/// (Only this device's own: a change from another device stamped at the end of time must not
/// drag this device's clock there; causality travels in `replaces`, not in stamps.)
pub fn last_stamp(conn: &Connection, device: &str) -> Result<Hlc> {
    let stamp = conn.query_row(
        "SELECT hlc_wall, hlc_counter FROM changes WHERE device = ?1 ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
        [device],
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

/// Clears every state table and puts each record's newest head back (`merge`). Call inside a
/// transaction. Returns how many records were put. `progress(done, total)` is told after each.
pub fn rebuild(conn: &Connection, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
    for table in STATE_TABLES {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
    }
    merge::settle_all(conn, progress)
}

/// A logged change's body as the log keeps it: open bodies in the clear, clinical ones as their
/// index beside the sealed record.
pub(crate) fn read_logged(id: String, body: &str, sealed: Option<Vec<u8>>) -> Result<LoggedBody> {
    match sealed {
        None => read_open(body, id),
        Some(record) => serde_json::from_str(body)
            .map(|index| LoggedBody::Sealed(SealedBody::from_log(index, record)))
            .map_err(|_| Error::UnreadableChange { id }),
    }
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
