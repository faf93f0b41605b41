//! Security review of the insider detector (`clinic/alerts`): the nurse, with her own login and
//! raw SQL on the database her password opens, tries to hide her alerts, frame a colleague, blind
//! the administrator's list, and reach the demo's audit generator; the administrator tries to
//! learn a patient's name through the detector. Each test asserts what SHOULD hold.
//!
//! Tests marked `BROKE, FIXED` broke at the reviewed commit (the attack worked) and pass since
//! the fix; those marked `HOLDS` held from the start. The export's token oracle (an administrator
//! probing a surname through a staff profile) is documented in docs/security-model.md.
//!
//! The scene (`Scene::new`): the doctor registers 高橋 (下馬3, the nurse's relative) and 山田
//! (a stranger, seen by the doctor that day, so an established patient); the admin fills the
//! nurse's profile (高橋, 下馬3). Two days later (Tuesday 2026-12-01) the nurse opens 高橋 at
//! 17:00 (same_surname) and 山田 at 23:30 (off_hours). The admin's list shows both.

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::Signer;
use mamori_core::alerts::{AlertFilter, AlertStatus, AlertView, StaffProfile};
use mamori_core::audit::Filter;
use mamori_core::clinic::{Standing, TrainingKind};
use mamori_core::clock::Clock;
use mamori_core::domain::EncounterKind;
use mamori_core::vault::MemoryStore;
use mamori_core::OpenBody;
use mamori_detect::context::{ClinicHours, OpenHours, Shift, ShiftKind};
use mamori_story_tests::*;
use uuid::Uuid;

struct Scene {
    site: Site<MemoryStore>,
    relative: Uuid,
    stranger: Uuid,
    /// Three more established patients nobody on the nurse's side has a reason to open.
    others: Vec<Uuid>,
    /// When the nurse opened the stranger's chart (Tuesday 23:30 JST).
    night: DateTime<Utc>,
    _tmp: tempfile::TempDir,
}

fn open() -> AlertFilter {
    AlertFilter { status: AlertStatus::Open, ..AlertFilter::default() }
}

fn names(alerts: &[AlertView], rule: Option<&str>, user: &str, patient: Uuid) -> bool {
    alerts.iter().any(|a| {
        rule.is_none_or(|r| a.rule == r) && a.user == user && a.patients.iter().any(|p| p.id == patient.to_string())
    })
}

impl Scene {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let site = Site::new(tmp.path(), MemoryStore::default());
        let (relative, stranger, others) = {
            let mut doctor = site.login("doctor");
            let mut input = patient("000101", ("高橋", "花子"), ("タカハシ", "ハナコ"), "1950-03-12", "");
            input.address = "東京都世田谷区下馬3-12-5".into();
            let relative = doctor.register_patient(&input).expect("register").id;
            let mut input = patient("000102", ("山田", "一郎"), ("ヤマダ", "イチロウ"), "1948-01-02", "");
            input.address = "東京都目黒区中町1-2-3".into();
            let stranger = doctor.register_patient(&input).expect("register").id;
            doctor.open_encounter(stranger, EncounterKind::Outpatient).expect("a visit with the doctor");
            let mut others = Vec::new();
            for (i, (family, kana)) in
                [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("伊藤", "イトウ")].into_iter().enumerate()
            {
                let input = patient(&format!("00020{i}"), (family, "太郎"), (kana, "タロウ"), "1960-01-01", "");
                let id = doctor.register_patient(&input).expect("register").id;
                doctor.open_encounter(id, EncounterKind::Outpatient).expect("a visit");
                others.push(id);
            }
            doctor.logout().expect("logout");
            (relative, stranger, others)
        };
        {
            let mut admin = site.login("admin");
            admin
                .set_staff_profile(&StaffProfile {
                    user: "nurse".into(),
                    surname: Some("高橋".into()),
                    surname_kana: Some("タカハシ".into()),
                    home_town: Some("下馬".into()),
                    home_block: Some("3".into()),
                })
                .expect("profile");
            admin.logout().expect("logout");
        }
        site.clock.advance(Duration::days(2) + Duration::hours(7));
        let mut nurse = site.login("nurse");
        nurse.chart(relative).expect("read");
        nurse.logout().expect("logout");
        site.clock.advance(Duration::hours(6) + Duration::minutes(30));
        let night = site.clock.now();
        let mut nurse = site.login("nurse");
        nurse.chart(stranger).expect("read");
        nurse.logout().expect("logout");

        let scene = Self { site, relative, stranger, others, night, _tmp: tmp };
        let alerts = scene.admin_alerts();
        assert!(names(&alerts, Some("same_surname"), "nurse", relative), "baseline: {alerts:#?}");
        assert!(names(&alerts, Some("off_hours"), "nurse", stranger), "baseline: {alerts:#?}");
        scene
    }

    fn admin_alerts(&self) -> Vec<AlertView> {
        let mut admin = self.site.login("admin");
        let alerts = admin.alerts(&open()).expect("the admin's alert list");
        admin.logout().expect("logout");
        alerts
    }

    /// The nurse logs in and runs `sql` on the database her password opens.
    fn nurse_sql(&self, sql: &str, params: impl rusqlite::Params) {
        let nurse = self.site.login("nurse");
        nurse.raw_sql_for_inspection().expect("raw SQL").execute(sql, params).expect("her raw SQL runs");
        nurse.logout().expect("logout");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Hiding her own alerts
// ---------------------------------------------------------------------------------------------

/// BROKE, FIXED: `DetectionSettings::read` takes `detection.roster` from the
/// `clinic_settings` state row, which no signed change has to back. An on-call shift she types in
/// makes her night access to an established patient `OnCallEstablished`, and `found::keep` drops
/// the alert as "no longer found".
#[test]
fn a_roster_row_she_types_in_does_not_explain_her_night_access() {
    let scene = Scene::new();
    let shift = Shift {
        user: "nurse".into(),
        kind: ShiftKind::OnCall,
        from: scene.night - Duration::hours(5),
        to: scene.night + Duration::hours(9),
        covers: None,
    };
    let value = serde_json::to_string(&vec![shift]).expect("json");
    scene.nurse_sql("INSERT OR REPLACE INTO clinic_settings (key, value) VALUES ('detection.roster', ?1)", [value]);
    let alerts = scene.admin_alerts();
    assert!(
        names(&alerts, None, "nurse", scene.stranger),
        "a roster no administrator signed explains nothing: {alerts:#?}"
    );
}

/// BROKE, FIXED: `detection.clinic_hours` is read from the raw state row too;
/// opening hours of 00:00–23:59 every day turn her night access from a medium `off_hours` alert
/// into a low `no_relationship` one (and a cover shift typed in the same way hides it).
#[test]
fn clinic_hours_she_types_in_do_not_move_her_night_into_opening_hours() {
    let scene = Scene::new();
    let all_day = |weekday| OpenHours {
        weekday,
        open: chrono::NaiveTime::from_hms_opt(0, 0, 0).expect("time"),
        close: chrono::NaiveTime::from_hms_opt(23, 59, 59).expect("time"),
    };
    let hours = ClinicHours { utc_offset_minutes: 540, hours: (0..7).map(all_day).collect(), holidays: Vec::new() };
    scene.nurse_sql(
        "INSERT OR REPLACE INTO clinic_settings (key, value) VALUES ('detection.clinic_hours', ?1)",
        [serde_json::to_string(&hours).expect("json")],
    );
    let alerts = scene.admin_alerts();
    assert!(
        names(&alerts, Some("off_hours"), "nurse", scene.stranger),
        "hours no administrator signed change nothing: {alerts:#?}"
    );
}

/// BROKE, FIXED: staff profiles are every `detection.staff_profile.*` row of
/// `clinic_settings` that parses; deleting hers (or rewriting its `user` field to a colleague)
/// silences the same-surname and same-neighbourhood rules for her.
#[test]
fn deleting_her_profile_row_does_not_silence_the_same_surname_rule() {
    let scene = Scene::new();
    scene.nurse_sql("DELETE FROM clinic_settings WHERE key = 'detection.staff_profile.nurse'", []);
    let alerts = scene.admin_alerts();
    assert!(
        names(&alerts, Some("same_surname"), "nurse", scene.relative),
        "the administrator's signed profile still counts: {alerts:#?}"
    );
}

/// BROKE, FIXED: `context::staff` reads staff from the `users` state table, not
/// the verified membership chain; with her row deleted she has no profile for the detector, so
/// the same-surname rule goes quiet (logins and roles, which come from the chain, are unaffected).
#[test]
fn deleting_her_users_row_does_not_take_her_out_of_the_detectors_staff() {
    let scene = Scene::new();
    scene.nurse_sql("DELETE FROM users WHERE name = 'nurse'", []);
    let alerts = scene.admin_alerts();
    assert!(
        names(&alerts, Some("same_surname"), "nurse", scene.relative),
        "the chain says who the staff are: {alerts:#?}"
    );
}

/// BROKE, FIXED: appointments come from the `appointments` state table; a row she
/// types in (no clinician named: "anyone may see the patient that day") makes her access a
/// `VisitToday`. No change, no audit event, no trace.
#[test]
fn an_appointment_row_she_types_in_does_not_explain_her_access() {
    let scene = Scene::new();
    let id = Uuid::now_v7();
    let body = serde_json::json!({
        "id": id, "patient_id": scene.stranger, "scheduled_at": scene.night, "purpose": "再診",
        "walk_in": true, "checked_in_at": scene.night, "cancelled": false, "kind": "outpatient",
    });
    scene.nurse_sql(
        "INSERT INTO appointments (id, patient_id, scheduled_at, body) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![id.to_string(), scene.stranger.to_string(), scene.night.to_rfc3339(), body.to_string()],
    );
    let alerts = scene.admin_alerts();
    assert!(names(&alerts, None, "nurse", scene.stranger), "an unsigned appointment explains nothing: {alerts:#?}");
}

/// BROKE, FIXED: the same with a visit row in `encounters` naming her as clinician.
#[test]
fn a_visit_row_she_types_in_does_not_explain_her_access() {
    let scene = Scene::new();
    let id = Uuid::now_v7();
    let body = serde_json::json!({
        "id": id, "patient_id": scene.stranger, "kind": "outpatient", "started_at": scene.night, "clinician": "nurse",
    });
    scene.nurse_sql(
        "INSERT INTO encounters (id, patient_id, started_at, body) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![id.to_string(), scene.stranger.to_string(), scene.night.to_rfc3339(), body.to_string()],
    );
    let alerts = scene.admin_alerts();
    assert!(names(&alerts, None, "nurse", scene.stranger), "an unsigned visit explains nothing: {alerts:#?}");
}

/// BROKE, FIXED: `context::lab_results` reads the `changes` table's own columns
/// (`entity_kind = 'lab_report'`, `patient_id`, `hlc_wall`, `author`) without checking the
/// signature; the log refuses UPDATE and DELETE but takes any INSERT, so one unsigned row makes
/// every clinician's access to that patient within a week a `LabResult`.
#[test]
fn a_lab_report_row_she_types_into_the_change_log_does_not_explain_her_access() {
    let scene = Scene::new();
    let wall = (scene.night - Duration::hours(1)).timestamp_millis();
    scene.nurse_sql(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, patient_id, body)
         VALUES (?1, ?2, 0, 'doctor', 'nowhere', 'lab_report', ?3, ?4, '{}')",
        rusqlite::params![Uuid::now_v7().to_string(), wall, Uuid::now_v7().to_string(), scene.stranger.to_string()],
    );
    let alerts = scene.admin_alerts();
    assert!(names(&alerts, None, "nurse", scene.stranger), "an unsigned lab row explains nothing: {alerts:#?}");
}

/// HOLDS: an acknowledgement she signs with her own key (the exact change format, a valid chain
/// position) is checked by `VerifiedChange::check`: her role may not write Administration.
#[test]
fn an_acknowledgement_signed_with_her_own_key_acknowledges_nothing() {
    let scene = Scene::new();
    let alert = scene
        .admin_alerts()
        .into_iter()
        .find(|a| a.rule == "off_hours" && a.user == "nurse")
        .expect("the night alert")
        .id;
    let nurse = scene.site.login("nurse");
    let (_, key) = nurse.own_keys_for_inspection().expect("her own signing key");
    let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
    let head: i64 = sql.query_row("SELECT max(seq) FROM membership_links", [], |r| r.get(0)).expect("chain head");
    let body = OpenBody::AlertAcknowledged { alert: alert.clone(), comment: "確認済み".into(), events: Vec::new() };
    let json = serde_json::to_vec(&body).expect("json");
    let id = Uuid::now_v7();
    let wall = scene.site.clock.now().timestamp_millis();
    let device = nurse.device_id().to_string();
    for author in ["nurse", "admin"] {
        let mut bytes = vec![0x01];
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&wall.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes.push(0);
        for name in [author, device.as_str()] {
            bytes.push(u8::try_from(name.len()).expect("short"));
            bytes.extend_from_slice(name.as_bytes());
        }
        bytes.extend_from_slice(&u64::try_from(head).expect("seq").to_be_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&u32::try_from(json.len()).expect("len").to_be_bytes());
        bytes.extend_from_slice(&json);
        let mut message = b"mamori-change-v1/sign\0".to_vec();
        message.extend_from_slice(&bytes);
        let signature = key.sign(&message).to_bytes().to_vec();
        let row_id = if author == "nurse" { id } else { Uuid::now_v7() };
        sql.execute(
            "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, body, signed, signature)
             VALUES (?1, ?2, 0, ?3, ?4, 'alert_ack', ?5, ?6, ?7, ?8)",
            rusqlite::params![
                row_id.to_string(),
                wall,
                author,
                device,
                alert,
                String::from_utf8_lossy(&json),
                bytes,
                signature
            ],
        )
        .expect("a row typed into the log");
    }
    nurse.logout().expect("logout");
    let alerts = scene.admin_alerts();
    assert!(alerts.iter().any(|a| a.id == alert), "her own signature acknowledges nothing: {alerts:#?}");
}

/// BROKE, FIXED (no raw SQL needed): an alert's id is (rule, user, first event) and
/// its group is (rule, user, clinic day); once the administrator acknowledges it, every later
/// access that day under the same rule joins the acknowledged alert (`found::keep` updates the
/// row, `acks::verified` still matches the id) and nothing is open. The acknowledgement covered
/// one chart; she then opens three more, and the list shows nothing to look at.
#[test]
fn an_acknowledged_alert_does_not_swallow_her_later_accesses_that_day() {
    let scene = Scene::new();
    scene.site.clock.advance(Duration::minutes(2));
    {
        let mut admin = scene.site.login("admin");
        let night = admin
            .alerts(&open())
            .expect("alerts")
            .into_iter()
            .find(|a| a.rule == "off_hours" && a.user == "nurse")
            .expect("the night alert");
        assert_eq!(night.patients.len(), 1);
        admin.acknowledge_alert(&night.id, "本人に確認。急変の問い合わせ対応のため。").expect("acknowledge");
        admin.logout().expect("logout");
    }
    scene.site.clock.advance(Duration::minutes(5));
    let mut nurse = scene.site.login("nurse");
    for id in &scene.others {
        nurse.chart(*id).expect("read");
    }
    nurse.logout().expect("logout");
    let alerts = scene.admin_alerts();
    for id in &scene.others {
        assert!(names(&alerts, None, "nurse", *id), "a chart opened after the acknowledgement is open: {alerts:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Framing a colleague
// ---------------------------------------------------------------------------------------------

/// BROKE, FIXED: the patients' context comes from the `patients` state rows. She
/// marks the stranger's chart, with raw SQL, as the doctor's own; `own_or_family` fires "explained
/// or not", so the doctor's ordinary registration and visit become an alert against him, with no
/// signed change and no audit event of hers behind it.
#[test]
fn a_chart_marked_the_doctors_own_by_raw_sql_raises_nothing_against_him() {
    let scene = Scene::new();
    {
        let nurse = scene.site.login("nurse");
        let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
        let body: String = sql
            .query_row("SELECT body FROM patients WHERE id = ?1", [scene.stranger.to_string()], |r| r.get(0))
            .expect("the chart's row");
        let mut value: serde_json::Value = serde_json::from_str(&body).expect("json");
        value["sensitive"] = true.into();
        value["sensitive_kind"] = "staff".into();
        value["staff_member"] = "doctor".into();
        sql.execute("UPDATE patients SET body = ?1 WHERE id = ?2", [value.to_string(), scene.stranger.to_string()])
            .expect("her edit");
        nurse.logout().expect("logout");
    }
    let alerts = scene.admin_alerts();
    assert!(
        !alerts.iter().any(|a| a.user == "doctor" && a.rule == "own_or_family"),
        "an unsigned edit frames nobody: {alerts:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Junk rows against the administrator's list
// ---------------------------------------------------------------------------------------------

/// HOLDS: rows of text junk in `alerts` (not JSON, JSON of the wrong shape, a huge patient list,
/// an unreadable time) are skipped or shown harmlessly; the list still works and still shows her
/// real alerts.
#[test]
fn text_junk_in_the_alerts_table_neither_breaks_nor_hides_the_list() {
    let scene = Scene::new();
    let many: Vec<String> = (0..20_000).map(|_| Uuid::now_v7().to_string()).collect();
    let huge = serde_json::json!({ "rule": "x", "patients": many, "events": 5, "explanation": [] }).to_string();
    {
        let nurse = scene.site.login("nurse");
        let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
        for (id, found_at, body) in [
            ("junk1", "2026-12-01T00:00:00Z", "not json {"),
            ("junk2", "not a time", "{}"),
            ("junk3", "2026-12-01T00:00:00Z", r#"{"patients": 5, "from": 7, "explanation": {"ja": 1}}"#),
            ("junk4", "2026-12-01T00:00:00Z", huge.as_str()),
        ] {
            sql.execute(
                "INSERT INTO alerts (id, rule, severity, user_name, from_at, to_at, found_at, body)
                 VALUES (?1, 'x', 'x', 'x', '0000', '0000', ?2, ?3)",
                [id, found_at, body],
            )
            .expect("junk row");
        }
        nurse.logout().expect("logout");
    }
    let alerts = scene.admin_alerts();
    assert!(names(&alerts, Some("off_hours"), "nurse", scene.stranger), "{alerts:#?}");
}

/// BROKE, FIXED: `found::all` reads `body` with `row.get::<String>` and `?`; a
/// BLOB in that TEXT column (SQLite keeps it a BLOB) is a type error that fails the whole
/// `alerts()` call, and with it `alert_summary()` and the posture page. One row, kept out of the
/// scan's clean-up by an old `from_at`, blinds the administrator until someone deletes it.
#[test]
fn a_blob_in_the_alerts_table_does_not_break_the_admins_list() {
    let scene = Scene::new();
    scene.nurse_sql(
        "INSERT INTO alerts (id, rule, severity, user_name, from_at, to_at, found_at, body)
         VALUES ('junk', 'x', 'x', 'x', '0000', '0000', '2026-12-01T00:00:00Z', X'7B7D')",
        [],
    );
    let mut admin = scene.site.login("admin");
    let alerts = admin.alerts(&open());
    assert!(alerts.is_ok(), "one junk row does not stop the list: {:?}", alerts.err());
    let alerts = alerts.expect("alerts");
    assert!(names(&alerts, Some("off_hours"), "nurse", scene.stranger), "{alerts:#?}");
    assert!(admin.posture(None).is_ok(), "nor the posture page");
    admin.logout().expect("logout");
}

/// BROKE, FIXED: `settings::prefixed`/`setting` read values with
/// `row.get::<String>` and `?`; a BLOB value under any `detection.` key fails `context::build`,
/// so `scan_alerts` and `alerts()` fail (the comment "one that does not parse is left out" does
/// not cover a type error). Text junk under the same keys is skipped.
#[test]
fn a_blob_detection_setting_does_not_stop_the_detector() {
    let scene = Scene::new();
    scene.nurse_sql(
        "INSERT INTO clinic_settings (key, value) VALUES ('detection.staff_profile.zzz', 'not json'),
                                                         ('detection.staff_profile.zzzz', X'7B7D')",
        [],
    );
    let mut admin = scene.site.login("admin");
    let alerts = admin.alerts(&open());
    assert!(alerts.is_ok(), "one junk setting does not stop the detector: {:?}", alerts.err());
    assert!(names(&alerts.expect("alerts"), Some("same_surname"), "nurse", scene.relative));
    admin.logout().expect("logout");
}

/// BROKE, FIXED: `acks::verified` reads `signed` and `signature` as `Vec<u8>` with
/// `?`; an `alert_ack` row with NULL (or text) there — the log takes any INSERT — is a type error
/// that fails every `alerts()` call. A row whose bytes do not verify is skipped, as intended.
#[test]
fn an_unsigned_acknowledgement_row_does_not_break_the_admins_list() {
    let scene = Scene::new();
    scene.nurse_sql(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, body)
         VALUES (?1, 0, 0, 'admin', 'x', 'alert_ack', 'x', '{}')",
        [Uuid::now_v7().to_string()],
    );
    let mut admin = scene.site.login("admin");
    let alerts = admin.alerts(&open());
    assert!(alerts.is_ok(), "an unsigned row is ignored, not fatal: {:?}", alerts.err());
    admin.logout().expect("logout");
}

// ---------------------------------------------------------------------------------------------
// Posture page records
// ---------------------------------------------------------------------------------------------

/// BROKE, FIXED: training and review records are every `records.*` row of
/// `clinic_settings` that parses; a training record (even "recorded by admin") and an access-log
/// review she types in turn her overdue training and the overdue log review green.
#[test]
fn records_she_types_in_do_not_count_on_the_posture_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let today = {
        let mut admin = site.login("admin");
        let today = admin.today();
        // A genuine record for someone else, so the page has something to compare with.
        admin.record_training("doctor", today, TrainingKind::Training, "研修", None).expect("record");
        admin.logout().expect("logout");
        today
    };
    {
        let nurse = site.login("nurse");
        let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
        let training = serde_json::json!({
            "id": "forged-1", "user": "nurse", "date": today, "kind": "training", "topic": "研修",
            "reported_test_mail": null, "recorded_by": "admin",
        });
        let review = serde_json::json!({
            "id": "forged-2", "kind": "access_log", "date": today, "by": "admin", "findings": "異常なし",
        });
        sql.execute(
            "INSERT INTO clinic_settings (key, value) VALUES ('records.training.forged-1', ?1), ('records.review.forged-2', ?2)",
            [training.to_string(), review.to_string()],
        )
        .expect("her rows");
        nurse.logout().expect("logout");
    }
    let mut admin = site.login("admin");
    let page = admin.posture(None).expect("posture");
    let item = |name: &str| page.iter().find(|i| i.item == name).cloned().expect("item");
    assert!(item("training").names.iter().any(|n| n == "nurse"), "her own record counts for nothing: {page:#?}");
    assert_eq!(item("log_review").standing, Standing::Attention, "a review nobody signed: {page:#?}");
    admin.logout().expect("logout");
}

// ---------------------------------------------------------------------------------------------
// 2. Names through the detector
// ---------------------------------------------------------------------------------------------

/// HOLDS: the alert list, the summary and the posture page name no patient (the scene's names
/// and addresses appear nowhere in what the administrator gets).
#[test]
fn the_admins_alerts_summary_and_posture_name_no_patient() {
    let scene = Scene::new();
    let mut admin = scene.site.login("admin");
    let all = admin.alerts(&AlertFilter { status: AlertStatus::All, ..AlertFilter::default() }).expect("alerts");
    let summary = admin.alert_summary().expect("summary");
    let page = admin.posture(None).expect("posture");
    let export = admin.detection_context_export().expect("export");
    admin.logout().expect("logout");
    let shown = format!(
        "{}{}{:?}{}",
        serde_json::to_string(&all).expect("json"),
        serde_json::to_string(&summary).expect("json"),
        page,
        serde_json::to_string(&export).expect("json")
    );
    for word in ["高橋", "花子", "山田", "一郎", "ヤマダ", "タカハシ", "下馬", "中町", "佐藤", "鈴木", "伊藤"]
    {
        assert!(!shown.contains(word), "{word} reached the administrator");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. The demo's audit generator
// ---------------------------------------------------------------------------------------------

/// HOLDS: `demo::populate` is public, but from a real clinic's session (the nurse's, or the
/// admin's) it never reaches `append_generated_audit`: the session holds no other user's key, so
/// no event in a colleague's name, and none of the demo's planted cases, appear.
#[test]
fn the_demo_generators_audit_is_not_reached_from_a_real_clinic() {
    let scene = Scene::new();
    let count_others = |site: &Site<MemoryStore>| {
        let mut admin = site.login("admin");
        let events = admin.audit_events(&Filter::All).expect("events");
        admin.logout().expect("logout");
        events.iter().filter(|e| e.user == "doctor" || e.user == "reception").count()
    };
    let before = count_others(&scene.site);
    for user in ["nurse", "admin"] {
        let mut session = scene.site.login(user);
        let _ = mamori_core::demo::populate(&mut session, &mamori_core::demo::DemoOptions { patients: 2, seed: 7 });
        let _ = session.logout();
    }
    assert_eq!(count_others(&scene.site), before, "no event in a colleague's name");
    let alerts = scene.admin_alerts();
    assert!(
        !alerts.iter().any(|a| a.user == "doctor" || a.user == "reception" || a.rule == "bulk_export"),
        "no planted case: {alerts:#?}"
    );
}

/// BROKE, FIXED: `found::keep` drops only rows with `from_at` inside the scan's
/// window that the scan no longer finds, and `view_of` shows the row's `body`, not what the scan
/// found. A row she types in with an old `from_at` (the column) but a recent `from` (the body)
/// stays for good and shows as a fresh high-severity alert against the doctor, with the
/// explanation she wrote and charts by number — no audit event behind it.
#[test]
fn an_alert_row_she_types_in_is_not_shown_as_an_alert() {
    let scene = Scene::new();
    let body = serde_json::json!({
        "rule": "bulk_export", "severity": "high", "user": "doctor",
        "patients": [scene.relative, scene.stranger], "events": [Uuid::now_v7()],
        "from": scene.night, "to": scene.night,
        "explanation": { "ja": "doctor が 6名分を書き出しました。", "en": "doctor exported 6 patients' records." },
    });
    scene.nurse_sql(
        "INSERT INTO alerts (id, rule, severity, user_name, from_at, to_at, found_at, body)
         VALUES ('00000000feedbeef', 'bulk_export', 'high', 'doctor', '0000', '0000', ?1, ?2)",
        [scene.night.to_rfc3339(), body.to_string()],
    );
    let alerts = scene.admin_alerts();
    assert!(
        !alerts.iter().any(|a| a.user == "doctor" && a.rule == "bulk_export"),
        "only what the scan found is an alert: {alerts:#?}"
    );
}

/// BROKE, FIXED (dishonest administrator): `acknowledge_alert` does not look at
/// whose alert it is. The administrator breaks the glass to read a patient's demographics (the
/// one way she sees a name), and acknowledges the `break_glass` alert about herself with a comment
/// of her own; it leaves the open list. (The posture page still counts the break-the-glass for 30
/// days.) An alert about the acknowledging administrator should need another administrator.
#[test]
fn an_administrator_cannot_acknowledge_an_alert_about_herself() {
    let scene = Scene::new();
    let mut admin = scene.site.login("admin");
    admin
        .break_glass(scene.stranger, mamori_core::policy::Section::Demographics, "アラートの患者確認のため")
        .expect("break the glass");
    let own = admin
        .alerts(&open())
        .expect("alerts")
        .into_iter()
        .find(|a| a.user == "admin" && a.rule == "break_glass")
        .expect("her break-the-glass is on the list");
    let acked = admin.acknowledge_alert(&own.id, "確認済み");
    let still_open = admin.alerts(&open()).expect("alerts").iter().any(|a| a.id == own.id);
    admin.logout().expect("logout");
    assert!(acked.is_err() && still_open, "she may not close an alert about herself");
}
