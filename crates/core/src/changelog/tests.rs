//! The log's two paths: open bodies in the clear (in the encoding old logs hold), clinical bodies
//! only sealed, and replay that refuses a clinical change found in the clear.

use chrono::{TimeZone, Utc};
use rusqlite::{params, Connection};
use uuid::Uuid;

use super::sealed::{open_record, RowIndex};
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

fn log(conn: &Connection, body: LoggedBody, counter: u32) {
    let hlc = Hlc { wall_ms: 1_800_000_000_000, counter };
    let change =
        Change { id: new_change_id(hlc).expect("id"), hlc, author: "doctor".into(), device: "d1".into(), body };
    append(conn, &change).expect("append");
    apply(conn, &change.body).expect("apply");
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
    let refused = ChangeBody::from(allergy()).into_logged(&SectionKeys::default());
    assert!(matches!(refused, Err(Error::SectionKeyMissing)), "no section key, no write");

    let keys = keys();
    let logged = ChangeBody::from(allergy()).into_logged(&keys).expect("sealed");
    let LoggedBody::Sealed(sealed) = &logged else { panic!("a clinical body must be sealed") };
    let conn = store();
    log(&conn, logged.clone(), 0);

    let (body, record): (String, Vec<u8>) =
        conn.query_row("SELECT body, sealed FROM changes", [], |r| Ok((r.get(0)?, r.get(1)?))).expect("row");
    assert!(!body.contains(SUBSTANCE), "the plaintext index names no substance");
    assert!(!String::from_utf8_lossy(&record).contains(SUBSTANCE), "the record is ciphertext");
    assert_eq!(record, sealed.record());

    let index = sealed.index();
    let opened: Allergy =
        open_record(&keys, ClinicalKind::Allergy, index.id, index.patient_id, &RowIndex::default(), &record)
            .expect("the same key opens it");
    assert_eq!(opened.substance, SUBSTANCE);
    let moved =
        open_record::<Allergy>(&keys, ClinicalKind::Allergy, index.id, Uuid::nil(), &RowIndex::default(), &record);
    assert!(moved.is_err(), "bound to its patient as associated data");
}

#[test]
fn replay_gives_back_the_same_sealed_state() {
    let conn = store();
    let keys = keys();
    log(&conn, OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "15".into() }.into(), 0);
    log(&conn, ChangeBody::from(allergy()).into_logged(&keys).expect("sealed"), 1);
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
