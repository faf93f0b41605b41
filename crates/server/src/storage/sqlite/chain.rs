//! The membership chain, data key wraps, vault records, wipe reports and device reports in the
//! embedded SQLite database.

use mamori_sync::wire::DeviceReport;
use rusqlite::{params, TransactionBehavior};

use super::{sql_seq, SqliteStorage};
use crate::storage::{ChainStorage, StoredLink};
use crate::{Error, Result};

impl ChainStorage for SqliteStorage {
    async fn links_after(&self, after: u64) -> Result<Vec<StoredLink>> {
        self.with(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT seq, body, signature FROM chain_links WHERE seq > ?1 ORDER BY seq")?;
            let rows = stmt.query_map([sql_seq(after)], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?)))?;
            rows.map(|row| {
                let (seq, body, signature) = row?;
                Ok((u64::try_from(seq).map_err(|_| Error::Corrupt("a negative link sequence"))?, body, signature))
            })
            .collect()
        })
        .await
    }

    async fn append_links(&self, first: u64, links: Vec<(Vec<u8>, Vec<u8>)>) -> Result<bool> {
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let head: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM chain_links", [], |row| row.get(0))?;
            if head + 1 != sql_seq(first) {
                return Ok(false);
            }
            for (i, (body, signature)) in links.into_iter().enumerate() {
                tx.prepare_cached("INSERT INTO chain_links (seq, body, signature) VALUES (?1, ?2, ?3)")?
                    .execute(params![head + 1 + i as i64, body, signature])?;
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn put_wrap(&self, device: &str, bytes: Vec<u8>) -> Result<()> {
        let device = device.to_owned();
        self.with(move |conn| {
            conn.execute("INSERT OR IGNORE INTO key_wraps (device, bytes) VALUES (?1, ?2)", params![device, bytes])?;
            Ok(())
        })
        .await
    }

    async fn wraps_for(&self, device: &str) -> Result<Vec<Vec<u8>>> {
        let device = device.to_owned();
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT bytes FROM key_wraps WHERE device = ?1 ORDER BY bytes")?;
            let rows = stmt.query_map([device], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn put_vault_record(&self, user: &str, version: u64, record: (Vec<u8>, Vec<u8>)) -> Result<bool> {
        let user = user.to_owned();
        let version = i64::try_from(version).map_err(|_| Error::Corrupt("a vault record version out of range"))?;
        self.with(move |conn| {
            let changed = conn.execute(
                "INSERT INTO vault_records (user, version, bytes, signature) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user) DO UPDATE SET version = excluded.version, bytes = excluded.bytes,
                                                  signature = excluded.signature
                 WHERE excluded.version > vault_records.version",
                params![user, version, record.0, record.1],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn vault_records(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT bytes, signature FROM vault_records ORDER BY user")?;
            let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn put_wipe_ack(&self, device: &str, ack: (Vec<u8>, Vec<u8>)) -> Result<()> {
        let device = device.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO wipe_acks (device, bytes, signature) VALUES (?1, ?2, ?3) ON CONFLICT (device) DO NOTHING",
                params![device, ack.0, ack.1],
            )?;
            Ok(())
        })
        .await
    }

    async fn note_check_in(&self, report: DeviceReport) -> Result<()> {
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO device_reports (device, last_seen, app_version, waiting, leased_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (device) DO UPDATE SET last_seen = excluded.last_seen,
                    app_version = excluded.app_version, waiting = excluded.waiting,
                    leased_at = coalesce(excluded.leased_at, device_reports.leased_at)",
                params![
                    report.device,
                    report.last_seen,
                    report.app_version,
                    i64::try_from(report.waiting).unwrap_or(i64::MAX),
                    report.leased_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn device_reports(&self) -> Result<Vec<DeviceReport>> {
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT device, last_seen, app_version, waiting, leased_at FROM device_reports ORDER BY device",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(DeviceReport {
                    device: row.get(0)?,
                    last_seen: row.get(1)?,
                    app_version: row.get(2)?,
                    waiting: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                    leased_at: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn wipe_acks(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT bytes, signature FROM wipe_acks ORDER BY device")?;
            let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}
