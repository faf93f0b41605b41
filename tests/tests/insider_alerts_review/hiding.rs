//! The nurse hides her own alerts (see mod.rs for the scene).

#[allow(unused_imports)]
use super::*;

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
