//! Shipping this device's audit chain to the server in signed batches, and keeping the server's
//! countersigned receipts as anchors. A server that answers with a different history for this
//! device (a rewrite of events already shipped, here or there) stops shipping with an error.

use mamori_core::replication;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::http::HttpTransport;
use crate::local::DeviceIdentity;
use crate::wire::audit::{verify_anchor, AuditBatch};
use crate::wire::{AuditOutcome, Hash32};

/// Events per batch.
const BATCH: usize = 1000;

/// The newest anchor: (sequence, hash).
pub fn newest_anchor(conn: &Connection) -> Result<Option<(u64, Vec<u8>)>> {
    Ok(conn
        .query_row("SELECT seq, hash FROM sync_audit_anchors ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0), row.get(1)?))
        })
        .optional()?)
}

/// Ships every event after the newest anchor; returns how many the server took.
pub async fn ship(conn: &mut Connection, me: &DeviceIdentity, transport: &HttpTransport) -> Result<u64> {
    crate::local::prepare(conn)?;
    // The chain here must still pass through the head the server countersigned last time: a
    // rewrite below it (even one that recomputed every later hash) changes that hash.
    if let Some((seq, hash)) = newest_anchor(conn)? {
        if replication::audit_hash_at(conn, seq).ok() != Some(hash) {
            return Err(Error::Server(
                "this computer's audit log was rewritten below the head the server countersigned".into(),
            ));
        }
    }
    let mut from = newest_anchor(conn)?.map_or(0, |(seq, _)| seq);
    let mut shipped = 0;
    loop {
        let events = replication::audit_events_after(conn, from, BATCH)?;
        let Some((last, _, head)) = events.last().cloned() else { return Ok(shipped) };
        let prev = if from == 0 { None } else { Some(hash32(&replication::audit_hash_at(conn, from)?)?) };
        let batch = AuditBatch {
            clinic: me.clinic,
            device: me.device.clone(),
            first: from + 1,
            prev,
            bodies: events.into_iter().map(|(_, body, _)| body).collect(),
            head,
        };
        let receipt = transport.push_audit(batch.sign(&me.signing_key)?).await?;
        if !verify_anchor(
            &receipt.server_key,
            &me.clinic,
            &me.device,
            receipt.seq,
            &receipt.hash,
            &receipt.countersignature,
        ) {
            return Err(Error::Server("the server's audit receipt is not signed by its key".into()));
        }
        if receipt.outcome == AuditOutcome::Fork {
            return Err(Error::Server(
                "the server holds a different audit history for this computer: events already shipped were rewritten"
                    .into(),
            ));
        }
        // What the server says it holds must be what this device holds at that place.
        let local = replication::audit_hash_at(conn, receipt.seq)?;
        if receipt.seq > 0 && local != receipt.hash {
            return Err(Error::Server("the server's audit head differs from this computer's audit log".into()));
        }
        if receipt.outcome == AuditOutcome::Gap {
            // The server lost events it had (restored from a backup): give them back from there.
            if receipt.seq >= from {
                return Err(Error::Server("the server refused the audit batch".into()));
            }
            from = receipt.seq;
            continue;
        }
        conn.execute(
            "INSERT OR REPLACE INTO sync_audit_anchors (seq, hash, countersignature, server_key) VALUES (?1, ?2, ?3, ?4)",
            params![
                i64::try_from(receipt.seq).unwrap_or(i64::MAX),
                &receipt.hash[..],
                receipt.countersignature,
                &receipt.server_key[..]
            ],
        )?;
        shipped += receipt.seq.saturating_sub(from);
        if receipt.seq < last {
            return Err(Error::Server("the server did not take the audit batch".into()));
        }
        from = receipt.seq;
    }
}

fn hash32(bytes: &[u8]) -> Result<Hash32> {
    bytes.try_into().map_err(|_| Error::Malformed("an audit hash has the wrong length"))
}
