//! The log's two paths: open bodies in the clear (in the encoding old logs hold), clinical bodies
//! only sealed, and replay that refuses a clinical change found in the clear.

use chrono::{TimeZone, Utc};
use rusqlite::{params, Connection};
use uuid::Uuid;

use std::collections::BTreeMap;

use super::record::open_record;
use super::*;
use crate::domain::{Allergy, AllergyInput, Severity};
use crate::secret::Key32;
use crate::vault::SectionKeys;

const SUBSTANCE: &str = "ペニシリン系抗菌薬";

fn store() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    crate::store::migrations::migrate(&mut conn).expect("migrate");
    conn
}

fn allergy() -> ClinicalBody {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).single().expect("time");
    let input = AllergyInput { substance: SUBSTANCE.into(), reaction: "発疹".into(), severity: Severity::Moderate };
    ClinicalBody::AllergyRecorded(Allergy::build(Uuid::from_u128(7), Uuid::from_u128(9), at, &input).expect("valid"))
}

fn keys() -> SectionKeys {
    let mut keys = SectionKeys::default();
    keys.insert(1, Key32::random().expect("random"));
    keys
}

fn doctor_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7; 32])
}

fn doctor_keys() -> BTreeMap<String, (crate::domain::Role, Vec<[u8; 32]>)> {
    BTreeMap::from([(
        "doctor".to_string(),
        (crate::domain::Role::Doctor, vec![doctor_key().verifying_key().to_bytes()]),
    )])
}

fn sealed(keys: &SectionKeys, counter: u32) -> LoggedBody {
    let signing_key = doctor_key();
    let by = Authorship { change_id: change_id(counter), author: "doctor", signing_key: &signing_key };
    ChangeBody::from(allergy()).into_logged(keys, &by).expect("sealed")
}

fn change_id(counter: u32) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + u128::from(counter))
}

fn log(conn: &Connection, body: LoggedBody, counter: u32) {
    let hlc = Hlc { wall_ms: 1_800_000_000_000, counter };
    let change = Change {
        id: change_id(counter),
        hlc,
        author: "doctor".into(),
        device: "d1".into(),
        chain_seq: 0,
        replaces: Vec::new(),
        body,
    };
    record_local(conn, change, &doctor_key()).expect("append");
}

#[test]
fn open_bodies_keep_the_encoding_old_logs_hold() {
    let body = OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "15".into() };
    let json = serde_json::to_string(&body).expect("encode");
    assert_eq!(json, r#"{"op":"setting_changed","record":{"key":"idle_timeout_minutes","value":"15"}}"#);
    assert_eq!(serde_json::from_str::<OpenBody>(&json).expect("decode"), body);
}

#[test]
fn a_clinical_body_reaches_the_log_only_sealed() {
    let signing_key = doctor_key();
    let by = Authorship { change_id: change_id(0), author: "doctor", signing_key: &signing_key };
    let refused = ChangeBody::from(allergy()).into_logged(&SectionKeys::default(), &by);
    assert!(matches!(refused, Err(Error::SectionKeyMissing)), "no section key, no write");

    let keys = keys();
    let logged = sealed(&keys, 0);
    let LoggedBody::Sealed(sealed) = &logged else { panic!("a clinical body must be sealed") };
    let conn = store();
    log(&conn, logged.clone(), 0);

    let (body, record): (String, Vec<u8>) =
        conn.query_row("SELECT body, sealed FROM changes", [], |r| Ok((r.get(0)?, r.get(1)?))).expect("row");
    assert!(!body.contains(SUBSTANCE), "the plaintext index names no substance");
    assert!(!String::from_utf8_lossy(&record).contains(SUBSTANCE), "the record is ciphertext");
    assert_eq!(record, sealed.record());

    let index = sealed.index();
    let authors = doctor_keys();
    let keys = RecordKeys { section: &keys, authors: &authors };
    let place =
        RecordPlace { kind: ClinicalKind::Allergy, id: index.id, patient: index.patient_id, row: RowIndex::default() };
    let opened = open_record::<Allergy>(keys, &place, &record).expect("the same key opens it");
    assert_eq!((opened.value.substance.as_str(), opened.author.as_str()), (SUBSTANCE, "doctor"));
    let moved = open_record::<Allergy>(keys, &RecordPlace { patient: Uuid::nil(), ..place }, &record);
    assert!(matches!(moved, Err(Error::RecordNotVerified)), "bound to its patient as associated data");
}

#[test]
fn replay_gives_back_the_same_sealed_state() {
    let conn = store();
    let keys = keys();
    log(&conn, OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "15".into() }.into(), 0);
    log(&conn, sealed(&keys, 1), 1);
    let before = state_digest(&conn).expect("digest");
    assert_eq!(rebuild(&conn, &mut |_, _| {}).expect("rebuild"), 2);
    assert_eq!(state_digest(&conn).expect("digest"), before);
}

#[test]
fn replay_refuses_a_clinical_change_found_in_the_clear() {
    let insert = |conn: &Connection, id: &str, body: &str| {
        conn.execute(
            "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, patient_id, body,
                 sealed)
             VALUES (?1, 1, 0, 'doctor', 'd1', 'allergy', 'a1', NULL, ?2, NULL)",
            params![id, body],
        )
        .expect("insert");
    };
    let conn = store();
    insert(&conn, "c1", r#"{"op":"allergy_recorded","record":{"substance":"x"}}"#);
    let refused = rebuild(&conn, &mut |_, _| {}).expect_err("a clinical change in the clear is never applied");
    assert!(matches!(refused, Error::InvalidState(m) if m.contains("in the clear")));

    let conn = store();
    insert(&conn, "c2", r#"{"op":"teleported","record":{}}"#);
    assert!(matches!(rebuild(&conn, &mut |_, _| {}), Err(Error::UnreadableChange { id }) if id == "c2"));
}

fn sealed_body(keys: &SectionKeys, body: ClinicalBody, counter: u32) -> LoggedBody {
    let signing_key = doctor_key();
    let by = Authorship { change_id: change_id(counter), author: "doctor", signing_key: &signing_key };
    ChangeBody::from(body).into_logged(keys, &by).expect("sealed")
}

fn amendment_flags(conn: &Connection) -> Vec<(String, i64)> {
    conn.prepare("SELECT entity_id, heads FROM merge_conflicts WHERE entity_kind = 'note_amendments'")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

#[test]
fn two_amendments_of_one_signed_note_are_both_kept_and_flagged_for_the_doctor() {
    use crate::domain::{NoteKind, SoapNote, SoapText};
    let conn = store();
    let keys = keys();
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).single().expect("time");
    let text = |s: &str| SoapText::build(s, "", "", "").expect("text");
    let note = Uuid::from_u128(100);
    let signed =
        SoapNote::draft(note, Uuid::from_u128(9), Uuid::from_u128(8), NoteKind::Medical, "doctor", text("x"), at)
            .signed("doctor", at)
            .expect("signed");
    let first = signed.amendment(Uuid::from_u128(101), "doctor", text("a"), at).expect("amended");
    let second = signed.amendment(Uuid::from_u128(102), "doctor", text("b"), at).expect("amended");
    log(&conn, sealed_body(&keys, ClinicalBody::NoteSigned(signed), 1), 1);
    log(&conn, sealed_body(&keys, ClinicalBody::NoteAmended(first), 2), 2);
    assert!(amendment_flags(&conn).is_empty(), "one amendment is the normal case");
    // The same version amended again, as a second device that had not seen the first would.
    log(&conn, sealed_body(&keys, ClinicalBody::NoteAmended(second), 3), 3);
    assert_eq!(amendment_flags(&conn), vec![(note.to_string(), 2)]);
    let kept: i64 = conn.query_row("SELECT count(*) FROM notes", [], |r| r.get(0)).expect("count");
    assert_eq!(kept, 3, "both amendments are kept beside the signed note");
    let before = state_digest(&conn).expect("digest");
    rebuild(&conn, &mut |_, _| {}).expect("rebuild");
    assert_eq!(state_digest(&conn).expect("digest"), before, "the flag is state: a rebuild gives it again");
}
