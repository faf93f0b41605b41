//! Story: an insider tries to cover their tracks by editing the audit log with raw SQL (they
//! have the database open). `audit verify` notices every kind of change and names the first
//! broken event; the clinic can still ask who opened a chart.

use mamori_core::audit::{self, Action, AuditEvent, Filter, Verdict};
use mamori_core::clinic::Clinic;
use mamori_core::policy::Section;
use mamori_core::vault::MemoryStore;
use mamori_story_tests::*;

struct Scene {
    _tmp: tempfile::TempDir,
    admin: Clinic,
    events: u64,
}

/// A demo clinic where the doctor searched and opened a chart, seen by the admin.
fn scene() -> Scene {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 10, 4);
    let open = |name: &str| site.login(name);
    let mut doctor = open("doctor");
    let id = doctor.search_patients("ﾔﾏﾀﾞ", 5).expect("search").first().map(|p| p.id);
    let id = id.unwrap_or_else(|| doctor.search_patients("1", 1).expect("search")[0].id);
    doctor.chart(id).expect("chart");
    doctor.logout().expect("logout");
    let mut admin = open("admin");
    let events = match admin.verify_audit().expect("verify") {
        Verdict::Intact { events, .. } => events,
        broken => panic!("a fresh log must verify: {broken:?}"),
    };
    assert!(events >= 10, "{events}");
    // The insider removes the guard rails first.
    admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute_batch("DROP TRIGGER audit_events_are_never_updated; DROP TRIGGER audit_events_are_never_deleted;")
        .expect("drop triggers");
    Scene { _tmp: tmp, admin, events }
}

fn broken_at(scene: &mut Scene) -> u64 {
    match scene.admin.verify_audit().expect("verify") {
        Verdict::Broken { seq, .. } => seq,
        Verdict::Intact { .. } => panic!("tampering went unnoticed"),
    }
}

#[test]
fn an_edited_event_is_named() {
    let mut s = scene();
    s.admin
        .raw_sql_for_inspection().expect("an unlocked session")
        .execute("UPDATE audit_events SET body = replace(body, '\"outcome\":\"allowed\"', '\"outcome\":\"denied\"') WHERE seq = 7", [])
        .expect("edit");
    assert_eq!(broken_at(&mut s), 7);
}

#[test]
fn an_edited_index_column_is_named() {
    let mut s = scene();
    s.admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute("UPDATE audit_events SET user_name = 'nobody' WHERE seq = 6", [])
        .expect("edit");
    assert_eq!(broken_at(&mut s), 6);
}

#[test]
fn a_deleted_event_is_named() {
    let mut s = scene();
    s.admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute("DELETE FROM audit_events WHERE seq = 5", [])
        .expect("delete");
    assert_eq!(broken_at(&mut s), 5);
}

#[test]
fn deleting_the_newest_events_is_caught_by_the_signed_head() {
    let mut s = scene();
    let last = s.events;
    s.admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute("DELETE FROM audit_events WHERE seq >= ?1", [last as i64 - 1])
        .expect("delete");
    assert_eq!(broken_at(&mut s), last - 1);
}

#[test]
fn an_inserted_event_with_a_valid_hash_is_caught_by_the_signed_head() {
    let mut s = scene();
    let sql = s.admin.raw_sql_for_inspection().expect("an unlocked session");
    // The admin's own verification is the newest event now.
    s.events = sql.query_row("SELECT max(seq) FROM audit_events", [], |r| r.get::<_, i64>(0)).expect("max") as u64;
    let (prev_body, prev_hash): (String, Vec<u8>) = sql
        .query_row("SELECT body, hash FROM audit_events WHERE seq = ?1", [s.events as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("last");
    let mut forged: AuditEvent = serde_json::from_str(&prev_body).expect("event");
    forged.seq = s.events + 1;
    forged.action = Action::Read;
    let body = serde_json::to_string(&forged).expect("json");
    let hash = audit::event_hash(&prev_hash, body.as_bytes());
    sql.execute(
        "INSERT INTO audit_events (seq, patient_id, user_name, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![s.events as i64 + 1, forged.patient.map(|p| p.to_string()), forged.user, body, hash.to_vec()],
    )
    .expect("insert");
    assert_eq!(broken_at(&mut s), s.events + 1);
}

#[test]
fn reordered_events_are_named() {
    let mut s = scene();
    s.admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute_batch(
            "UPDATE audit_events SET seq = -1 WHERE seq = 4;
             UPDATE audit_events SET seq = 4 WHERE seq = 5;
             UPDATE audit_events SET seq = 5 WHERE seq = -1;",
        )
        .expect("swap");
    assert_eq!(broken_at(&mut s), 4);
}

#[test]
fn who_opened_this_chart_lists_users_sections_and_never_the_search_text() {
    let mut s = scene();
    let everything = s.admin.audit_events(&Filter::All).expect("events");
    let opened =
        everything.iter().find(|e| e.action == Action::Read && e.user == "doctor").expect("the doctor read a chart");
    let patient = opened.patient.expect("a read names its patient");
    let report = s.admin.audit_events(&Filter::Patient(patient)).expect("report");
    assert!(report.iter().all(|e| e.patient == Some(patient)));
    let sections: Vec<Section> = report
        .iter()
        .filter(|e| e.user == "doctor" && e.action == Action::Read)
        .flat_map(|e| e.sections_read.clone())
        .collect();
    assert!(sections.contains(&Section::Notes) && sections.contains(&Section::Prescriptions), "{sections:?}");
    let search = everything.iter().find(|e| e.action == Action::Search).expect("the search is audited");
    assert!(search.patients_listed.len() <= 5);
    let export: String = everything.iter().map(|e| serde_json::to_string(e).expect("json")).collect();
    for query in ["ﾔﾏﾀﾞ", "ヤマダ", "やまだ"] {
        assert!(!export.contains(query), "the search text must not be audited");
    }
    let by_user = s.admin.audit_events(&Filter::User("doctor".into())).expect("by user");
    assert!(by_user.iter().any(|e| e.action == Action::Login) && by_user.iter().any(|e| e.action == Action::Logout));
}

#[test]
fn a_report_index_entry_removed_to_hide_a_chart_open_is_named() {
    let mut s = scene();
    let everything = s.admin.audit_events(&Filter::All).expect("events");
    let opened = everything.iter().find(|e| e.action == Action::Read && e.user == "doctor").expect("a chart open");
    let patient = opened.patient.expect("patient");
    assert!(s.admin.audit_events(&Filter::Patient(patient)).expect("report").iter().any(|e| e.seq == opened.seq));
    s.admin
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .execute("DELETE FROM audit_by_patient WHERE seq = ?1", [opened.seq as i64])
        .expect("hide the open from the report");
    assert_eq!(broken_at(&mut s), opened.seq);
}

#[test]
fn reports_include_events_appended_after_the_last_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 8);
    let mut admin = site.login("admin");
    let patient = site.login("reception").search_patients("1", 1).expect("search")[0].id;
    let before = admin.audit_events(&Filter::Patient(patient)).expect("report");
    site.login("doctor").chart(patient).expect("chart");
    let after = admin.audit_events(&Filter::Patient(patient)).expect("report");
    assert_eq!(after.len(), before.len() + 1);
    let newest = after.last().expect("event");
    assert_eq!((newest.user.as_str(), newest.action), ("doctor", Action::Read));
    let by_doctor = admin.audit_events(&Filter::User("doctor".into())).expect("report");
    assert_eq!(by_doctor.last().map(|e| e.seq), Some(newest.seq));
}

#[test]
fn plain_reads_are_signed_at_the_next_checkpoint_and_never_more_than_64_wait() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 9);
    let patient = site.login("reception").search_patients("1", 1).expect("search")[0].id;
    let mut doctor = site.login("doctor");
    let head = |clinic: &Clinic| -> (i64, i64) {
        clinic
            .raw_sql_for_inspection()
            .expect("open")
            .query_row("SELECT seq, signed_seq FROM audit_head", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("head")
    };
    let (seq, signed) = head(&doctor);
    assert_eq!(seq, signed, "the login signed the head");
    for _ in 0..100 {
        doctor.chart(patient).expect("chart");
        let (seq, signed) = head(&doctor);
        assert!(
            seq - signed < audit::SIGN_EVERY as i64,
            "at most {} events wait: {seq} vs {signed}",
            audit::SIGN_EVERY
        );
    }
    let (seq, signed) = head(&doctor);
    assert!(seq > signed, "plain reads wait for the next checkpoint");
    doctor.logout().expect("logout");
    let mut admin = site.login("admin");
    match admin.verify_audit().expect("verify") {
        Verdict::Intact { events, signed_through } => {
            assert!(events as i64 > seq);
            assert_eq!(signed_through, events, "the doctor's logout and the admin's login signed everything");
        }
        broken => panic!("{broken:?}"),
    }
}
