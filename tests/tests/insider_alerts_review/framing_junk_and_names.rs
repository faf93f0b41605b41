//! Framing a colleague, junk rows, posture records, names through the detector, the demo generator.

#[allow(unused_imports)]
use super::*;

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
