//! Story: the receptionist's login opens the same encrypted database as the doctor's, but
//! clinical content is sealed under the clinical section key, which only doctors and nurses
//! hold. Reading the clinical tables and the change log with raw SQL from her session finds
//! only ciphertext. A nurse added by the admin waits until a colleague who holds the key logs
//! in; a nurse who moves to the front desk loses it, and later content is sealed under a new key.

use mamori_core::clinic::Clinic;
use mamori_core::domain::validation::{Field, Problem};
use mamori_core::domain::{EncounterKind, PrescriptionItemInput, SoapNote, SoapText, VitalsInput};
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;
use uuid::Uuid;

const NOTE_TEXT: &str = "左膝の腫脹あり秘密所見";
const DRUG: &str = "テストプロフェン錠";

fn chart_with_secrets(site: &Site<MemoryStore>) -> (Uuid, SoapNote) {
    let mut doctor = site.login("doctor");
    let p = doctor
        .register_patient(&patient("1001", ("守山", "花子"), ("モリヤマ", "ハナコ"), "1960-04-01", ""))
        .expect("register");
    let visit = doctor.open_encounter(p.id, EncounterKind::Outpatient).expect("visit");
    let note = doctor
        .write_note(visit.id, SoapText::build(NOTE_TEXT, "体温37.2", "変形性膝関節症", "経過観察").expect("text"))
        .expect("note");
    let note = doctor.sign_note(note.id).expect("sign");
    let item = PrescriptionItemInput {
        drug: DRUG.into(),
        dose: 1.0,
        unit: "錠".into(),
        frequency: "1日3回毎食後".into(),
        days: 7,
    };
    doctor.prescribe(p.id, Some(visit.id), &[item]).expect("prescribe");
    let vitals = VitalsInput { systolic_mmhg: Some(187), diastolic_mmhg: Some(111), ..Default::default() };
    doctor.record_vitals(p.id, Some(visit.id), &vitals).expect("vitals");
    (p.id, note)
}

/// Every byte of every clinical record and clinical change this session's raw SQL can see.
fn clinical_bytes(clinic: &Clinic) -> Vec<Vec<u8>> {
    let conn = clinic.raw_sql_for_inspection().expect("open");
    let mut all = Vec::new();
    for sql in [
        "SELECT body FROM notes",
        "SELECT body FROM vitals",
        "SELECT body FROM prescriptions",
        "SELECT body FROM allergies",
        "SELECT body FROM problems",
        "SELECT body FROM lab_reports",
        "SELECT CAST(body AS BLOB) FROM changes WHERE entity_kind IN ('note','vitals','prescription','allergy','problem','lab_report')",
        "SELECT sealed FROM changes WHERE sealed IS NOT NULL",
    ] {
        let mut stmt = conn.prepare(sql).expect(sql);
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).expect(sql);
        all.extend(rows.map(|r| r.expect(sql)));
    }
    all
}

#[test]
fn a_reception_session_reads_only_ciphertext_in_the_clinical_tables() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 11);
    let (p, note) = chart_with_secrets(&site);

    let desk = site.login("reception");
    let sealed = clinical_bytes(&desk);
    assert!(sealed.len() > 20, "the demo and the new chart wrote clinical rows: {}", sealed.len());
    for bytes in &sealed {
        for secret in [NOTE_TEXT, DRUG, "変形性膝関節症", "\"systolic_mmhg\"", "\"subjective\"", "\"drug\""] {
            assert!(!contains(bytes, secret.as_bytes()), "{secret} readable in a clinical row");
        }
    }
    // The state rows are sealed records (version 2, epoch, change, author, nonce, ciphertext,
    // signature), not JSON.
    let conn = desk.raw_sql_for_inspection().expect("open");
    let note_row: Vec<u8> =
        conn.query_row("SELECT body FROM notes WHERE id = ?1", [note.id.to_string()], |r| r.get(0)).expect("row");
    assert_eq!(note_row[0], 2, "record format version");
    assert_eq!(u32::from_be_bytes([note_row[1], note_row[2], note_row[3], note_row[4]]), 1, "epoch");
    assert!(serde_json::from_slice::<serde_json::Value>(&note_row).is_err());
    // What stays readable is index metadata only.
    let status: String =
        conn.query_row("SELECT status FROM notes WHERE id = ?1", [note.id.to_string()], |r| r.get(0)).expect("row");
    assert_eq!(status, "signed");
    // No clinical key is wrapped to reception (or admin): there is nothing her password opens.
    let holders: Vec<String> = conn
        .prepare("SELECT DISTINCT user FROM section_key_wraps ORDER BY user")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("wraps");
    assert_eq!(holders, ["doctor", "nurse"]);

    // The doctor's session, on the same database, opens what reception cannot.
    let mut doctor = site.login("doctor");
    let chart = doctor.chart(p).expect("chart");
    assert_eq!(chart.notes.expect("notes")[0].text.subjective, NOTE_TEXT);
    assert_eq!(chart.prescriptions.expect("prescriptions")[0].items[0].drug, DRUG);
    assert_eq!(chart.vitals.expect("vitals")[0].systolic_mmhg, Some(187));
    // And the same raw SQL from the doctor's session still shows ciphertext: sealing is at rest.
    assert!(clinical_bytes(&doctor).iter().all(|bytes| !contains(bytes, NOTE_TEXT.as_bytes())));
}

#[test]
fn replaying_the_log_needs_no_clinical_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 12);
    let (p, _) = chart_with_secrets(&site);
    let mut desk = site.login("reception");
    let before = desk.state_digest().expect("digest");
    assert!(desk.rebuild().expect("rebuild as reception") > 0);
    assert_eq!(desk.state_digest().expect("digest"), before, "identical sealed state from the log alone");
    let chart = site.login("doctor").chart(p).expect("chart after rebuild");
    assert_eq!(chart.notes.expect("notes")[0].text.subjective, NOTE_TEXT);
}

#[test]
fn a_sealed_record_moved_to_another_row_does_not_open() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let (p, note) = chart_with_secrets(&site);
    let mut doctor = site.login("doctor");
    let visit = doctor.open_encounter(p, EncounterKind::Outpatient).expect("visit");
    let other = doctor.write_note(visit.id, SoapText::build("別の所見", "", "", "").expect("text")).expect("note");
    // Swap the two notes' sealed bodies behind the core's back.
    doctor
        .raw_sql_for_inspection()
        .expect("open")
        .execute(
            "UPDATE notes SET body = (SELECT body FROM notes WHERE id = ?2) WHERE id = ?1",
            [note.id.to_string(), other.id.to_string()],
        )
        .expect("tamper");
    // The copy does not open where it was put: it is left out, said so, and raised; the
    // original still opens in its own place.
    let chart = doctor.chart(p).expect("the chart opens without it");
    let notes = chart.notes.expect("notes");
    assert_eq!((notes.iter().map(|n| n.id).collect::<Vec<_>>(), chart.records_withheld), (vec![other.id], 1));
}

#[test]
fn the_first_clinician_in_starts_the_key_and_the_next_waits_for_their_confirmation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::before_first_login(tmp.path(), MemoryStore::default());
    // The doctor is first in: his login starts the clinical key. The nurse, added by the admin
    // like him, waits until a clinician who holds it confirms her.
    let (p, _) = chart_with_secrets(&site);
    let mut early = site.login("nurse");
    let vitals = VitalsInput { pulse_bpm: Some(70), ..Default::default() };
    assert!(matches!(early.record_vitals(p, None, &vitals), Err(Error::SectionKeyMissing)));
    assert!(matches!(early.chart(p), Err(Error::SectionKeyMissing)), "no plaintext, a clear error");
    // She cannot confirm herself, nor start a key of her own choosing.
    assert!(matches!(early.confirm_recipient("nurse", "x"), Err(Error::SectionKeyMissing)));
    drop(early);

    let mut doctor = site.login("doctor");
    site.confirm_all(&mut doctor);
    doctor.logout().expect("logout");
    let mut nurse = site.login("nurse");
    assert_eq!(nurse.chart(p).expect("chart").notes.expect("notes")[0].text.subjective, NOTE_TEXT);
    nurse.record_vitals(p, None, &vitals).expect("vitals");

    let events = site.login("admin").audit_events(&mamori_core::audit::Filter::User("doctor".into())).expect("events");
    let reasons: Vec<&str> = events.iter().filter_map(|e| e.reason.as_deref()).collect();
    assert!(reasons.contains(&"confirmed nurse as a clinical key recipient"), "{reasons:?}");
    assert!(reasons.contains(&"passed clinical key epoch 1 to nurse"), "passing the key on is audited");
}

#[test]
fn a_nurse_who_moves_to_the_front_desk_loses_the_key_and_later_content_uses_a_new_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let (p, _) = chart_with_secrets(&site);
    let mut admin = site.login("admin");
    admin.change_role("nurse", mamori_core::domain::Role::Reception).expect("to the desk");
    let desk = site.login("nurse");
    let holders: i64 = desk
        .raw_sql_for_inspection()
        .expect("open")
        .query_row("SELECT count(*) FROM section_key_wraps WHERE user = 'nurse'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(holders, 0, "her wraps are gone");

    admin.change_role("nurse", mamori_core::domain::Role::Nurse).expect("back to nursing");
    let mut pending = site.login("nurse");
    assert!(matches!(pending.chart(p), Err(Error::SectionKeyMissing)));

    // The doctor's next login starts epoch 2; confirming the nurse again passes both epochs on.
    let mut doctor = site.login("doctor");
    let visit = doctor.open_encounter(p, EncounterKind::Outpatient).expect("visit");
    let later =
        doctor.write_note(visit.id, SoapText::build("新しい鍵で封印", "", "", "").expect("text")).expect("note");
    let epoch_of_later: Vec<u8> = doctor
        .raw_sql_for_inspection()
        .expect("open")
        .query_row("SELECT body FROM notes WHERE id = ?1", [later.id.to_string()], |r| r.get(0))
        .expect("row");
    assert_eq!(u32::from_be_bytes([epoch_of_later[1], epoch_of_later[2], epoch_of_later[3], epoch_of_later[4]]), 2);
    site.confirm_all(&mut doctor);

    let notes = site.login("nurse").chart(p).expect("chart").notes.expect("notes");
    let texts: Vec<&str> = notes.iter().map(|n| n.text.subjective.as_str()).collect();
    assert!(texts.contains(&NOTE_TEXT) && texts.contains(&"新しい鍵で封印"), "{texts:?}");
}

#[test]
fn the_last_holder_of_the_clinical_key_cannot_be_disabled_or_moved_away() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The doctor holds the key (his first login started it); the nurse is still waiting for it.
    let site = Site::before_first_login(tmp.path(), MemoryStore::default());
    site.login("doctor").logout().expect("logout");
    let mut admin = site.login("admin");
    for refused in [
        admin.set_user_disabled("doctor", true).map(drop),
        admin.change_role("doctor", mamori_core::domain::Role::Reception).map(drop),
    ] {
        assert!(
            matches!(&refused, Err(Error::Invalid(e)) if e.problem(Field::User) == Some(&Problem::LastKeyHolder)),
            "{refused:?}"
        );
    }
    assert!(!admin.users().expect("users").iter().any(|u| u.name == "doctor" && u.disabled));

    // Once the doctor has confirmed the nurse (which passes her the key), the doctor may leave,
    // and the nurse still reads what the doctor wrote.
    let (p, _) = chart_with_secrets(&site);
    let mut doctor = site.login("doctor");
    site.confirm_all(&mut doctor);
    doctor.logout().expect("logout");
    admin.set_user_disabled("doctor", true).expect("the nurse still holds the key");
    assert_eq!(site.login("nurse").chart(p).expect("chart").notes.expect("notes")[0].text.subjective, NOTE_TEXT);
    assert!(matches!(admin.set_user_disabled("nurse", true), Err(Error::Invalid(_))), "now she is the last holder");
}

#[test]
fn an_open_clinical_session_starts_the_new_epoch_before_sealing_more() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let (p, _) = chart_with_secrets(&site);
    let mut doctor = site.login("doctor");
    // While the doctor's session stays open, the nurse moves to the front desk.
    site.login("admin").change_role("nurse", mamori_core::domain::Role::Reception).expect("to the desk");
    let visit = doctor.open_encounter(p, EncounterKind::Outpatient).expect("visit");
    let later = doctor.write_note(visit.id, SoapText::build("後の所見", "", "", "").expect("text")).expect("note");
    let record: Vec<u8> = doctor
        .raw_sql_for_inspection()
        .expect("open")
        .query_row("SELECT body FROM notes WHERE id = ?1", [later.id.to_string()], |r| r.get(0))
        .expect("row");
    assert_eq!(u32::from_be_bytes([record[1], record[2], record[3], record[4]]), 2, "sealed under the new epoch");
    assert_eq!(doctor.chart(p).expect("chart").notes.expect("notes").len(), 2, "old and new epochs both open");
}

#[test]
fn a_signed_note_rolled_back_to_its_draft_behind_the_cores_back_does_not_open() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let (p, signed) = chart_with_secrets(&site);
    let mut doctor = site.login("doctor");
    let sql = doctor.raw_sql_for_inspection().expect("open");
    let draft: Vec<u8> = sql
        .query_row(
            "SELECT sealed FROM changes WHERE entity_id = ?1 ORDER BY seq LIMIT 1",
            [signed.id.to_string()],
            |r| r.get(0),
        )
        .expect("the draft's sealed record");
    // The draft's own sealed bytes beside the signed row's index columns.
    sql.execute("UPDATE notes SET body = ?2 WHERE id = ?1", rusqlite::params![signed.id.to_string(), draft])
        .expect("swap");
    let withheld = |doctor: &mut mamori_core::clinic::Clinic| {
        let chart = doctor.chart(p).expect("the chart opens without it");
        (chart.notes.expect("notes").len(), chart.records_withheld)
    };
    assert_eq!(withheld(&mut doctor), (0, 1));
    // Or the signed record left in place with its status column edited back to draft.
    doctor.rebuild().expect("the log restores the state");
    assert_eq!(withheld(&mut doctor), (1, 0));
    let sql = doctor.raw_sql_for_inspection().expect("open");
    sql.execute("UPDATE notes SET status = 'draft' WHERE id = ?1", [signed.id.to_string()]).expect("edit");
    assert_eq!(withheld(&mut doctor), (0, 1));
}
