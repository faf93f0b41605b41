//! The embedded default: one SQLite file. It holds only envelopes (ciphertext and headers), so
//! it is not encrypted again; the back office's disk should be (the posture page says so).

use std::path::Path;
use std::sync::{Arc, Mutex};

use mamori_sync::wire::{Frontier, Position};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{AuditEntry, AuditStorage, BatchPage, Incoming, RequestCounters, ShippedBatch, Storage, Stored};
use crate::{Error, Result};

mod chain;
use mamori_sync::wire::{AuditOutcome, Hash32};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    instance   TEXT NOT NULL
);
-- Every device's envelopes, each (device, sequence) once, gap-free from 1.
CREATE TABLE IF NOT EXISTS envelopes (
    device  TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    hash    BLOB NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS envelopes_are_never_updated BEFORE UPDATE ON envelopes
BEGIN SELECT RAISE(ABORT, 'envelopes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS envelopes_are_never_deleted BEFORE DELETE ON envelopes
BEGIN SELECT RAISE(ABORT, 'envelopes are append-only'); END;
-- Each device's highest request counter (replays refused).
CREATE TABLE IF NOT EXISTS request_counters (
    device   TEXT PRIMARY KEY,
    counter  INTEGER NOT NULL
) WITHOUT ROWID;
-- The membership chain, verified before it is stored, and the data key wraps for devices.
CREATE TABLE IF NOT EXISTS chain_links (
    seq        INTEGER PRIMARY KEY,
    body       BLOB NOT NULL,
    signature  BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS chain_links_are_never_updated BEFORE UPDATE ON chain_links
BEGIN SELECT RAISE(ABORT, 'chain links are append-only'); END;
CREATE TRIGGER IF NOT EXISTS chain_links_are_never_deleted BEFORE DELETE ON chain_links
BEGIN SELECT RAISE(ABORT, 'chain links are append-only'); END;
CREATE TABLE IF NOT EXISTS key_wraps (
    device  TEXT NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (device, bytes)
) WITHOUT ROWID;
-- Users' vault records, newest version each (checked against the chain before they are kept).
CREATE TABLE IF NOT EXISTS vault_records (
    user       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    signature  BLOB NOT NULL
) WITHOUT ROWID;
-- What each device said of itself at its last check-in (server time).
CREATE TABLE IF NOT EXISTS device_reports (
    device       TEXT PRIMARY KEY,
    last_seen    INTEGER NOT NULL,
    app_version  TEXT NOT NULL,
    waiting      INTEGER NOT NULL,
    leased_at    INTEGER
) WITHOUT ROWID;
-- Wiped devices' signed acknowledgements (the first each sent).
CREATE TABLE IF NOT EXISTS wipe_acks (
    device     TEXT PRIMARY KEY,
    bytes      BLOB NOT NULL,
    signature  BLOB NOT NULL
) WITHOUT ROWID;
-- Every device's audit events as shipped (metadata only), and rewrites refused.
CREATE TABLE IF NOT EXISTS audit_events (
    device      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    body        BLOB NOT NULL,
    patient_id  TEXT,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_events_by_patient ON audit_events (patient_id) WHERE patient_id IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS audit_events_are_never_updated BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_events_are_never_deleted BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
-- The signed batches those events came in, for administrators' devices to check them.
CREATE TABLE IF NOT EXISTS audit_batches (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,
    device     TEXT NOT NULL,
    newest_at  INTEGER NOT NULL,
    bytes      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_batches_by_time ON audit_batches (newest_at);
CREATE TRIGGER IF NOT EXISTS audit_batches_are_never_updated BEFORE UPDATE ON audit_batches
BEGIN SELECT RAISE(ABORT, 'audit batches are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_batches_are_never_deleted BEFORE DELETE ON audit_batches
BEGIN SELECT RAISE(ABORT, 'audit batches are append-only'); END;
CREATE TABLE IF NOT EXISTS audit_forks (
    device  TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    hash    BLOB NOT NULL,
    body    BLOB NOT NULL,
    PRIMARY KEY (device, seq, hash)
) WITHOUT ROWID;
-- Other bytes offered at a place already held: refused, and kept for an administrator.
CREATE TABLE IF NOT EXISTS forks (
    device  TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    hash    BLOB NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (device, seq, hash)
) WITHOUT ROWID;
";

#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the server database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Corrupt("the database could not switch to write-ahead logging"));
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT OR IGNORE INTO server_identity (singleton, instance) VALUES (1, ?1)",
            [Uuid::new_v4().to_string()],
        )?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Writes a consistent copy of the database to `path` (a backup).
    pub fn backup_to(&self, path: &Path) -> Result<()> {
        let conn = self.lock();
        conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut conn)
        })
        .await
        .map_err(|_| Error::TaskFailed)?
    }
}

fn frontier_of(conn: &Connection) -> Result<Frontier> {
    let mut stmt = conn.prepare_cached(&mamori_sync::wire::frontier::frontier_query("envelopes"))?;
    let rows =
        stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?)))?;
    let mut frontier = Frontier::default();
    for row in rows {
        let (device, seq, hash) = row?;
        frontier.0.insert(device, position(seq, &hash)?);
    }
    Ok(frontier)
}

fn position(seq: i64, hash: &[u8]) -> Result<Position> {
    Ok(Position {
        seq: u64::try_from(seq).map_err(|_| Error::Corrupt("a negative sequence"))?,
        hash: hash.try_into().map_err(|_| Error::Corrupt("a hash of the wrong length"))?,
    })
}

pub(super) fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl Storage for SqliteStorage {
    async fn instance(&self) -> Result<Uuid> {
        self.with(|conn| {
            let instance: String = conn.query_row("SELECT instance FROM server_identity", [], |row| row.get(0))?;
            Uuid::parse_str(&instance).map_err(|_| Error::Corrupt("the instance id"))
        })
        .await
    }

    async fn frontier(&self) -> Result<Frontier> {
        self.with(|conn| frontier_of(conn)).await
    }

    async fn append(&self, batch: Vec<Incoming>) -> Result<Vec<Stored>> {
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for incoming in batch {
                let held = tx
                    .prepare_cached("SELECT seq, hash FROM envelopes WHERE device = ?1 ORDER BY seq DESC LIMIT 1")?
                    .query_row([&incoming.device], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)))
                    .optional()?
                    .map(|(seq, hash)| position(seq, &hash))
                    .transpose()?;
                let held_seq = held.map_or(0, |p| p.seq);
                let outcome = if incoming.seq <= held_seq {
                    let stored: Vec<u8> = tx
                        .prepare_cached("SELECT hash FROM envelopes WHERE device = ?1 AND seq = ?2")?
                        .query_row(params![incoming.device, sql_seq(incoming.seq)], |row| row.get(0))?;
                    if stored == incoming.hash {
                        Stored::AlreadyHeld
                    } else {
                        Stored::Fork
                    }
                } else if incoming.seq != held_seq + 1 {
                    Stored::Gap { held: held_seq }
                } else if incoming.prev != held.map_or(incoming.genesis, |p| p.hash) {
                    Stored::Fork
                } else {
                    tx.prepare_cached("INSERT INTO envelopes (device, seq, hash, bytes) VALUES (?1, ?2, ?3, ?4)")?
                        .execute(params![incoming.device, sql_seq(incoming.seq), &incoming.hash[..], incoming.bytes])?;
                    Stored::Stored
                };
                if outcome == Stored::Fork {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO forks (device, seq, hash, bytes) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![
                        incoming.device,
                        sql_seq(incoming.seq),
                        &incoming.hash[..],
                        incoming.bytes
                    ])?;
                    mamori_core::log_safe!(warn, "a device offered a second history", seq = incoming.seq);
                }
                outcomes.push(outcome);
            }
            tx.commit()?;
            Ok(outcomes)
        })
        .await
    }

    async fn page(&self, have: &Frontier, limit: u32) -> Result<(Vec<Vec<u8>>, bool)> {
        let have = have.clone();
        self.with(move |conn| {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let mut out = Vec::new();
            let mut more = false;
            for (device, held) in frontier_of(conn)?.0 {
                let from = have.seq(&device);
                if held.seq <= from {
                    continue;
                }
                let left = limit.saturating_sub(out.len());
                if left == 0 {
                    more = true;
                    break;
                }
                let mut stmt = conn.prepare_cached(
                    "SELECT bytes FROM envelopes WHERE device = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![device, sql_seq(from), sql_seq(left as u64)], |row| row.get(0))?;
                for row in rows {
                    out.push(row?);
                }
                if held.seq - from > left as u64 {
                    more = true;
                }
            }
            Ok((out, more))
        })
        .await
    }
}

impl RequestCounters for SqliteStorage {
    async fn advance_counter(&self, device: &str, counter: u64) -> Result<std::result::Result<(), u64>> {
        let device = device.to_owned();
        self.with(move |conn| {
            let counter = i64::try_from(counter).map_err(|_| Error::Corrupt("a counter beyond 2^63"))?;
            let changed = conn.execute(
                "INSERT INTO request_counters (device, counter) VALUES (?1, ?2)
                 ON CONFLICT (device) DO UPDATE SET counter = excluded.counter WHERE excluded.counter > counter",
                params![device, counter],
            )?;
            if changed == 1 {
                return Ok(Ok(()));
            }
            let held: i64 =
                conn.query_row("SELECT counter FROM request_counters WHERE device = ?1", [&device], |row| row.get(0))?;
            Ok(Err(u64::try_from(held).unwrap_or(0) + 1))
        })
        .await
    }
}

impl AuditStorage for SqliteStorage {
    async fn append_audit(
        &self,
        device: &str,
        prev: Option<Hash32>,
        entries: Vec<AuditEntry>,
        shipped: ShippedBatch,
    ) -> Result<(AuditOutcome, u64, Hash32)> {
        let device = device.to_owned();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let head = |tx: &rusqlite::Transaction<'_>| -> Result<(u64, Hash32)> {
                let row: Option<(i64, Vec<u8>)> = tx
                    .query_row(
                        "SELECT seq, hash FROM audit_events WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
                        [&device],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                Ok(match row {
                    Some((seq, hash)) => (u64::try_from(seq).unwrap_or(0), hash.try_into().unwrap_or([0; 32])),
                    None => (0, [0; 32]),
                })
            };
            let (held, held_hash) = head(&tx)?;
            let first = entries.first().map_or(0, |e| e.seq);
            let outcome = if let Some(refused) = super::audit_boundary(held, &held_hash, first, prev) {
                refused
            } else {
                let mut outcome = AuditOutcome::AlreadyHeld;
                for entry in &entries {
                    if entry.seq <= held {
                        let stored: Vec<u8> = tx.query_row(
                            "SELECT hash FROM audit_events WHERE device = ?1 AND seq = ?2",
                            params![device, sql_seq(entry.seq)],
                            |row| row.get(0),
                        )?;
                        if stored != entry.hash {
                            tx.execute(
                                "INSERT OR IGNORE INTO audit_forks (device, seq, hash, body) VALUES (?1, ?2, ?3, ?4)",
                                params![device, sql_seq(entry.seq), &entry.hash[..], entry.body],
                            )?;
                            outcome = AuditOutcome::Fork;
                            break;
                        }
                    } else {
                        tx.execute(
                            "INSERT INTO audit_events (device, seq, hash, body, patient_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![device, sql_seq(entry.seq), &entry.hash[..], entry.body, entry.patient],
                        )?;
                        outcome = AuditOutcome::Stored;
                    }
                }
                outcome
            };
            if outcome == AuditOutcome::Fork {
                mamori_core::log_safe!(warn, "a device offered a rewritten audit chain", seq = first);
            }
            if outcome == AuditOutcome::Stored {
                tx.execute(
                    "INSERT INTO audit_batches (device, newest_at, bytes) VALUES (?1, ?2, ?3)",
                    params![device, shipped.newest_at, shipped.bytes],
                )?;
            }
            let (seq, hash) = head(&tx)?;
            tx.commit()?;
            Ok((outcome, seq, hash))
        })
        .await
    }

    async fn audit_batches(&self, since: i64, after: u64, limit: usize) -> Result<BatchPage> {
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT number, bytes FROM audit_batches WHERE number > ?1 AND newest_at >= ?2 ORDER BY number LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![sql_seq(after), since, sql_seq(limit as u64 + 1)], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })?;
            let mut batches = Vec::new();
            for row in rows {
                let (number, bytes) = row?;
                batches.push((u64::try_from(number).unwrap_or(0), bytes));
            }
            let more = batches.len() > limit;
            batches.truncate(limit);
            Ok((batches, more))
        })
        .await
    }

    async fn audit_for_patient(&self, patient: &str) -> Result<Vec<(String, u64, Vec<u8>)>> {
        let patient = patient.to_owned();
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT device, seq, body FROM audit_events WHERE patient_id = ?1 ORDER BY device, seq",
            )?;
            let rows =
                stmt.query_map([patient], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get(2)?)))?;
            rows.map(|row| {
                let (device, seq, body) = row?;
                Ok((device, u64::try_from(seq).unwrap_or(0), body))
            })
            .collect()
        })
        .await
    }
}
