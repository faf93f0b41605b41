//! The per-device hash chain: each event's hash covers the previous hash and the event's exact
//! stored bytes. The head (last seq and hash) moves with every commit and is signed with the
//! device's Ed25519 key at checkpoints: any batch holding more than plain reads and searches
//! (logins, logouts, locks, writes, admin actions, refusals, break-the-glass), and at least every
//! [`SIGN_EVERY`] events.
//!
//! Why not sign every commit: the signing key lives in the same encrypted database as the log, so
//! locally a signature adds nothing against someone who can edit the log — the hash chain and the
//! head already catch edits, deletions, insertions and reordering. The signature's job is to let
//! others (the clinic server) check batches that leave the device; a checkpoint per login,
//! write or 64 reads serves that, and a signature per chart open cost a sixth of the read.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::event::{Action, AuditEvent, NewEvent, Outcome};
use crate::{Error, Result};

const DOMAIN: &[u8] = b"mamori-audit-v1";

/// At most this many events go unsigned at the head of the chain.
pub const SIGN_EVERY: u64 = 64;

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
    let checkpoint = events.iter().any(is_checkpoint);
    // The chain continues from its last event (even one the head does not know of, so a tampered
    // log never stops auditing; `verify` reports the tampering).
    let head: Option<(i64, Vec<u8>, Option<i64>)> = conn
        .prepare_cached(
            "SELECT e.seq, e.hash, (SELECT signed_seq FROM audit_head WHERE singleton = 1)
             FROM audit_events e ORDER BY e.seq DESC LIMIT 1",
        )?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let (mut seq, mut previous, signed_seq) = head.map_or((0u64, Vec::new(), 0), |(s, h, signed)| {
        (u64::try_from(s).unwrap_or(0), h, signed.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    });
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
            subject: event.subject,
            record: event.record,
            change: event.change,
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
        // A clinical write is also filed under its record and change, for the chart open's check
        // (writes are few; reads file nothing here).
        if let (Some(patient), Some(record), Some(change)) = (full.patient, full.record, full.change) {
            conn.prepare_cached(
                "INSERT INTO audit_records (patient_id, seq, record_id, change_id) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                patient.to_string(),
                i64::try_from(seq).unwrap_or(i64::MAX),
                record.to_string(),
                change.to_string()
            ])?;
        }
        previous = hash.to_vec();
    }
    let seq_value = i64::try_from(seq).unwrap_or(i64::MAX);
    let due = checkpoint || seq.saturating_sub(signed_seq) >= SIGN_EVERY;
    // Between checkpoints only the head moves; at a checkpoint, or with no head row yet, the head
    // as it is now is signed.
    if due || move_head(conn, seq_value, &previous)? == 0 {
        let signature = signer.sign(&head_message(seq, &previous));
        conn.prepare_cached(
            "INSERT INTO audit_head (singleton, seq, hash, signed_seq, signed_hash, signature)
             VALUES (1, ?1, ?2, ?1, ?2, ?3)
             ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                 signed_seq = excluded.signed_seq, signed_hash = excluded.signed_hash, signature = excluded.signature",
        )?
        .execute(params![seq_value, previous, signature.to_bytes().to_vec()])?;
    }
    Ok(())
}

/// Moves the unsigned head to `seq`; returns how many head rows there were to move.
fn move_head(conn: &Connection, seq: i64, hash: &[u8]) -> Result<usize> {
    Ok(conn
        .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE singleton = 1")?
        .execute(params![seq, hash])?)
}

/// Plain reads and searches may wait for the next checkpoint; everything else signs the head.
fn is_checkpoint(event: &NewEvent) -> bool {
    !(matches!(event.action, Action::Read | Action::Search) && event.outcome == Outcome::Allowed && !event.break_glass)
}

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The chain is whole, its head matches the last event, and the signature covers the chain
    /// up to event `signed_through` (the rest is signed at the next checkpoint).
    Intact { events: u64, signed_through: u64 },
    /// The first event (by position) at which the chain breaks, and how.
    Broken { seq: u64, problem: String },
}

pub fn verify(conn: &Connection, key: &VerifyingKey) -> Result<Verdict> {
    let (events, previous) = match walk(conn, None, true)? {
        Walked::Whole { events, last_hash } => (events, last_hash),
        Walked::Broken { seq, problem } => return Ok(Verdict::Broken { seq, problem }),
    };
    let Some(head) = StoredHead::load(conn)? else {
        return Ok(if events == 0 {
            Verdict::Intact { events, signed_through: 0 }
        } else {
            Verdict::Broken { seq: events, problem: "the chain head is missing".into() }
        });
    };
    let StoredHead { seq: head_seq, hash: head_hash, signed_seq, signed_hash, signature } = head;
    if head_seq != events || head_hash != previous {
        let seq = head_seq.min(events) + 1;
        return Ok(Verdict::Broken {
            seq,
            problem: "the chain head does not match the last event (events deleted or appended)".into(),
        });
    }
    let signature_ok = Signature::from_slice(&signature)
        .map(|s| key.verify(&head_message(signed_seq, &signed_hash), &s).is_ok())
        .unwrap_or(false);
    if !signature_ok || signed_seq > events {
        return Ok(Verdict::Broken { seq: signed_seq, problem: "the chain head's signature is not valid".into() });
    }
    if signed_seq > 0 && hash_at(conn, signed_seq)?.as_deref() != Some(signed_hash.as_slice()) {
        return Ok(Verdict::Broken {
            seq: signed_seq,
            problem: "the signed checkpoint does not match the event it names (edited)".into(),
        });
    }
    if let Some(seq) = super::reports::first_misfiled(conn)? {
        return Ok(Verdict::Broken { seq, problem: "the report index disagrees with the event (edited)".into() });
    }
    Ok(Verdict::Intact { events, signed_through: signed_seq })
}

/// The chain read from its first event: whole up to `events` (ending in `last_hash`), or broken.
enum Walked {
    Whole { events: u64, last_hash: Vec<u8> },
    Broken { seq: u64, problem: String },
}

/// Recomputes the chain from the stored events, up to event `upto` (all of them when `None`).
/// With `read_events`, each event is also parsed and its indexed columns compared with it (what
/// `audit verify` reports); a pin check needs only the hashes, and skips that.
fn walk(conn: &Connection, upto: Option<u64>, read_events: bool) -> Result<Walked> {
    let limit = upto.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut stmt =
        conn.prepare("SELECT seq, patient_id, user_name, body, hash FROM audit_events WHERE seq <= ?1 ORDER BY seq")?;
    let mut rows = stmt.query([limit])?;
    let mut previous: Vec<u8> = Vec::new();
    let mut expected: u64 = 1;
    while let Some(row) = rows.next()? {
        let seq = u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0);
        let patient: Option<String> = row.get(1)?;
        let user: String = row.get(2)?;
        let body: String = row.get(3)?;
        let hash: Vec<u8> = row.get(4)?;
        let broken = |problem: &str| Ok(Walked::Broken { seq: seq.min(expected), problem: problem.to_string() });
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
        if !read_events {
            previous = hash;
            expected += 1;
            continue;
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
    Ok(Walked::Whole { events: expected - 1, last_hash: previous })
}

/// The newest event's place and hash (what a user pins), or `None` for an empty log.
pub fn head(conn: &Connection) -> Result<Option<(u64, [u8; 32])>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(seq, hash)| Some((u64::try_from(seq).ok()?, hash.try_into().ok()?))))
}

/// How the log disagrees with what a user pinned at their last login, lock or logout. Shown to
/// the user at login (`tampering.<kind>` in the message catalog).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "TamperingFound")]
pub enum PinBreak {
    /// The device's audit signing key is not the one pinned (a new key was put in its place).
    KeyReplaced,
    /// The log now ends before the pinned event (events were cut off).
    Truncated { events: u64, pinned: u64 },
    /// An event at or below the pin was edited, deleted, inserted or the chain re-computed.
    Rewritten { seq: u64 },
}

impl PinBreak {
    /// One of each kind (for the message catalog's tests).
    pub fn samples() -> [PinBreak; 3] {
        [PinBreak::KeyReplaced, PinBreak::Truncated { events: 9, pinned: 12 }, PinBreak::Rewritten { seq: 7 }]
    }
}

/// Checks the chain against a user's pin: the same verifying key, and events 1..=`pin_seq` that
/// still chain, from the stored bytes, to `pin_hash`.
pub fn check_pin(
    conn: &Connection,
    key: &VerifyingKey,
    pinned_key: &[u8; 32],
    pin_seq: u64,
    pin_hash: &[u8; 32],
) -> Result<Option<PinBreak>> {
    if key.as_bytes() != pinned_key {
        return Ok(Some(PinBreak::KeyReplaced));
    }
    Ok(match walk(conn, Some(pin_seq), false)? {
        Walked::Broken { seq, .. } => Some(PinBreak::Rewritten { seq }),
        Walked::Whole { events, .. } if events < pin_seq => Some(PinBreak::Truncated { events, pinned: pin_seq }),
        Walked::Whole { last_hash, .. } if last_hash.as_slice() != pin_hash => {
            Some(PinBreak::Rewritten { seq: pin_seq })
        }
        Walked::Whole { .. } => None,
    })
}

/// The `audit_head` row: where the chain ends, and the last signed checkpoint.
struct StoredHead {
    seq: u64,
    hash: Vec<u8>,
    signed_seq: u64,
    signed_hash: Vec<u8>,
    signature: Vec<u8>,
}

impl StoredHead {
    fn load(conn: &Connection) -> Result<Option<Self>> {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(conn
            .query_row(
                "SELECT seq, hash, signed_seq, signed_hash, signature FROM audit_head WHERE singleton = 1",
                [],
                |row| {
                    Ok(StoredHead {
                        seq: count(row.get(0)?),
                        hash: row.get(1)?,
                        signed_seq: count(row.get(2)?),
                        signed_hash: row.get(3)?,
                        signature: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

fn hash_at(conn: &Connection, seq: u64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT hash FROM audit_events WHERE seq = ?1", [i64::try_from(seq).unwrap_or(i64::MAX)], |r| {
            r.get(0)
        })
        .optional()?)
}
