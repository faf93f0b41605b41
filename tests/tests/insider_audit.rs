//! Insider story (issue 9, attack 2): the receptionist covers a colleague's tracks. With raw SQL
//! on the database her own login opens she deletes the doctor's chart-open event, re-computes the
//! hash chain after it and re-signs the head with the device key that lives in the same
//! database. The chain alone cannot tell — `audit verify` says intact — but the doctor pinned the
//! head in his own sealed key-file entry when he logged out: his next login reports the rewrite
//! and raises an alert, which the admin's alert list shows.

use ed25519_dalek::{Signer, SigningKey};
use mamori_core::audit::{self, Action, AuditEvent, Filter, PinBreak, Verdict};
use mamori_core::clinic::Clinic;
use mamori_core::vault::MemoryStore;
use mamori_story_tests::*;
use rusqlite::{params, Connection};
use uuid::Uuid;

/// A demo clinic where the doctor opened a chart and logged out. Returns the patient.
fn doctor_opens_a_chart(site: &Site<MemoryStore>) -> Uuid {
    let mut doctor = site.login("doctor");
    let id = doctor.search_patients("1", 1).expect("search")[0].id;
    doctor.chart(id).expect("chart");
    doctor.logout().expect("logout");
    id
}

/// What the insider's script does: drop the guard triggers, delete `victim`'s events about
/// `patient`, renumber and re-chain what follows, and re-sign the head with the device key.
fn rewrite_without(sql: &Connection, patient: Uuid) {
    sql.execute_batch("DROP TRIGGER audit_events_are_never_updated; DROP TRIGGER audit_events_are_never_deleted;")
        .expect("drop triggers");
    sql.execute("DELETE FROM audit_events WHERE patient_id = ?1", [patient.to_string()]).expect("delete");
    let rows: Vec<(i64, String)> = sql
        .prepare("SELECT seq, body FROM audit_events ORDER BY seq")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .expect("events");
    sql.execute("DELETE FROM audit_events", []).expect("clear");
    let mut previous: Vec<u8> = Vec::new();
    for (n, (_, body)) in rows.iter().enumerate() {
        let mut event: AuditEvent = serde_json::from_str(body).expect("event");
        event.seq = n as u64 + 1;
        let body = serde_json::to_string(&event).expect("json");
        let hash = audit::event_hash(&previous, body.as_bytes());
        sql.execute(
            "INSERT INTO audit_events (seq, patient_id, user_name, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![event.seq as i64, event.patient.map(|p| p.to_string()), event.user, body, hash.to_vec()],
        )
        .expect("insert");
        previous = hash.to_vec();
    }
    let seq = rows.len() as u64;
    let seed: Vec<u8> = sql.query_row("SELECT signing_key FROM device", [], |r| r.get(0)).expect("device key");
    let key = SigningKey::from_bytes(&seed.try_into().expect("32 bytes"));
    let mut message = b"mamori-audit-v1/head".to_vec();
    message.extend_from_slice(&seq.to_le_bytes());
    message.extend_from_slice(&previous);
    let signature = key.sign(&message).to_bytes().to_vec();
    sql.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2, signed_seq = ?1, signed_hash = ?2, signature = ?3",
        params![seq as i64, previous, signature],
    )
    .expect("re-sign");
    // The report index is rebuilt from the events she kept at the next report.
    sql.execute_batch("DELETE FROM audit_by_patient; DELETE FROM audit_by_user; DELETE FROM audit_report_position;")
        .expect("drop the report index");
}

fn chart_opens_of(admin: &mut Clinic, patient: Uuid) -> usize {
    let events = admin.audit_events(&Filter::Patient(patient)).expect("report");
    events.iter().filter(|e| e.action == Action::Read && e.user == "doctor").count()
}

#[test]
fn a_rewritten_and_re_signed_audit_log_is_reported_at_the_doctors_next_login() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 21);
    let patient = doctor_opens_a_chart(&site);
    assert_eq!(chart_opens_of(&mut site.login("admin"), patient), 1);

    let desk = site.login("reception");
    rewrite_without(desk.raw_sql_for_inspection().expect("her own session's database"), patient);
    desk.logout().expect("she logs out");

    // The chain and its signature are consistent again: the log alone cannot tell. But the
    // admin pinned the head at her last logout, before the rewrite: her login reports it.
    let mut admin = site.login("admin");
    assert!(matches!(admin.tampering_found_at_login(), [PinBreak::Rewritten { .. }]));
    assert!(matches!(admin.verify_audit().expect("verify"), Verdict::Intact { .. }));
    assert_eq!(chart_opens_of(&mut admin, patient), 0, "the chart open is gone from the report");
    admin.logout().expect("logout");

    // So does the doctor's, whose session it was.
    let doctor = site.login("doctor");
    let found = doctor.tampering_found_at_login().to_vec();
    assert!(matches!(found.as_slice(), [PinBreak::Rewritten { .. }]), "{found:?}");
    doctor.logout().expect("logout");
    let mut admin = site.login("admin");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    let mut raised: Vec<&str> = alerts
        .iter()
        .filter(|e| e.action == Action::Tampering)
        .map(|e| {
            assert_eq!(Some(e.user.as_str()), e.subject.as_deref());
            assert!(e.reason.as_deref().is_some_and(|r| r.contains("changed at or below event")), "{e:?}");
            e.user.as_str()
        })
        .collect();
    raised.sort_unstable();
    assert_eq!(raised, ["admin", "doctor"]);

    // Each was told once; their pins now cover the log as it is, alerts included.
    assert!(admin.tampering_found_at_login().is_empty());
    admin.logout().expect("logout");
    assert!(site.login("doctor").tampering_found_at_login().is_empty(), "reported once, then pinned anew");
}

#[test]
fn cutting_off_the_newest_events_and_replacing_the_device_key_are_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 22);
    doctor_opens_a_chart(&site);
    let desk = site.login("reception");
    let sql = desk.raw_sql_for_inspection().expect("open");
    // She cuts the log back to before the doctor's session (and her own login) and re-signs.
    let last_doctor_seq: i64 =
        sql.query_row("SELECT max(seq) FROM audit_events WHERE user_name = 'doctor'", [], |r| r.get(0)).expect("seq");
    sql.execute_batch("DROP TRIGGER audit_events_are_never_deleted;").expect("drop trigger");
    sql.execute("DELETE FROM audit_events WHERE seq >= ?1", [last_doctor_seq - 3]).expect("cut");
    drop(desk);
    let doctor = site.login("doctor");
    assert!(
        matches!(doctor.tampering_found_at_login(), [PinBreak::Truncated { .. } | PinBreak::Rewritten { .. }]),
        "{:?}",
        doctor.tampering_found_at_login()
    );
    doctor.logout().expect("logout");

    // Or she swaps in a device signing key of her own, to sign whatever she likes from now on.
    let desk = site.login("reception");
    desk.raw_sql_for_inspection()
        .expect("open")
        .execute("UPDATE device SET signing_key = ?1", [vec![7u8; 32]])
        .expect("new key");
    drop(desk);
    let doctor = site.login("doctor");
    assert_eq!(doctor.tampering_found_at_login(), [PinBreak::KeyReplaced]);
}
