//! The per-device hash chain: each event's hash covers the previous hash and the event's exact
//! stored bytes; the head (last seq and hash) is signed with the device's Ed25519 key.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::event::{AuditEvent, NewEvent};
use crate::{Error, Result};

const DOMAIN: &[u8] = b"mamori-audit-v1";

/// Who is acting, for stamping events.
pub struct Actor<'a> {
    pub user: &'a str,
    pub role: crate::domain::Role,
    pub device: &'a str,
}

pub fn event_hash(previous: &[u8], body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update((previous.len() as u64).to_le_bytes());
    hasher.update(previous);
    hasher.update(body);
    hasher.finalize().into()
}

fn head_message(seq: u64, hash: &[u8]) -> Vec<u8> {
    let mut message = DOMAIN.to_vec();
    message.extend_from_slice(b"/head");
    message.extend_from_slice(&seq.to_le_bytes());
    message.extend_from_slice(hash);
    message
}

/// Appends `events` to the chain and re-signs the head. Call inside the transaction of the
/// action being audited: if the action rolls back, so do its events.
pub fn append(
    conn: &Connection,
    signer: &SigningKey,
    actor: &Actor<'_>,
    at: chrono::DateTime<chrono::Utc>,
    events: Vec<NewEvent>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (mut seq, mut previous) = head.map_or((0u64, Vec::new()), |(s, h)| (u64::try_from(s).unwrap_or(0), h));
    let mut insert = conn.prepare_cached(
        "INSERT INTO audit_events (seq, patient_id, user_name, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for event in events {
        seq += 1;
        let mut random = [0u8; 10];
        crate::secret::fill_random(&mut random)?;
        let id = uuid::Builder::from_unix_timestamp_millis(u64::try_from(at.timestamp_millis()).unwrap_or(0), &random)
            .into_uuid();
        let full = AuditEvent {
            seq,
            id,
            at,
            user: actor.user.to_string(),
            role: actor.role,
            device: actor.device.to_string(),
            patient: event.patient,
            section: event.section,
            action: event.action,
            outcome: event.outcome,
            reason: event.reason,
            break_glass: event.break_glass,
            patients_listed: event.patients_listed,
            sections_read: event.sections_read,
        };
        let body =
            serde_json::to_string(&full).map_err(|_| Error::InvalidState("an audit event could not be encoded"))?;
        let hash = event_hash(&previous, body.as_bytes());
        insert.execute(params![
            i64::try_from(seq).unwrap_or(i64::MAX),
            full.patient.map(|p| p.to_string()),
            full.user,
            body,
            hash.to_vec()
        ])?;
        previous = hash.to_vec();
    }
    let signature = signer.sign(&head_message(seq, &previous));
    conn.prepare_cached(
        "INSERT INTO audit_head (singleton, seq, hash, signature) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signature = excluded.signature",
    )?
    .execute(params![i64::try_from(seq).unwrap_or(i64::MAX), previous, signature.to_bytes().to_vec()])?;
    Ok(())
}

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The chain is whole and its head carries a valid signature.
    Intact { events: u64 },
    /// The first event (by position) at which the chain breaks, and how.
    Broken { seq: u64, problem: String },
}

pub fn verify(conn: &Connection, key: &VerifyingKey) -> Result<Verdict> {
    let mut stmt = conn.prepare("SELECT seq, patient_id, user_name, body, hash FROM audit_events ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut previous: Vec<u8> = Vec::new();
    let mut expected: u64 = 1;
    while let Some(row) = rows.next()? {
        let seq = u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0);
        let patient: Option<String> = row.get(1)?;
        let user: String = row.get(2)?;
        let body: String = row.get(3)?;
        let hash: Vec<u8> = row.get(4)?;
        let broken = |problem: &str| Ok(Verdict::Broken { seq: seq.min(expected), problem: problem.to_string() });
        if seq != expected {
            return broken(if seq > expected {
                "events are missing before this one (deleted)"
            } else {
                "an event was inserted out of sequence"
            });
        }
        if event_hash(&previous, body.as_bytes()).as_slice() != hash.as_slice() {
            return broken("the event does not match its hash or its predecessor (edited, inserted or reordered)");
        }
        let Ok(event) = serde_json::from_str::<AuditEvent>(&body) else {
            return broken("the event is not readable");
        };
        if event.seq != seq || event.patient.map(|p| p.to_string()) != patient || event.user != user {
            return broken("the event's indexed columns disagree with its signed content (edited)");
        }
        previous = hash;
        expected += 1;
    }
    let events = expected - 1;
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row("SELECT seq, hash, signature FROM audit_head WHERE singleton = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((head_seq, head_hash, signature)) = head else {
        return Ok(if events == 0 {
            Verdict::Intact { events }
        } else {
            Verdict::Broken { seq: events, problem: "the signed chain head is missing".into() }
        });
    };
    let head_seq = u64::try_from(head_seq).unwrap_or(0);
    let signature_ok = Signature::from_slice(&signature)
        .map(|s| key.verify(&head_message(head_seq, &head_hash), &s).is_ok())
        .unwrap_or(false);
    if !signature_ok {
        return Ok(Verdict::Broken { seq: head_seq, problem: "the chain head's signature is not valid".into() });
    }
    if head_seq != events || head_hash != previous {
        let seq = head_seq.min(events) + 1;
        return Ok(Verdict::Broken {
            seq,
            problem: "the signed head does not match the last event (events deleted or appended)".into(),
        });
    }
    Ok(Verdict::Intact { events })
}
