//! The device's side of sync, in the chart database: sealing its own changes into its gap-free
//! run of envelopes, the frontier it holds, and applying a page of received envelopes in one
//! transaction — so the frontier (the cursor) moves exactly when the page's changes commit.

mod apply;

use ed25519_dalek::SigningKey;
use mamori_core::replication::{self, AuthorKeys};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub use apply::{apply_page, apply_page_at, PageReport, FAR_AHEAD_MS};

use crate::error::Result;
use crate::wire::{genesis_prev, DataKey, Envelope, Frontier, Hash32, Header, Position, ServerState};

const SCHEMA: &str = include_str!("schema.sql");

/// Who this device is in the clinic, and the keys it seals and signs with.
pub struct DeviceIdentity {
    /// The clinic root key's fingerprint.
    pub clinic: Hash32,
    pub device: String,
    pub signing_key: SigningKey,
    /// The clinic data keys this device holds: changes are sealed under the newest, and opened
    /// under the one their envelope names.
    pub data_keys: Vec<DataKey>,
}

impl DeviceIdentity {
    /// The key new envelopes are sealed under: the newest epoch's.
    pub fn sealing_key(&self) -> Result<&DataKey> {
        self.data_keys.iter().max_by_key(|k| k.epoch).ok_or(crate::Error::UnknownDataKey(0))
    }

    /// The key of `epoch`, to open an envelope sealed under it.
    pub fn data_key(&self, epoch: u32) -> Result<&DataKey> {
        self.data_keys.iter().find(|k| k.epoch == epoch).ok_or(crate::Error::UnknownDataKey(epoch))
    }
}

/// Whose keys are whose, from the verified membership chain: users' signing keys and roles
/// (for the change inside) and devices' signing keys (for the envelope).
pub trait Directory: AuthorKeys {
    fn device_key(&self, device: &str) -> Option<Hash32>;

    /// Whether the device's envelope `seq` counts: a revoked device's count only up to the cut-off
    /// its revoking link names, whoever hands them over.
    fn takes_envelope(&self, device: &str, seq: u64) -> bool {
        let _ = (device, seq);
        true
    }

    /// The chain link that accepted the device's enrollment: no change it carries can name an
    /// earlier one.
    fn enrolled_at(&self, device: &str) -> u64 {
        let _ = device;
        0
    }
}

/// Creates the sync tables if they are missing.
pub fn prepare(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// The highest envelope held per device, with its hash.
pub fn frontier(conn: &Connection) -> Result<Frontier> {
    // One index seek per device (hopping from device to device), not a scan of every envelope:
    // the engine reads the frontier for every page.
    let mut stmt = conn.prepare_cached(&crate::wire::frontier::frontier_query("sync_envelopes"))?;
    let rows =
        stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?)))?;
    let mut frontier = Frontier::default();
    for row in rows {
        let (device, seq, hash) = row?;
        frontier.0.insert(device, position(seq, &hash));
    }
    Ok(frontier)
}

fn position(seq: i64, hash: &[u8]) -> Position {
    Position { seq: u64::try_from(seq).unwrap_or(0), hash: hash.try_into().unwrap_or([0; 32]) }
}

pub(crate) fn position_of(conn: &Connection, device: &str) -> Result<Option<Position>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM sync_envelopes WHERE device = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([device], |row| Ok(position(row.get(0)?, &row.get::<_, Vec<u8>>(1)?)))
        .optional()?)
}

/// Seals this device's changes written since the last call into envelopes, numbered after the
/// last one it holds, in one transaction. Returns how many were sealed.
pub fn seal_pending(conn: &mut Connection, me: &DeviceIdentity, limit: usize) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let sealed_through: i64 = tx
        .query_row("SELECT sealed_through FROM sync_outbox WHERE singleton = 1", [], |row| row.get(0))
        .optional()?
        .unwrap_or(0);
    let mut last = position_of(&tx, &me.device)?;
    let sealing = me.sealing_key()?;
    let mut sealed = 0;
    let mut through = sealed_through;
    for (local, change) in replication::own_changes_after(&tx, &me.device, sealed_through, limit)? {
        through = local;
        // A change already in an envelope (this device restored from a backup pulled its own
        // envelopes back from the server) is not sealed twice — if that envelope really holds it.
        let held: Option<Vec<u8>> = tx
            .prepare_cached("SELECT bytes FROM sync_envelopes WHERE device = ?1 AND change_id = ?2")?
            .query_row(params![me.device, change.id().to_string()], |row| row.get(0))
            .optional()?;
        if held.and_then(|bytes| opened_change(me, bytes)).is_some_and(|held| held.bytes() == change.bytes()) {
            continue;
        }
        let header = Header {
            clinic: me.clinic,
            device: me.device.clone(),
            seq: last.map_or(1, |p| p.seq + 1),
            prev: last.map_or_else(|| genesis_prev(&me.clinic, &me.device), |p| p.hash),
            cdk_epoch: sealing.epoch,
            chain_seq: change.chain_seq(),
            nonce: [0; 24],
        };
        let envelope = Envelope::seal(header, &change, sealing, &me.signing_key)?;
        insert(&tx, &envelope, &change.id().to_string())?;
        last = Some(Position { seq: envelope.header().seq, hash: envelope.hash() });
        sealed += 1;
    }
    tx.execute(
        "INSERT INTO sync_outbox (singleton, sealed_through) VALUES (1, ?1)
         ON CONFLICT (singleton) DO UPDATE SET sealed_through = excluded.sealed_through",
        [through],
    )?;
    tx.commit()?;
    Ok(sealed)
}

/// Finds this device's own changes the outbox cursor has passed that left in no envelope (the
/// cursor moved with raw SQL, or an envelope planted in a change's place) and moves the cursor
/// back before the first, so the next seal sends them. Returns how many there were.
pub fn recheck_outbox(conn: &Connection, me: &DeviceIdentity) -> Result<u64> {
    let Some(sealed_through) = conn
        .query_row("SELECT sealed_through FROM sync_outbox WHERE singleton = 1", [], |row| row.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(0);
    };
    // What left is read from the envelopes themselves (opened with the data key), never from
    // their `change_id` column, which raw SQL can set to a colleague's change.
    let mut sent = std::collections::HashSet::new();
    let mut stmt = conn.prepare_cached("SELECT bytes FROM sync_envelopes WHERE device = ?1")?;
    for bytes in stmt.query_map([&me.device], |row| row.get::<_, Vec<u8>>(0))? {
        if let Some(change) = opened_change(me, bytes?) {
            sent.insert(change.bytes().to_vec());
        }
    }
    let unsent: Vec<i64> = replication::own_changes_through(conn, &me.device, sealed_through)?
        .into_iter()
        .filter(|(_, _, signed)| !sent.contains(signed))
        .map(|(local, _, _)| local)
        .collect();
    let Some(first) = unsent.first() else { return Ok(0) };
    conn.execute("UPDATE sync_outbox SET sealed_through = ?1 WHERE singleton = 1", [first - 1])?;
    mamori_core::log_safe!(warn, "own changes the outbox had passed over are sent now", changes = unsent.len());
    Ok(unsent.len() as u64)
}

/// The change an envelope of this device carries, if it opens with a key this device holds.
fn opened_change(me: &DeviceIdentity, bytes: Vec<u8>) -> Option<replication::SignedChange> {
    let envelope = Envelope::from_bytes(bytes).ok()?;
    envelope.open(me.data_key(envelope.header().cdk_epoch).ok()?).ok()
}

/// Drops this device's own envelopes from `seq` on: the server refused the one at `seq`, so none
/// of them reached anyone. The changes they carried are sealed again at the next round.
pub fn discard_own_from(conn: &Connection, me: &DeviceIdentity, seq: u64) -> Result<usize> {
    let dropped = conn.execute(
        "DELETE FROM sync_envelopes WHERE device = ?1 AND seq >= ?2",
        params![me.device, i64::try_from(seq).unwrap_or(i64::MAX)],
    )?;
    mamori_core::log_safe!(warn, "own envelopes the server refused are sealed again", from = seq, dropped = dropped);
    Ok(dropped)
}

pub(crate) fn insert(conn: &Connection, envelope: &Envelope, change_id: &str) -> Result<()> {
    let h = envelope.header();
    conn.prepare_cached(
        "INSERT INTO sync_envelopes (device, seq, hash, change_id, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        h.device,
        i64::try_from(h.seq).unwrap_or(i64::MAX),
        &envelope.hash()[..],
        change_id,
        envelope.bytes()
    ])?;
    Ok(())
}

/// What the server lacks of what this replica holds, in (device, sequence) order, at most
/// `limit`: this device's own envelopes and, after a server restore, other devices' too.
pub fn envelopes_beyond(conn: &Connection, server: &Frontier, limit: usize) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (device, held) in frontier(conn)?.0 {
        let from = server.seq(&device);
        if held.seq <= from {
            continue;
        }
        let left = limit.saturating_sub(out.len());
        if left == 0 {
            break;
        }
        let mut stmt = conn
            .prepare_cached("SELECT bytes FROM sync_envelopes WHERE device = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
        let rows = stmt.query_map(
            params![device, i64::try_from(from).unwrap_or(i64::MAX), i64::try_from(left).unwrap_or(i64::MAX)],
            |row| row.get::<_, Vec<u8>>(0),
        )?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// What the server held at its last answer, per device.
pub fn server_held(conn: &Connection) -> Result<Frontier> {
    let mut stmt = conn.prepare_cached("SELECT device, seq FROM sync_server_held")?;
    let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
    let mut held = Frontier::default();
    for row in rows {
        let (device, seq) = row?;
        held.0.insert(device, position(seq, &[0; 32]));
    }
    Ok(held)
}

/// Records what the server says it holds. Returns how many envelopes it had acknowledged before
/// and no longer holds (a restore from an older backup): they will be pushed again.
pub fn note_server(conn: &Connection, state: &ServerState) -> Result<u64> {
    let before = server_held(conn)?;
    let lost = state.frontier.behind(&before);
    conn.execute("DELETE FROM sync_server_held", [])?;
    let mut insert = conn.prepare_cached("INSERT INTO sync_server_held (device, seq) VALUES (?1, ?2)")?;
    for (device, p) in &state.frontier.0 {
        // A claim is believed only with the hash of the envelope this device holds there: a
        // server cannot know the hash of an envelope it never received, so one claiming more
        // than it holds is given everything again (and the same bytes again are harmless).
        let local: Option<Vec<u8>> = conn
            .prepare_cached("SELECT hash FROM sync_envelopes WHERE device = ?1 AND seq = ?2")?
            .query_row(params![device, i64::try_from(p.seq).unwrap_or(i64::MAX)], |row| row.get(0))
            .optional()?;
        let believed = match local {
            Some(hash) if hash != p.hash => 0,
            _ => p.seq,
        };
        insert.execute(params![device, i64::try_from(believed).unwrap_or(i64::MAX)])?;
    }
    Ok(lost)
}

/// Envelopes this replica holds that the server, at its last answer, did not.
pub fn waiting(conn: &Connection) -> Result<u64> {
    Ok(server_held(conn)?.behind(&frontier(conn)?))
}

/// Changes applied that were stamped far ahead of this device's clock when they arrived.
pub fn clock_flag_count(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row("SELECT count(*) FROM sync_clock_flags", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Envelopes held whose change was not applied, for an administrator.
pub fn set_aside_count(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row("SELECT count(*) FROM sync_set_aside", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Tries again the changes set aside because they named a chain link or an author this device
/// did not know yet (the chain has moved on since). Returns how many were applied now.
pub fn retry_set_aside(conn: &mut Connection, me: &DeviceIdentity, directory: &dyn Directory) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let waiting: Vec<(String, i64, Vec<u8>)> = tx
        .prepare(
            "SELECT a.device, a.seq, e.bytes FROM sync_set_aside a
             JOIN sync_envelopes e ON e.device = a.device AND e.seq = a.seq ORDER BY a.device, a.seq",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut applied = 0;
    for (device, seq, bytes) in waiting {
        let Ok(envelope) = Envelope::from_bytes(bytes) else { continue };
        let Ok(verified) = apply::open_checked(&tx, &envelope, me, directory, None) else { continue };
        if apply::import_alone(&tx, &verified).is_ok() {
            tx.execute("DELETE FROM sync_set_aside WHERE device = ?1 AND seq = ?2", params![device, seq])?;
            applied += 1;
        }
    }
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
mod tests;
