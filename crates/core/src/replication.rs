//! What the sync engine needs from the chart store, and nothing more: this device's signed
//! changes in the order they were written, and the one way a change from another device enters
//! the log and state ([`import`], after [`VerifiedChange::check`]). The store's own tables stay
//! private to the core.

use rusqlite::Connection;

pub use crate::changelog::merge::{import, Imported, VerifiedChange};
pub use crate::changelog::signed::{SignedChange, MAX_CHANGE_BYTES};
pub use crate::changelog::{AuthorKeys, Hlc};

use crate::Result;

/// This device's own signed changes after the local position `after` (0 for the start), oldest
/// first, at most `limit`, each with its local position. Changes from before signed changes
/// (schema version 10) have no signed bytes and are never sent.
pub fn own_changes_after(
    conn: &Connection,
    device: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<(i64, SignedChange)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, signed, signature FROM changes
         WHERE device = ?1 AND seq > ?2 AND signed IS NOT NULL ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![device, after, i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, Vec<u8>>(2)?))
    })?;
    rows.map(|row| {
        let (seq, bytes, signature) = row?;
        Ok((seq, SignedChange::from_parts(bytes, &signature)?))
    })
    .collect()
}

/// This device's own signed changes at or before local position `through`, oldest first: (local
/// position, id, exact signed bytes), to check that every one of them left in an envelope.
pub fn own_changes_through(conn: &Connection, device: &str, through: i64) -> Result<Vec<(i64, String, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, signed FROM changes WHERE device = ?1 AND seq <= ?2 AND signed IS NOT NULL ORDER BY seq",
    )?;
    let rows = stmt.query_map(rusqlite::params![device, through], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One audit event as stored: (sequence, exact body, hash).
pub type AuditEntry = (u64, Vec<u8>, [u8; 32]);

/// This device's audit events after `after`, oldest first, at most `limit`: (sequence, the exact
/// stored body its hash covers, hash). Only metadata: who, role, device, patient id, section,
/// what, when, allowed or refused, reason — never chart content (`docs/audit-events.md`).
pub fn audit_events_after(conn: &Connection, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, body, hash FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = stmt.query_map(
        rusqlite::params![i64::try_from(after).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, Vec<u8>>(2)?)),
    )?;
    rows.map(|row| {
        let (seq, body, hash) = row?;
        let hash: [u8; 32] =
            hash.try_into().map_err(|_| crate::Error::InvalidState("an audit hash has the wrong length"))?;
        Ok((u64::try_from(seq).unwrap_or(0), body.into_bytes(), hash))
    })
    .collect()
}

/// The hash of audit event `seq` (empty for 0, the start of the chain).
pub fn audit_hash_at(conn: &Connection, seq: u64) -> Result<Vec<u8>> {
    if seq == 0 {
        return Ok(Vec::new());
    }
    Ok(conn.query_row(
        "SELECT hash FROM audit_events WHERE seq = ?1",
        [i64::try_from(seq).unwrap_or(i64::MAX)],
        |row| row.get(0),
    )?)
}

pub use crate::audit::event_hash as audit_event_hash;

/// The newest stamp among `device`'s own changes, so a reopened device keeps issuing later ones.
pub fn last_stamp(conn: &Connection, device: &str) -> Result<Hlc> {
    crate::changelog::last_stamp(conn, device)
}

/// A fingerprint of the whole derived state: two replicas that hold the same changes give the same.
pub fn state_digest(conn: &Connection) -> Result<String> {
    crate::changelog::state_digest(conn)
}

/// How many records have concurrent newest versions, flagged for review.
pub fn conflict_count(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row("SELECT count(*) FROM merge_conflicts", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// How many changes the log holds.
pub fn change_count(conn: &Connection) -> Result<u64> {
    crate::changelog::count(conn)
}

/// Raw access for the sync simulation and its tests: a chart schema on any connection, and local
/// writes that skip the session, its policy and its audit events. Never in a product binary.
#[cfg(feature = "replica-testing")]
pub mod testing {
    use ed25519_dalek::SigningKey;
    use rusqlite::{Connection, TransactionBehavior};

    use crate::changelog::{self, Change, Hlc, OpenBody, SignedChange};
    use crate::Result;

    /// Creates or upgrades the chart schema on `conn`.
    pub fn migrate(conn: &mut Connection) -> Result<()> {
        crate::store::migrations::migrate(conn)
    }

    /// Writes an open change on this device as `author`, in its own transaction, the way a
    /// session does: it replaces the record's current heads.
    pub fn write_open(
        conn: &mut Connection,
        author: &str,
        key: &SigningKey,
        device: &str,
        hlc: Hlc,
        body: OpenBody,
    ) -> Result<SignedChange> {
        write_open_at(conn, author, key, device, hlc, body, 0)
    }

    /// [`write_open`], naming membership chain link `chain_seq` as the author's.
    pub fn write_open_at(
        conn: &mut Connection,
        author: &str,
        key: &SigningKey,
        device: &str,
        hlc: Hlc,
        body: OpenBody,
        chain_seq: u64,
    ) -> Result<SignedChange> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = changelog::new_change_id(hlc)?;
        let change = Change {
            id,
            hlc,
            author: author.into(),
            device: device.into(),
            chain_seq,
            replaces: Vec::new(),
            body: body.into(),
        };
        let signed = changelog::record_local(&tx, change, key)?;
        tx.commit()?;
        Ok(signed)
    }
}
