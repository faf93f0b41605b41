//! PostgreSQL, for clinics that run more than one server process on one database. Everything a
//! process knows lives in the database: the instance id, the envelopes and the refused forks, so
//! any number of processes can serve the same clinic. Appends for one device are serialised by a
//! transaction-scoped advisory lock, so two processes offering the same device's next envelope
//! store it once.

mod chain_and_audit;

use std::collections::BTreeSet;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use mamori_sync::wire::{Frontier, Position};
use tokio_postgres::{IsolationLevel, NoTls};
use uuid::Uuid;

use super::{Incoming, RequestCounters, Storage, Stored};
use crate::{Error, Result};

/// The first key of every advisory lock this backend takes (the second names what is locked), so
/// its locks cannot collide with another application's on the same database.
const LOCK_SPACE: i32 = 0x4d_4d_52; // "MMR"
/// Second key of the lock that serialises schema creation between processes starting together.
const SCHEMA_LOCK: i32 = 0;

/// Idempotent, and run under [`SCHEMA_LOCK`]: PostgreSQL's `IF NOT EXISTS` is not safe against a
/// second process creating the same object at the same moment (duplicate key in the catalogue).
/// `device` is collated "C" so the database orders devices byte-wise, as Rust and SQLite do.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    instance   TEXT NOT NULL
);
-- Every device's envelopes, each (device, sequence) once, gap-free from 1.
CREATE TABLE IF NOT EXISTS envelopes (
    device  TEXT COLLATE \"C\" NOT NULL,
    seq     BIGINT NOT NULL CHECK (seq > 0),
    hash    BYTEA NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (device, seq)
);
CREATE OR REPLACE FUNCTION envelopes_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'envelopes are append-only'; END $$;
-- Statement-level, so TRUNCATE (which fires no row triggers) is refused too.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'envelopes_are_append_only' AND tgrelid = 'envelopes'::regclass) THEN
        CREATE TRIGGER envelopes_are_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON envelopes
        FOR EACH STATEMENT EXECUTE FUNCTION envelopes_are_append_only();
    END IF;
END $$;
-- Other bytes offered at a place already held: refused, and kept for an administrator.
CREATE TABLE IF NOT EXISTS forks (
    device  TEXT COLLATE \"C\" NOT NULL,
    seq     BIGINT NOT NULL,
    hash    BYTEA NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (device, seq, hash)
);
-- Each device's highest request counter (replays refused, across every server process).
CREATE TABLE IF NOT EXISTS request_counters (
    device   TEXT COLLATE \"C\" PRIMARY KEY,
    counter  BIGINT NOT NULL
);
-- The membership chain, verified before it is stored, and the data key wraps for devices.
CREATE TABLE IF NOT EXISTS chain_links (
    seq        BIGINT PRIMARY KEY CHECK (seq > 0),
    body       BYTEA NOT NULL,
    signature  BYTEA NOT NULL
);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'chain_links_are_append_only' AND tgrelid = 'chain_links'::regclass) THEN
        CREATE TRIGGER chain_links_are_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON chain_links
        FOR EACH STATEMENT EXECUTE FUNCTION envelopes_are_append_only();
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS audit_events (
    device      TEXT COLLATE \"C\" NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    hash        BYTEA NOT NULL,
    body        BYTEA NOT NULL,
    patient_id  TEXT,
    PRIMARY KEY (device, seq)
);
CREATE INDEX IF NOT EXISTS audit_events_by_patient ON audit_events (patient_id) WHERE patient_id IS NOT NULL;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'audit_events_are_append_only' AND tgrelid = 'audit_events'::regclass) THEN
        CREATE TRIGGER audit_events_are_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION envelopes_are_append_only();
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS audit_batches (
    number     BIGSERIAL PRIMARY KEY,
    device     TEXT COLLATE \"C\" NOT NULL,
    newest_at  BIGINT NOT NULL,
    bytes      BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_batches_by_time ON audit_batches (newest_at);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'audit_batches_are_append_only' AND tgrelid = 'audit_batches'::regclass) THEN
        CREATE TRIGGER audit_batches_are_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_batches
        FOR EACH STATEMENT EXECUTE FUNCTION envelopes_are_append_only();
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS audit_forks (
    device  TEXT COLLATE \"C\" NOT NULL,
    seq     BIGINT NOT NULL,
    hash    BYTEA NOT NULL,
    body    BYTEA NOT NULL,
    PRIMARY KEY (device, seq, hash)
);
CREATE TABLE IF NOT EXISTS key_wraps (
    device  TEXT COLLATE \"C\" NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (device, bytes)
);
CREATE TABLE IF NOT EXISTS vault_records (
    \"user\"     TEXT COLLATE \"C\" PRIMARY KEY,
    version    BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    signature  BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS device_reports (
    device       TEXT COLLATE \"C\" PRIMARY KEY,
    last_seen    BIGINT NOT NULL,
    app_version  TEXT NOT NULL,
    waiting      BIGINT NOT NULL,
    leased_at    BIGINT
);
CREATE TABLE IF NOT EXISTS wipe_acks (
    device     TEXT COLLATE \"C\" PRIMARY KEY,
    bytes      BYTEA NOT NULL,
    signature  BYTEA NOT NULL
);
";

/// Each device's highest envelope, found with one index probe per device (a skip scan) instead
/// of reading every envelope the clinic ever wrote, as `DISTINCT ON` or `max() GROUP BY` would.
const FRONTIER: &str = "
WITH RECURSIVE devices(device) AS (
    (SELECT device FROM envelopes ORDER BY device LIMIT 1)
    UNION ALL
    SELECT (SELECT e.device FROM envelopes e WHERE e.device > d.device ORDER BY e.device LIMIT 1)
    FROM devices d WHERE d.device IS NOT NULL
)
SELECT head.device, head.seq, head.hash FROM devices d
CROSS JOIN LATERAL (
    SELECT e.device, e.seq, e.hash FROM envelopes e WHERE e.device = d.device ORDER BY e.seq DESC LIMIT 1
) head";

#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
}

impl PostgresStorage {
    /// Connects with a libpq-style `config` (`host=… port=… user=… dbname=…`), creating the
    /// tables in the connection's default schema if they are missing.
    pub async fn connect(config: &str) -> Result<Self> {
        Self::open(config, None).await
    }

    /// Like [`Self::connect`], but keeps everything in `schema` (created if missing): every pooled
    /// connection starts with its `search_path` set to it. Tests use one schema each.
    pub async fn connect_in_schema(config: &str, schema: &str) -> Result<Self> {
        Self::open(config, Some(schema)).await
    }

    async fn open(config: &str, schema: Option<&str>) -> Result<Self> {
        let mut pg: tokio_postgres::Config = config.parse().map_err(|e| Error::PostgresConfig(describe(&e)))?;
        if let Some(schema) = schema {
            // Set at connection start-up, so no pooled connection can ever run outside the schema.
            let valid = schema.len() <= 63
                && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(Error::PostgresConfig("a schema name is lower-case letters, digits and _".into()));
            }
            let options = format!("{} -c search_path={schema}", pg.get_options().unwrap_or_default());
            pg.options(options.trim_start());
        }
        let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).build().map_err(|e| Error::PostgresConfig(e.to_string()))?;

        let mut client = pool.get().await?;
        // `append` promises that what it reports stored survives a crash.
        let synchronous_commit: String = client.query_one("SHOW synchronous_commit", &[]).await?.try_get(0)?;
        if synchronous_commit == "off" {
            return Err(Error::PostgresConfig("synchronous_commit is off, so stored envelopes could be lost".into()));
        }
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_SPACE, &SCHEMA_LOCK]).await?;
        if let Some(schema) = schema {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await?;
        }
        tx.batch_execute(SCHEMA).await?;
        // Under the same lock: of two processes creating the database, the second keeps the id.
        tx.execute(
            "INSERT INTO server_identity (singleton, instance) VALUES (1, $1) ON CONFLICT (singleton) DO NOTHING",
            &[&Uuid::new_v4().to_string()],
        )
        .await?;
        tx.commit().await?;
        drop(client);
        Ok(Self { pool })
    }
}

async fn frontier_of(client: &impl deadpool_postgres::GenericClient) -> Result<Frontier> {
    let mut frontier = Frontier::default();
    for row in client.query(FRONTIER, &[]).await? {
        let device: String = row.try_get(0)?;
        frontier.0.insert(device, position(row.try_get(1)?, row.try_get(2)?)?);
    }
    Ok(frontier)
}

fn position(seq: i64, hash: &[u8]) -> Result<Position> {
    Ok(Position {
        seq: u64::try_from(seq).map_err(|_| Error::Corrupt("a negative sequence"))?,
        hash: hash.try_into().map_err(|_| Error::Corrupt("a hash of the wrong length"))?,
    })
}

fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl Storage for PostgresStorage {
    async fn instance(&self) -> Result<Uuid> {
        let client = self.pool.get().await?;
        let instance: String = client.query_one("SELECT instance FROM server_identity", &[]).await?.try_get(0)?;
        Uuid::parse_str(&instance).map_err(|_| Error::Corrupt("the instance id"))
    }

    async fn frontier(&self) -> Result<Frontier> {
        let client = self.pool.get().await?;
        frontier_of(&client).await
    }

    async fn append(&self, batch: Vec<Incoming>) -> Result<Vec<Stored>> {
        let mut client = self.pool.get().await?;
        // READ COMMITTED on purpose: each statement sees what was committed before it began, so
        // once the device's lock is ours we see every envelope the lock's last holder stored. A
        // REPEATABLE READ snapshot would be taken before the wait and miss them.
        let tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await?;
        // One lock per device, held to commit. Taken all at once and in the order of their keys,
        // so two processes with overlapping batches never wait on each other in a cycle (two
        // devices' names may share a key: that only makes them wait on each other).
        let devices: Vec<&str> = batch.iter().map(|i| i.device.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
        let keys = tx.query("SELECT DISTINCT hashtext(d) FROM unnest($1::text[]) AS d ORDER BY 1", &[&devices]).await?;
        let lock = tx.prepare_cached("SELECT pg_advisory_xact_lock($1, $2)").await?;
        for key in keys {
            tx.execute(&lock, &[&LOCK_SPACE, &key.try_get::<_, i32>(0)?]).await?;
        }
        let head =
            tx.prepare_cached("SELECT seq, hash FROM envelopes WHERE device = $1 ORDER BY seq DESC LIMIT 1").await?;
        let at = tx.prepare_cached("SELECT hash FROM envelopes WHERE device = $1 AND seq = $2").await?;
        let insert =
            tx.prepare_cached("INSERT INTO envelopes (device, seq, hash, bytes) VALUES ($1, $2, $3, $4)").await?;
        let fork = tx
            .prepare_cached(
                "INSERT INTO forks (device, seq, hash, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for incoming in &batch {
            let held = match tx.query_opt(&head, &[&incoming.device]).await? {
                Some(row) => Some(position(row.try_get(0)?, row.try_get(1)?)?),
                None => None,
            };
            let held_seq = held.map_or(0, |p| p.seq);
            let seq = sql_seq(incoming.seq);
            let outcome = if incoming.seq <= held_seq {
                let stored: Vec<u8> = tx.query_one(&at, &[&incoming.device, &seq]).await?.try_get(0)?;
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
                tx.execute(&insert, &[&incoming.device, &seq, &&incoming.hash[..], &incoming.bytes]).await?;
                Stored::Stored
            };
            if outcome == Stored::Fork {
                // Kept for an administrator. Not logged: only `mamori_core::log_safe!` may log,
                // and the server does not depend on mamori-core.
                tx.execute(&fork, &[&incoming.device, &seq, &&incoming.hash[..], &incoming.bytes]).await?;
            }
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn page(&self, have: &Frontier, limit: u32) -> Result<(Vec<Vec<u8>>, bool)> {
        let mut client = self.pool.get().await?;
        // One snapshot for the frontier and every device's rows, so `more` agrees with the page.
        let tx =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let rows = tx
            .prepare_cached("SELECT bytes FROM envelopes WHERE device = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .await?;
        let limit = u64::from(limit);
        let mut out = Vec::new();
        let mut more = false;
        for (device, held) in frontier_of(&tx).await?.0 {
            let from = have.seq(&device);
            if held.seq <= from {
                continue;
            }
            let left = limit.saturating_sub(out.len() as u64);
            if left == 0 {
                more = true;
                break;
            }
            for row in tx.query(&rows, &[&device, &sql_seq(from), &sql_seq(left)]).await? {
                out.push(row.try_get(0)?);
            }
            if held.seq - from > left {
                more = true;
            }
        }
        tx.commit().await?;
        Ok((out, more))
    }
}

/// What went wrong, without the row values PostgreSQL puts in an error's DETAIL (a failing row,
/// a duplicate key): the message names the failure and its SQLSTATE, never an envelope.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(error) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        },
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        Error::Postgres(describe(&error))
    }
}

impl From<PoolError> for Error {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(error) => error.into(),
            other => Error::Postgres(other.to_string()),
        }
    }
}

impl RequestCounters for PostgresStorage {
    async fn advance_counter(&self, device: &str, counter: u64) -> Result<std::result::Result<(), u64>> {
        let counter = i64::try_from(counter).map_err(|_| Error::Corrupt("a counter beyond 2^63"))?;
        let client = self.pool.get().await?;
        // One statement: of two processes given the same counter, exactly one raises it.
        let changed = client
            .execute(
                "INSERT INTO request_counters (device, counter) VALUES ($1, $2)
                 ON CONFLICT (device) DO UPDATE SET counter = EXCLUDED.counter
                 WHERE request_counters.counter < EXCLUDED.counter",
                &[&device, &counter],
            )
            .await?;
        if changed == 1 {
            return Ok(Ok(()));
        }
        let held: i64 =
            client.query_one("SELECT counter FROM request_counters WHERE device = $1", &[&device]).await?.try_get(0)?;
        Ok(Err(u64::try_from(held).unwrap_or(0) + 1))
    }
}
