//! Insider stories (issue 9, attack 6): the nurse holds the clinical key and her own signing key,
//! and has raw SQL on the database her login opens. She forges a signed note in the doctor's
//! name, moves his note to another visit, and deletes one. Each record is bound to its place,
//! signed by its author and named in the audit log, so the doctor's next look at the chart
//! leaves the forgery and the moved note out, says what was found, and raises an alert.

use mamori_core::audit::{Action, Filter};
use mamori_core::clinic::Clinic;
use mamori_core::domain::{
    Allergy, AllergyInput, EncounterKind, NoteStatus, Prescription, PrescriptionItem, PrescriptionItemInput, Severity,
    SoapNote, SoapText, Vitals, VitalsInput,
};
use mamori_core::record::Authorship;
use mamori_core::vault::MemoryStore;
use mamori_core::{ClinicalBody, SealedBody};
use mamori_story_tests::*;
use rusqlite::{params, Connection};
use uuid::Uuid;

struct Chart {
    site: Site<MemoryStore>,
    patient: Uuid,
    /// The doctor's signed note, in the first visit.
    note: SoapNote,
    /// A second visit of the same patient.
    other_visit: Uuid,
}

fn text(subjective: &str) -> SoapText {
    SoapText {
        subjective: subjective.into(),
        objective: "咽頭発赤".into(),
        assessment: String::new(),
        plan: String::new(),
    }
}

/// A clinic whose doctor wrote and signed one note, in the first of two visits.
fn chart(tmp: &std::path::Path) -> Chart {
    let site = Site::new(tmp, MemoryStore::default());
    let mut doctor = site.login("doctor");
    let p = doctor
        .register_patient(&patient("3001", ("守田", "一郎"), ("モリタ", "イチロウ"), "1955-02-03", ""))
        .expect("register");
    let visit = doctor.open_encounter(p.id, EncounterKind::Outpatient).expect("visit");
    let draft = doctor.write_note(visit.id, text("咳が続く")).expect("note");
    let note = doctor.sign_note(draft.id).expect("sign");
    let other_visit = doctor.open_encounter(p.id, EncounterKind::HomeVisit).expect("second visit").id;
    doctor.logout().expect("logout");
    Chart { site, patient: p.id, note, other_visit }
}

/// A sealed change she appends to the log by hand, as the newest of its record, under change id
/// `change`.
fn log_change(sql: &Connection, sealed: &SealedBody, author: &str, change: Uuid) {
    let index = sealed.index();
    sql.execute(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, patient_id, body, sealed)
         VALUES (?1, 9999999999999, 0, ?2, 'front-desk', ?3, ?4, ?5, ?6, ?7)",
        params![
            change.to_string(),
            author,
            index.op.kind().entity_kind(),
            index.id.to_string(),
            index.patient_id.to_string(),
            serde_json::to_string(index).expect("index"),
            sealed.record()
        ],
    )
    .expect("append the change");
}

/// What she writes by hand: a sealed note put into the change log and the chart, the way the
/// app would, under a name of her choosing, signed with her own key.
fn plant(sql: &Connection, sealed: &SealedBody, author: &str) {
    let index = sealed.index();
    let at = index.at.expect("a note has a time").to_rfc3339();
    log_change(sql, sealed, author, Uuid::new_v4());
    sql.execute(
        "INSERT INTO notes (id, patient_id, encounter_id, status, replaces, written_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            index.id.to_string(),
            index.patient_id.to_string(),
            index.encounter_id.expect("a note has a visit").to_string(),
            index.status.expect("a note has a status").as_str(),
            index.replaces.map(|r| r.to_string()),
            at,
            sealed.record()
        ],
    )
    .expect("plant the note");
}

fn alerts(site: &Site<MemoryStore>) -> Vec<String> {
    let mut admin = site.login("admin");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    admin.logout().expect("logout");
    alerts.into_iter().filter(|e| e.action == Action::Tampering).filter_map(|e| e.reason).collect()
}

fn notes_seen_by_doctor(site: &Site<MemoryStore>, patient: Uuid) -> (Vec<SoapNote>, u32, u32) {
    let mut doctor: Clinic = site.login("doctor");
    let chart = doctor.chart(patient).expect("the chart still opens");
    doctor.logout().expect("logout");
    (chart.notes.expect("a doctor reads notes"), chart.records_withheld, chart.records_missing)
}

#[test]
fn a_note_forged_in_the_doctors_name_is_left_out_and_raised() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let nurse = c.site.login("nurse");
    let (section, her_key) = nurse.own_keys_for_inspection().expect("what her password unlocks");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    // A signed note in the doctor's name, signed with her key; and one in her own name that
    // claims the doctor signed it.
    for (author, id) in [("doctor", Uuid::new_v4()), ("nurse", Uuid::new_v4())] {
        let forged = SoapNote {
            id,
            text: text("処方変更の指示（偽）"),
            status: NoteStatus::Signed,
            signed_by: Some("doctor".into()),
            ..c.note.clone()
        };
        let by = Authorship { change_id: Uuid::new_v4(), author, signing_key: &her_key };
        let sealed = ClinicalBody::NoteSigned(forged).seal(section, &by).expect("she can seal");
        plant(sql, &sealed, author);
    }
    drop(nurse);

    let (notes, withheld, missing) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!(notes, vec![c.note.clone()], "only the doctor's own note is shown");
    assert_eq!((withheld, missing), (2, 0));
    let alerts = alerts(&c.site);
    assert!(alerts.iter().any(|a| a.starts_with("2 clinical records of this chart do not verify")), "{alerts:?}");
}

#[test]
fn a_note_moved_to_another_visit_is_left_out_and_raised() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    let moved = sql
        .execute(
            "UPDATE notes SET encounter_id = ?1 WHERE id = ?2",
            params![c.other_visit.to_string(), c.note.id.to_string()],
        )
        .expect("move");
    assert_eq!(moved, 1);
    drop(nurse);

    let (notes, withheld, _) = notes_seen_by_doctor(&c.site, c.patient);
    assert!(notes.is_empty(), "the moved note is not shown under the other visit");
    assert_eq!(withheld, 1);
    assert!(alerts(&c.site).iter().any(|a| a.contains("do not verify")));
}

#[test]
fn a_deleted_note_is_reported_when_the_chart_is_opened_and_a_rebuild_brings_back_what_the_log_holds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    // First only the chart row: the change log still holds the note.
    sql.execute("DELETE FROM notes WHERE id = ?1", [c.note.id.to_string()]).expect("delete the row");
    drop(nurse);
    let (notes, _, missing) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!((notes.len(), missing), (0, 1));
    let mut doctor = c.site.login("doctor");
    doctor.rebuild().expect("rebuild from the log");
    assert_eq!(doctor.chart(c.patient).expect("chart").notes, Some(vec![c.note.clone()]), "the log brings it back");
    doctor.logout().expect("logout");

    // Then the row and every change of it, triggers dropped: nothing left to rebuild from, and
    // the audit log still names the record, so the chart says one is missing.
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    sql.execute_batch("DROP TRIGGER changes_are_never_deleted").expect("drop the trigger");
    sql.execute("DELETE FROM changes WHERE entity_id = ?1", [c.note.id.to_string()]).expect("delete changes");
    sql.execute("DELETE FROM notes WHERE id = ?1", [c.note.id.to_string()]).expect("delete the row");
    drop(nurse);
    let (notes, withheld, missing) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!((notes.len(), withheld, missing), (0, 0, 1));
    let alerts = alerts(&c.site);
    assert!(alerts.iter().any(|a| a.starts_with("1 clinical records the audit log names are missing")), "{alerts:?}");
}

#[test]
fn a_signed_note_rolled_back_to_its_genuine_draft_is_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    // The doctor's own draft, as the log holds it: genuinely his, signed by him, in its place.
    let (index, draft): (String, Vec<u8>) = sql
        .query_row(
            "SELECT body, sealed FROM changes WHERE entity_id = ?1 ORDER BY hlc_wall, hlc_counter LIMIT 1",
            [c.note.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the draft's change");
    let index: mamori_core::ClinicalIndex = serde_json::from_str(&index).expect("index");
    assert_eq!(index.status, Some(NoteStatus::Draft));
    sql.execute(
        "UPDATE notes SET status = 'draft', written_at = ?1, body = ?2 WHERE id = ?3",
        params![index.at.expect("time").to_rfc3339(), draft, c.note.id.to_string()],
    )
    .expect("roll the note back");
    drop(nurse);
    let (notes, withheld, missing) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!(notes.iter().map(|n| n.status).collect::<Vec<_>>(), vec![NoteStatus::Draft], "his draft verifies");
    assert_eq!((withheld, missing), (0, 1), "but it is not the newest version the log holds");

    // She deletes the signing change from the log as well: the audit log still names it.
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    sql.execute_batch("DROP TRIGGER changes_are_never_deleted").expect("drop the trigger");
    let deleted = sql
        .execute(
            "DELETE FROM changes WHERE entity_id = ?1 AND id <> (SELECT id FROM changes WHERE entity_id = ?1
                 ORDER BY hlc_wall, hlc_counter LIMIT 1)",
            [c.note.id.to_string()],
        )
        .expect("delete the signing change");
    assert_eq!(deleted, 1);
    drop(nurse);
    let (_, _, missing) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!(missing, 1);
}

#[test]
fn the_doctors_record_replaced_in_place_by_the_nurses_own_signed_version_is_reported_or_left_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let mut doctor = c.site.login("doctor");
    let severe = AllergyInput {
        substance: "ペニシリン".into(),
        reaction: "アナフィラキシー".into(),
        severity: Severity::Severe,
    };
    let allergy = doctor.record_allergy(c.patient, &severe).expect("allergy");
    let pressure = VitalsInput { systolic_mmhg: Some(192), diastolic_mmhg: Some(110), ..VitalsInput::default() };
    let vitals = doctor.record_vitals(c.patient, None, &pressure).expect("vitals");
    doctor.logout().expect("logout");

    // She seals her own versions of both (same ids, her own name and key) and puts each in the
    // chart and in the log as the record's newest change.
    let nurse = c.site.login("nurse");
    let (section, her_key) = nurse.own_keys_for_inspection().expect("what her password unlocks");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    let bodies = [
        (
            ClinicalBody::AllergyRecorded(Allergy {
                substance: "花粉".into(),
                severity: Severity::Mild,
                ..allergy.clone()
            }),
            "allergies",
        ),
        (
            ClinicalBody::VitalsRecorded(Vitals {
                systolic_mmhg: Some(122),
                diastolic_mmhg: Some(78),
                ..vitals.clone()
            }),
            "vitals",
        ),
    ];
    for (body, table) in bodies {
        let change = Uuid::new_v4();
        let by = Authorship { change_id: change, author: "nurse", signing_key: &her_key };
        let sealed = body.seal(section, &by).expect("she seals her own version");
        let index = sealed.index();
        log_change(sql, &sealed, "nurse", change);
        sql.execute(
            &format!("UPDATE {table} SET body = ?1 WHERE id = ?2"),
            params![sealed.record(), index.id.to_string()],
        )
        .expect("in place");
    }
    drop(nurse);

    let mut doctor = c.site.login("doctor");
    let chart = doctor.chart(c.patient).expect("chart");
    // Her allergy is left out: a nurse's role never writes allergies. Her vitals verify as hers,
    // but they are not the version the audit log names.
    assert_eq!(chart.allergies.expect("allergies"), Vec::<Allergy>::new());
    assert_eq!((chart.records_withheld, chart.records_missing), (1, 1));
    let alerts = alerts(&c.site);
    assert!(alerts.iter().any(|a| a.contains("missing from this chart")), "{alerts:?}");
    assert!(alerts.iter().any(|a| a.contains("do not verify")), "{alerts:?}");
}

#[test]
fn reception_cannot_keep_the_doctor_from_a_chart_by_bending_one_record() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = chart(tmp.path());
    let mut admin = c.site.login("admin");
    let reception =
        mamori_core::domain::User::build("reception", "受付", mamori_core::domain::Role::Reception).expect("user");
    c.site.invite(&mut admin, &reception, &password_of("reception"));
    admin.logout().expect("logout");
    let mut doctor = c.site.login("doctor");
    let visit = doctor.open_encounter(c.patient, EncounterKind::Outpatient).expect("visit");
    let second = doctor.write_note(visit.id, text("二つ目の所見")).expect("second note");
    doctor.logout().expect("logout");

    let desk = c.site.login("reception");
    let sql = desk.raw_sql_for_inspection().expect("her session's database");
    // An epoch no key exists for, in one record; the other record's body stored as text.
    let body: Vec<u8> =
        sql.query_row("SELECT body FROM notes WHERE id = ?1", [c.note.id.to_string()], |r| r.get(0)).expect("row");
    let mut bent = body.clone();
    bent[1..5].copy_from_slice(&77u32.to_be_bytes());
    sql.execute("UPDATE notes SET body = ?1 WHERE id = ?2", params![bent, c.note.id.to_string()]).expect("bend");
    sql.execute("UPDATE notes SET body = CAST(body AS TEXT) WHERE id = ?1", [second.id.to_string()]).expect("retype");
    sql.execute("INSERT INTO allergies (id, patient_id, body) VALUES ('not-a-uuid', ?1, x'')", [c.patient.to_string()])
        .expect("a stray row");
    drop(desk);

    // The chart opens: the bent record and the stray row are left out (and raised); the record
    // stored as text is still the doctor's bytes, and opens.
    let (notes, withheld, _) = notes_seen_by_doctor(&c.site, c.patient);
    assert_eq!(notes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![second.id]);
    assert_eq!(withheld, 2);
}

#[test]
fn planted_rows_that_do_not_verify_neither_feed_a_repeat_prescription_nor_block_an_amendment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = chart(tmp.path());
    let mut doctor = c.site.login("doctor");
    let item = PrescriptionItemInput {
        drug: "アムロジピン錠5mg".into(),
        dose: 1.0,
        unit: "錠".into(),
        frequency: "1日1回朝食後".into(),
        days: 28,
    };
    let genuine = doctor.prescribe(c.patient, None, &[item]).expect("prescribe");
    doctor.logout().expect("logout");

    // The nurse plants a later "prescription" by the doctor (signed with her key), and an
    // "amendment" of his signed note in his name.
    let nurse = c.site.login("nurse");
    let (section, her_key) = nurse.own_keys_for_inspection().expect("what her password unlocks");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    let later = genuine.prescribed_at + chrono::Duration::seconds(1);
    let planted = Prescription {
        id: Uuid::new_v4(),
        prescribed_at: later,
        items: vec![PrescriptionItem {
            drug: "ゾルピデム錠10mg".into(),
            dose: 2.0,
            unit: "錠".into(),
            frequency: "就寝前".into(),
            days: 30,
        }],
        ..genuine.clone()
    };
    let by = Authorship { change_id: Uuid::new_v4(), author: "doctor", signing_key: &her_key };
    let sealed = ClinicalBody::PrescriptionIssued(planted.clone()).seal(section, &by).expect("seal");
    sql.execute(
        "INSERT INTO prescriptions (id, patient_id, prescribed_at, body) VALUES (?1, ?2, ?3, ?4)",
        params![planted.id.to_string(), c.patient.to_string(), later.to_rfc3339(), sealed.record()],
    )
    .expect("plant the prescription");
    let amendment = c.note.amendment(Uuid::new_v4(), "doctor", text("訂正（偽）"), later).expect("amendment");
    let by = Authorship { change_id: Uuid::new_v4(), author: "doctor", signing_key: &her_key };
    let sealed = ClinicalBody::NoteAmended(amendment).seal(section, &by).expect("seal");
    plant(sql, &sealed, "doctor");
    drop(nurse);

    let mut doctor = c.site.login("doctor");
    let repeated = doctor.prescribe_do(c.patient, None).expect("Do処方 repeats his own");
    assert_eq!(repeated.items[0].drug, "アムロジピン錠5mg");
    let amended = doctor.amend_note(c.note.id, text("追記：本人")).expect("his amendment is not blocked");
    assert_eq!(amended.replaces, Some(c.note.id));
}

#[test]
fn reception_neither_sees_nor_is_told_about_clinical_records() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = chart(tmp.path());
    let mut admin = c.site.login("admin");
    let reception =
        mamori_core::domain::User::build("reception", "受付", mamori_core::domain::Role::Reception).expect("user");
    c.site.invite(&mut admin, &reception, &password_of("reception"));
    admin.logout().expect("logout");
    let nurse = c.site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("her session's database");
    sql.execute("DELETE FROM notes WHERE id = ?1", [c.note.id.to_string()]).expect("delete the row");
    drop(nurse);
    let mut desk = c.site.login("reception");
    let chart = desk.chart(c.patient).expect("reception opens demographics");
    assert_eq!((chart.notes, chart.records_missing, chart.records_withheld), (None, 0, 0));
}
