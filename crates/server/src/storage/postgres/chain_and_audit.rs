//! The membership chain, the data key wraps and the audit chains in PostgreSQL: each kind of
//! append serialised between server processes by an advisory lock of its own.

use deadpool_postgres::Transaction;
use mamori_sync::wire::{AuditOutcome, DeviceReport, Hash32};
use tokio_postgres::IsolationLevel;

use super::{sql_seq, PostgresStorage, LOCK_SPACE};
use crate::storage::{AuditEntry, AuditStorage, BatchPage, ChainStorage, ShippedBatch, StoredLink};
use crate::{Error, Result};

/// The second key of the lock that serialises chain appends between processes.
const CHAIN_LOCK: i32 = 1;

impl ChainStorage for PostgresStorage {
    async fn links_after(&self, after: u64) -> Result<Vec<StoredLink>> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT seq, body, signature FROM chain_links WHERE seq > $1 ORDER BY seq", &[&sql_seq(after)])
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get(0)?;
                Ok((
                    u64::try_from(seq).map_err(|_| Error::Corrupt("a negative link sequence"))?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                ))
            })
            .collect()
    }

    async fn append_links(&self, first: u64, links: Vec<(Vec<u8>, Vec<u8>)>) -> Result<bool> {
        let mut client = self.pool.get().await?;
        let tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_SPACE, &CHAIN_LOCK]).await?;
        let head: i64 = tx.query_one("SELECT coalesce(max(seq), 0) FROM chain_links", &[]).await?.try_get(0)?;
        if head + 1 != sql_seq(first) {
            return Ok(false);
        }
        for (i, (body, signature)) in links.iter().enumerate() {
            let seq = head + 1 + i64::try_from(i).map_err(|_| Error::Corrupt("too many links"))?;
            tx.execute("INSERT INTO chain_links (seq, body, signature) VALUES ($1, $2, $3)", &[&seq, body, signature])
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn put_wrap(&self, device: &str, bytes: Vec<u8>) -> Result<()> {
        let client = self.pool.get().await?;
        client
            .execute("INSERT INTO key_wraps (device, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&device, &bytes])
            .await?;
        Ok(())
    }

    async fn wraps_for(&self, device: &str) -> Result<Vec<Vec<u8>>> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT bytes FROM key_wraps WHERE device = $1 ORDER BY bytes", &[&device]).await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    async fn put_vault_record(&self, user: &str, version: u64, record: (Vec<u8>, Vec<u8>)) -> Result<bool> {
        let version = i64::try_from(version).map_err(|_| Error::Corrupt("a vault record version out of range"))?;
        let client = self.pool.get().await?;
        let changed = client
            .execute(
                "INSERT INTO vault_records (\"user\", version, bytes, signature) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (\"user\") DO UPDATE SET version = excluded.version, bytes = excluded.bytes,
                                                    signature = excluded.signature
                 WHERE excluded.version > vault_records.version",
                &[&user, &version, &record.0, &record.1],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn vault_records(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT bytes, signature FROM vault_records ORDER BY \"user\"", &[]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    async fn put_wipe_ack(&self, device: &str, ack: (Vec<u8>, Vec<u8>)) -> Result<()> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO wipe_acks (device, bytes, signature) VALUES ($1, $2, $3) ON CONFLICT (device) DO NOTHING",
                &[&device, &ack.0, &ack.1],
            )
            .await?;
        Ok(())
    }

    async fn note_check_in(&self, report: DeviceReport) -> Result<()> {
        let client = self.pool.get().await?;
        let waiting = i64::try_from(report.waiting).unwrap_or(i64::MAX);
        client
            .execute(
                "INSERT INTO device_reports (device, last_seen, app_version, waiting, leased_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (device) DO UPDATE SET last_seen = excluded.last_seen,
                    app_version = excluded.app_version, waiting = excluded.waiting,
                    leased_at = coalesce(excluded.leased_at, device_reports.leased_at)",
                &[&report.device, &report.last_seen, &report.app_version, &waiting, &report.leased_at],
            )
            .await?;
        Ok(())
    }

    async fn device_reports(&self) -> Result<Vec<DeviceReport>> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT device, last_seen, app_version, waiting, leased_at FROM device_reports ORDER BY device", &[])
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DeviceReport {
                    device: row.try_get(0)?,
                    last_seen: row.try_get(1)?,
                    app_version: row.try_get(2)?,
                    waiting: u64::try_from(row.try_get::<_, i64>(3)?).unwrap_or(0),
                    leased_at: row.try_get(4)?,
                })
            })
            .collect()
    }

    async fn wipe_acks(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT bytes, signature FROM wipe_acks ORDER BY device", &[]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }
}

/// The first key of the per-device audit lock (the second is the device's hash).
const AUDIT_LOCK_SPACE: i32 = 0x4d_4d_41; // "MMA"

impl AuditStorage for PostgresStorage {
    async fn append_audit(
        &self,
        device: &str,
        prev: Option<Hash32>,
        entries: Vec<AuditEntry>,
        shipped: ShippedBatch,
    ) -> Result<(AuditOutcome, u64, Hash32)> {
        let mut client = self.pool.get().await?;
        let tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&AUDIT_LOCK_SPACE, &device]).await?;
        async fn head(tx: &Transaction<'_>, device: &str) -> Result<(u64, Hash32)> {
            let row = tx
                .query_opt("SELECT seq, hash FROM audit_events WHERE device = $1 ORDER BY seq DESC LIMIT 1", &[&device])
                .await?;
            Ok(match row {
                Some(row) => {
                    let seq: i64 = row.try_get(0)?;
                    let hash: Vec<u8> = row.try_get(1)?;
                    (u64::try_from(seq).unwrap_or(0), hash.try_into().unwrap_or([0; 32]))
                }
                None => (0, [0; 32]),
            })
        }
        let (held, held_hash) = head(&tx, device).await?;
        let first = entries.first().map_or(0, |e| e.seq);
        let outcome = if let Some(refused) = crate::storage::audit_boundary(held, &held_hash, first, prev) {
            refused
        } else {
            let mut outcome = AuditOutcome::AlreadyHeld;
            for entry in &entries {
                if entry.seq <= held {
                    let stored: Vec<u8> = tx
                        .query_one(
                            "SELECT hash FROM audit_events WHERE device = $1 AND seq = $2",
                            &[&device, &sql_seq(entry.seq)],
                        )
                        .await?
                        .try_get(0)?;
                    if stored != entry.hash {
                        tx.execute(
                            "INSERT INTO audit_forks (device, seq, hash, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            &[&device, &sql_seq(entry.seq), &&entry.hash[..], &entry.body],
                        )
                        .await?;
                        outcome = AuditOutcome::Fork;
                        break;
                    }
                } else {
                    tx.execute(
                        "INSERT INTO audit_events (device, seq, hash, body, patient_id) VALUES ($1, $2, $3, $4, $5)",
                        &[&device, &sql_seq(entry.seq), &&entry.hash[..], &entry.body, &entry.patient],
                    )
                    .await?;
                    outcome = AuditOutcome::Stored;
                }
            }
            outcome
        };
        if outcome == AuditOutcome::Stored {
            tx.execute(
                "INSERT INTO audit_batches (device, newest_at, bytes) VALUES ($1, $2, $3)",
                &[&device, &shipped.newest_at, &shipped.bytes],
            )
            .await?;
        }
        let (seq, hash) = head(&tx, device).await?;
        tx.commit().await?;
        Ok((outcome, seq, hash))
    }

    /// Numbers are handed out before commit, so a batch committing while a page is read may
    /// appear behind it; readers ask again from the start of their window each time.
    async fn audit_batches(&self, since: i64, after: u64, limit: usize) -> Result<BatchPage> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT number, bytes FROM audit_batches WHERE number > $1 AND newest_at >= $2 ORDER BY number LIMIT $3",
                &[&sql_seq(after), &since, &sql_seq(limit as u64 + 1)],
            )
            .await?;
        let mut batches = Vec::with_capacity(rows.len());
        for row in &rows {
            let number: i64 = row.try_get(0)?;
            batches.push((u64::try_from(number).unwrap_or(0), row.try_get(1)?));
        }
        let more = batches.len() > limit;
        batches.truncate(limit);
        Ok((batches, more))
    }

    async fn audit_for_patient(&self, patient: &str) -> Result<Vec<(String, u64, Vec<u8>)>> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT device, seq, body FROM audit_events WHERE patient_id = $1 ORDER BY device, seq", &[&patient])
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get(1)?;
                Ok((row.try_get(0)?, u64::try_from(seq).unwrap_or(0), row.try_get(2)?))
            })
            .collect()
    }
}
