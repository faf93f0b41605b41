//! The audit chain, v1 (`audit::chain`, `audit::event`): each event's exact JSON bytes, its hash,
//! and the signed head.
//!
//! ```text
//! hash(n)   = SHA-256("mamori-audit-v1" || len(hash(n-1)) as u64 little-endian || hash(n-1) || body(n))
//!             (hash(0) is empty)
//! head      = "mamori-audit-v1" || "/head" || seq as u64 little-endian || hash(seq)
//! signature = Ed25519 over head, by the device's identity key
//! ```
//!
//! Fixtures: `audit_event_v1_1.json` … `_4.json` (the bodies exactly as stored and exported),
//! `audit_head_v1.bin` (the signed message for event 4), and `audit_chain_v1.json` (the hashes, the
//! device's test key and the head's signature).

use chrono::{DateTime, TimeZone, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rusqlite::{params, Connection};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::hex_array;
use crate::audit::{self, Action, Actor, AuditEvent, NewEvent, Outcome, Verdict};
use crate::domain::Role;
use crate::policy::Section;

const EVENTS: [&str; 4] = [
    include_str!("../../tests/fixtures/audit_event_v1_1.json"),
    include_str!("../../tests/fixtures/audit_event_v1_2.json"),
    include_str!("../../tests/fixtures/audit_event_v1_3.json"),
    include_str!("../../tests/fixtures/audit_event_v1_4.json"),
];
const HEAD_MESSAGE: &[u8] = include_bytes!("../../tests/fixtures/audit_head_v1.bin");
const INPUTS: &str = include_str!("../../tests/fixtures/audit_chain_v1.json");
const DEVICE: &str = "01937a3c-5c00-4000-8000-00000000d001";

#[derive(Deserialize)]
struct Inputs {
    #[serde(deserialize_with = "hex_array")]
    device_key_seed: [u8; 32],
    #[serde(deserialize_with = "hex_array")]
    public_key: [u8; 32],
    hashes: Vec<String>,
    head_seq: u64,
    #[serde(deserialize_with = "hex_array")]
    head_signature: [u8; 64],
}

fn inputs() -> Inputs {
    serde_json::from_str(INPUTS).expect("audit_chain_v1.json")
}

fn hashes(inputs: &Inputs) -> Vec<Vec<u8>> {
    inputs.hashes.iter().map(|h| hex::decode(h).expect("hex hash")).collect()
}

fn at(h: u32, m: u32, s: u32, ms: u32) -> DateTime<Utc> {
    let second = Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).single().expect("a real time");
    second + chrono::Duration::milliseconds(i64::from(ms))
}

/// What the four fixture events record: a login, a chart opened whole, a refused break-the-glass
/// and a failed login on a colleague's account.
fn the_events() -> Vec<AuditEvent> {
    let patient = Some(Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0001));
    let event = |seq, id: u128, at, user: &str, role, action, outcome| AuditEvent {
        seq,
        id: Uuid::from_u128(id),
        at,
        user: user.into(),
        role,
        device: DEVICE.into(),
        patient: None,
        section: None,
        action,
        outcome,
        reason: None,
        break_glass: false,
        patients_listed: Vec::new(),
        sections_read: Vec::new(),
        subject: None,
        record: None,
        change: None,
    };
    let allowed = Outcome::Allowed;
    vec![
        event(
            1,
            0x0193_7a3c_5c00_7000_8000_0000_0000_a001,
            at(0, 30, 0, 0),
            "doctor",
            Role::Doctor,
            Action::Login,
            allowed,
        ),
        AuditEvent {
            patient,
            sections_read: vec![
                Section::Demographics,
                Section::Appointments,
                Section::Vitals,
                Section::Allergies,
                Section::Problems,
                Section::Notes,
                Section::NursingNotes,
                Section::Prescriptions,
                Section::Results,
            ],
            ..event(
                2,
                0x0193_7a3c_5c00_7000_8000_0000_0000_a002,
                at(0, 31, 5, 250),
                "doctor",
                Role::Doctor,
                Action::Read,
                allowed,
            )
        },
        AuditEvent {
            patient,
            section: Some(Section::Notes),
            reason: Some("break-the-glass refused: sealed clinical section (救急搬送の確認)".into()),
            break_glass: true,
            ..event(
                3,
                0x0193_7a3c_5c00_7000_8000_0000_0000_a003,
                at(1, 2, 3, 0),
                "reception",
                Role::Reception,
                Action::Denied,
                Outcome::Denied,
            )
        },
        AuditEvent {
            reason: Some("wrong password".into()),
            subject: Some("nurse".into()),
            ..event(
                4,
                0x0193_7a3c_5c00_7000_8000_0000_0000_a004,
                at(1, 15, 0, 0),
                "doctor",
                Role::Doctor,
                Action::LoginFailed,
                Outcome::Denied,
            )
        },
    ]
}

/// The v1 event hash, from the format's recipe rather than `audit::chain`.
fn hash_v1(previous: &[u8], body: &[u8]) -> Vec<u8> {
    let length = u64::try_from(previous.len()).expect("a short hash").to_le_bytes();
    Sha256::new()
        .chain_update(b"mamori-audit-v1")
        .chain_update(length)
        .chain_update(previous)
        .chain_update(body)
        .finalize()
        .to_vec()
}

/// The v1 signed head message, from the format's recipe.
fn head_message_v1(seq: u64, hash: &[u8]) -> Vec<u8> {
    [&b"mamori-audit-v1/head"[..], &seq.to_le_bytes(), hash].concat()
}

/// An empty chart store's schema, in memory.
fn store() -> Connection {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    crate::store::migrations::migrate(&mut conn).expect("schema");
    conn
}

#[test]
fn v1_audit_events_decode_to_what_happened_and_chain_by_their_hashes() {
    let hashes = hashes(&inputs());
    let mut previous = Vec::new();
    for ((body, expected), hash) in EVENTS.iter().zip(the_events()).zip(&hashes) {
        assert_eq!(serde_json::from_str::<AuditEvent>(body).expect("a v1 event"), expected);
        assert_eq!(audit::event_hash(&previous, body.as_bytes()).as_slice(), hash.as_slice(), "event {}", expected.seq);
        previous.clone_from(hash);
    }
}

#[test]
fn a_v1_chain_with_its_signed_head_verifies_with_todays_verifier() {
    let inputs = inputs();
    let hashes = hashes(&inputs);
    let conn = store();
    for ((body, event), hash) in EVENTS.iter().zip(the_events()).zip(&hashes) {
        let patient = event.patient.map(|p| p.to_string());
        conn.execute(
            "INSERT INTO audit_events (seq, patient_id, user_name, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![i64::try_from(event.seq).expect("small"), patient, event.user, body, hash],
        )
        .expect("insert a v1 event");
    }
    let head = hashes.last().expect("a head");
    let seq = i64::try_from(inputs.head_seq).expect("small");
    let put_head = |signature: &[u8]| {
        conn.execute(
            "INSERT OR REPLACE INTO audit_head (singleton, seq, hash, signed_seq, signed_hash, signature)
             VALUES (1, ?1, ?2, ?1, ?2, ?3)",
            params![seq, head, signature],
        )
        .expect("put the head")
    };
    put_head(&inputs.head_signature);
    let key = VerifyingKey::from_bytes(&inputs.public_key).expect("a public key");
    assert_eq!(audit::verify(&conn, &key).expect("verify"), Verdict::Intact { events: 4, signed_through: 4 });

    let mut forged = inputs.head_signature;
    forged[0] ^= 1;
    put_head(&forged);
    assert!(matches!(audit::verify(&conn, &key).expect("verify"), Verdict::Broken { .. }));
}

#[test]
fn the_v1_recipes_give_the_event_bytes_hashes_and_head_signature_again() {
    let inputs = inputs();
    let mut previous = Vec::new();
    let mut computed = Vec::new();
    for (body, event) in EVENTS.iter().zip(the_events()) {
        assert_eq!(
            serde_json::to_string(&event).expect("encode"),
            *body,
            "event {} encodes to its v1 bytes",
            event.seq
        );
        previous = hash_v1(&previous, body.as_bytes());
        computed.push(hex::encode(&previous));
    }
    assert_eq!(computed, inputs.hashes);

    assert_eq!(head_message_v1(inputs.head_seq, &previous), HEAD_MESSAGE);
    let signer = SigningKey::from_bytes(&inputs.device_key_seed);
    assert_eq!(signer.verifying_key().to_bytes(), inputs.public_key);
    // Ed25519 signatures are deterministic: the same key and message give the same bytes.
    assert_eq!(signer.sign(HEAD_MESSAGE).to_bytes(), inputs.head_signature);
}

#[test]
fn todays_chain_writer_still_writes_v1() {
    let inputs = inputs();
    let conn = store();
    let signer = SigningKey::from_bytes(&inputs.device_key_seed);
    let actor = Actor { user: "doctor", role: Role::Doctor, device: DEVICE };
    let patient = Some(Uuid::from_u128(1));
    let events = vec![
        NewEvent::allowed(Action::Login, None, None),
        NewEvent::allowed(Action::Read, Some(Section::Vitals), patient),
        NewEvent::admin("set idle_timeout_minutes to 10"),
    ];
    audit::append(&conn, &signer, &actor, at(2, 0, 0, 0), events).expect("append");

    let rows: Vec<(String, Vec<u8>)> = conn
        .prepare("SELECT body, hash FROM audit_events ORDER BY seq")
        .expect("prepare")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 3);
    let mut previous = Vec::new();
    for (body, hash) in &rows {
        let event: AuditEvent = serde_json::from_str(body).expect("an event");
        assert_eq!(serde_json::to_string(&event).expect("encode"), *body, "stored bytes are the canonical JSON");
        assert_eq!(*hash, hash_v1(&previous, body.as_bytes()));
        previous.clone_from(hash);
    }
    let (signed_seq, signed_hash, signature): (i64, Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT signed_seq, signed_hash, signature FROM audit_head", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("a signed head");
    assert_eq!((signed_seq, &signed_hash), (3, &previous), "an admin action is a checkpoint");
    let message = head_message_v1(3, &signed_hash);
    let signature = Signature::from_slice(&signature).expect("64 bytes");
    assert!(signer.verifying_key().verify_strict(&message, &signature).is_ok());
}
