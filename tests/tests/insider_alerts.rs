//! Story: the nurse, 高橋, lives in 下馬 3丁目. One evening she opens the chart of a 高橋 from
//! her own block, and late at night a chart she has no reason to see. The detector runs inside
//! the core over this computer's own audit log: the administrator — who may not read charts or
//! names — sees two alerts naming the nurse, the charts by number, the events, when and why, in
//! Japanese and English, and acknowledges one with a comment. Then the nurse, with raw SQL on the
//! database her password opens, tries to make her alerts go away: deleting the rows brings them
//! back at the next scan, and an acknowledgement she types in is not signed by an administrator
//! and acknowledges nothing.

use chrono::Duration;
use mamori_core::alerts::{AlertFilter, AlertStatus, StaffProfile};
use mamori_core::audit::Filter;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn open(filter_status: AlertStatus) -> AlertFilter {
    AlertFilter { status: filter_status, ..AlertFilter::default() }
}

#[test]
fn the_admin_sees_explained_alerts_acknowledges_one_and_the_nurse_cannot_hide_hers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let (relative, stranger) = {
        let mut doctor = site.login("doctor");
        let mut input = patient("000101", ("高橋", "花子"), ("タカハシ", "ハナコ"), "1950-03-12", "");
        input.address = "東京都世田谷区下馬3-12-5".into();
        let relative = doctor.register_patient(&input).expect("register").id;
        let mut input = patient("000102", ("山田", "一郎"), ("ヤマダ", "イチロウ"), "1948-01-02", "");
        input.address = "東京都目黒区中町1-2-3".into();
        let stranger = doctor.register_patient(&input).expect("register").id;
        doctor.logout().expect("logout");
        (relative, stranger)
    };
    {
        let mut admin = site.login("admin");
        let profile = StaffProfile {
            user: "nurse".into(),
            surname: Some("高橋".into()),
            surname_kana: Some("タカハシ".into()),
            home_town: Some("下馬".into()),
            home_block: Some("3".into()),
        };
        admin.set_staff_profile(&profile).expect("the admin fills the nurse's profile");
        let unknown = StaffProfile { user: "nobody".into(), ..profile };
        assert!(matches!(admin.set_staff_profile(&unknown), Err(Error::NotFound { .. })), "only a user of the clinic");
        admin.logout().expect("logout");
    }

    // Two days later (the registrations explain nothing any more): at 17:00 the relative, at
    // 23:30 the stranger.
    site.clock.advance(Duration::days(2) + Duration::hours(7));
    let mut nurse = site.login("nurse");
    nurse.chart(relative).expect("the nurse may read charts");
    nurse.logout().expect("logout");
    site.clock.advance(Duration::hours(6) + Duration::minutes(30));
    let mut nurse = site.login("nurse");
    nurse.chart(stranger).expect("the nurse may read charts");
    assert!(matches!(nurse.alerts(&AlertFilter::default()), Err(Error::Denied { .. })), "alerts are the admin's");
    nurse.logout().expect("logout");

    let mut admin = site.login("admin");
    let alerts = admin.alerts(&open(AlertStatus::Open)).expect("alerts");
    let surname = alerts.iter().find(|a| a.rule == "same_surname").expect("the same-surname rule fired");
    assert_eq!(surname.user, "nurse");
    assert_eq!(surname.patients.len(), 1);
    assert_eq!(surname.patients[0].id, relative.to_string());
    assert_eq!(surname.patients[0].chart_no.as_deref(), Some("000101"), "the admin finds the chart by its number");
    assert!(!surname.events.is_empty() && surname.from <= surname.to);
    assert!(surname.explanation_ja.contains("同じ姓") && surname.explanation_en.contains("surname"));
    let late = alerts
        .iter()
        .find(|a| a.patients.iter().any(|p| p.id == stranger.to_string()))
        .expect("the late-night chart raised an alert");
    assert!(matches!(late.rule.as_str(), "off_hours" | "no_relationship"), "{}", late.rule);
    for alert in &alerts {
        for word in ["高橋", "花子", "山田", "下馬", "タカハシ"] {
            assert!(
                !alert.explanation_ja.contains(word) && !alert.explanation_en.contains(word),
                "an alert names no patient"
            );
        }
    }

    // Acknowledging needs a comment and a real alert.
    assert!(matches!(admin.acknowledge_alert(&surname.id, "   "), Err(Error::Invalid(_))));
    assert!(matches!(admin.acknowledge_alert("0123456789abcdef", "確認済み"), Err(Error::NotFound { .. })));
    let comment = "本人に確認。母の通院付き添いのため。今後は担当者に依頼するよう指導。";
    admin.acknowledge_alert(&surname.id, comment).expect("acknowledge");
    let open_now = admin.alerts(&open(AlertStatus::Open)).expect("alerts");
    assert!(open_now.iter().all(|a| a.id != surname.id), "an acknowledged alert is no longer open");
    assert!(open_now.iter().any(|a| a.id == late.id), "the other stays open");
    let done = admin.alerts(&open(AlertStatus::Acknowledged)).expect("alerts");
    let ack = done.iter().find(|a| a.id == surname.id).and_then(|a| a.acknowledged.clone()).expect("acknowledged");
    assert_eq!((ack.by.as_str(), ack.comment.as_str()), ("admin", comment));
    let summary = admin.alert_summary().expect("summary");
    assert_eq!(summary.open, u32::try_from(open_now.len()).expect("count"));
    assert!(summary.found_today >= 1, "the day's alerts are summarised");

    // The acknowledgement is audited by the alert's id; the comment stays out of the audit log.
    let events = admin.audit_events(&Filter::All).expect("events");
    assert!(events.iter().any(|e| e.reason.as_deref().is_some_and(|r| r.contains(&surname.id))));
    let log = serde_json::to_string(&events).expect("json");
    assert!(!log.contains("母の通院"), "the comment is not in the audit log");
    // The nurse's profile is not in it either.
    assert!(!log.contains("下馬"), "a staff member's home town stays out of the audit log");
    admin.logout().expect("logout");

    // The nurse, with raw SQL, deletes her alerts and types in an acknowledgement of the other.
    let nurse = site.login("nurse");
    let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
    sql.execute("DELETE FROM alerts", []).expect("the rows are hers to delete");
    let (signed, signature): (Vec<u8>, Vec<u8>) = sql
        .query_row("SELECT signed, signature FROM changes WHERE entity_kind = 'alert_ack'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the admin's acknowledgement");
    let forged = String::from_utf8_lossy(&signed).replace(&surname.id, &late.id).into_bytes();
    assert_ne!(forged, signed, "the copy names the other alert");
    sql.execute(
        "INSERT INTO changes (id, hlc_wall, hlc_counter, author, device, entity_kind, entity_id, body, signed, signature)
         SELECT '01900000-0000-7000-8000-00000000f0f0', hlc_wall + 1, 0, author, device, entity_kind, ?1, body, ?2, ?3
         FROM changes WHERE entity_kind = 'alert_ack'",
        rusqlite::params![late.id, forged, signature],
    )
    .expect("a row typed into the log");
    drop(nurse);

    let mut admin = site.login("admin");
    let open_again = admin.alerts(&open(AlertStatus::Open)).expect("alerts");
    assert!(
        open_again.iter().any(|a| a.id == late.id),
        "deleted rows come back and a forged acknowledgement counts for nothing"
    );
    let done = admin.alerts(&open(AlertStatus::Acknowledged)).expect("alerts");
    assert!(done.iter().any(|a| a.id == surname.id), "the admin's own acknowledgement still counts");
}

/// Story: the doctor opens an established patient's chart at 23:00. With no roster it is an
/// off-hours alert; once the administrator enters that night's on-call shift, the next scan
/// finds it explained and the alert goes. A roster naming someone who is not a user, a shift
/// that ends before it starts, or a cover that covers nobody (or herself) is refused, naming the
/// shift; so is a day whose hours close as they open.
#[test]
fn an_on_call_night_entered_in_the_roster_explains_the_doctors_night_access() {
    use mamori_core::alerts::{ClinicHours, Shift, ShiftKind};
    use mamori_core::domain::validation::Problem;
    use mamori_core::domain::{EncounterKind, Field, FieldError};

    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let patient = {
        let mut doctor = site.login("doctor");
        let input = patient("000201", ("森", "和子"), ("モリ", "カズコ"), "1940-05-06", "");
        let id = doctor.register_patient(&input).expect("register").id;
        doctor.open_encounter(id, EncounterKind::Outpatient).expect("a visit");
        doctor.logout().expect("logout");
        id
    };
    // Three weeks later (a Sunday here), at 23:00 Japan time, the doctor opens her chart.
    site.clock.advance(Duration::days(21) + Duration::hours(13));
    let night = mamori_core::clock::Clock::now(&site.clock);
    let mut doctor = site.login("doctor");
    doctor.chart(patient).expect("read");
    doctor.logout().expect("logout");

    let mut admin = site.login("admin");
    let open = AlertFilter::default();
    let night_alert = |alerts: &[mamori_core::alerts::AlertView]| {
        alerts.iter().any(|a| a.user == "doctor" && a.patients.iter().any(|p| p.id == patient.to_string()))
    };
    let before = admin.alerts(&open).expect("alerts");
    assert!(night_alert(&before), "without a roster the night access is unexplained: {before:#?}");

    let shift = |user: &str, kind, from, to, covers: Option<&str>| Shift {
        user: user.into(),
        kind,
        from,
        to,
        covers: covers.map(str::to_string),
    };
    let (from, to) = (night - Duration::hours(5), night + Duration::hours(9));
    let on_call = shift("doctor", ShiftKind::OnCall, from, to, None);
    assert!(matches!(
        admin.set_roster(&[shift("nobody", ShiftKind::OnCall, from, to, None)]),
        Err(Error::NotFound { .. })
    ));
    // A bad shift is refused, and the error names the shift (by its place in the list) and what
    // is wrong with it, not some other field.
    for (bad, field, problem) in [
        (shift("doctor", ShiftKind::OnCall, to, from, None), Field::Shift, Problem::RangeReversed),
        (shift("doctor", ShiftKind::Cover, from, to, None), Field::Covers, Problem::Required),
        (shift("doctor", ShiftKind::Cover, from, to, Some("doctor")), Field::Covers, Problem::UnknownChoice),
    ] {
        let Err(Error::Invalid(errors)) = admin.set_roster(&[on_call.clone(), bad]) else { panic!("refused") };
        assert_eq!(errors.fields(), [FieldError { field, problem, item: Some(2) }]);
    }
    let mut hours = ClinicHours::default();
    hours.hours[0].close = hours.hours[0].open;
    let Err(Error::Invalid(errors)) = admin.set_clinic_hours(&hours) else { panic!("a day that closes as it opens") };
    assert_eq!(
        errors.fields(),
        [FieldError { field: Field::ClinicHours, problem: Problem::RangeReversed, item: Some(1) }]
    );
    admin.set_roster(&[shift("doctor", ShiftKind::OnCall, from, to, None)]).expect("the on-call night");
    let after = admin.alerts(&open).expect("alerts");
    assert!(!night_alert(&after), "the on-call shift explains it: {after:#?}");
}

/// Story: the nurse opens a chart at 23:00 with no reason. With raw SQL on the database she then
/// types an on-call shift for herself into the settings table and an appointment for the
/// patient that day into the appointments table, and deletes the alert. Neither row was put
/// there by a signed change: the next scan finds the access as unexplained as before.
#[test]
fn a_shift_or_appointment_typed_into_the_tables_explains_nothing() {
    use mamori_core::domain::EncounterKind;

    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let patient = {
        let mut doctor = site.login("doctor");
        let input = patient("000301", ("原", "直子"), ("ハラ", "ナオコ"), "1955-02-03", "");
        let id = doctor.register_patient(&input).expect("register").id;
        doctor.open_encounter(id, EncounterKind::Outpatient).expect("a visit");
        doctor.logout().expect("logout");
        id
    };
    site.clock.advance(Duration::days(21) + Duration::hours(13));
    let night = mamori_core::clock::Clock::now(&site.clock);
    let nurse = {
        let mut nurse = site.login("nurse");
        nurse.chart(patient).expect("read");
        nurse
    };
    let flagged = |admin: &mut mamori_core::clinic::Clinic| {
        admin
            .alerts(&AlertFilter::default())
            .expect("alerts")
            .iter()
            .any(|a| a.user == "nurse" && a.patients.iter().any(|p| p.id == patient.to_string()))
    };
    {
        let mut admin = site.login("admin");
        assert!(flagged(&mut admin), "the night access is unexplained");
        admin.logout().expect("logout");
    }

    let sql = nurse.raw_sql_for_inspection().expect("raw SQL");
    let shift = serde_json::json!([{
        "user": "nurse", "kind": "on_call",
        "from": (night - Duration::hours(6)).to_rfc3339(), "to": (night + Duration::hours(6)).to_rfc3339()
    }]);
    sql.execute(
        "INSERT OR REPLACE INTO clinic_settings (key, value) VALUES ('detection.roster', ?1)",
        [shift.to_string()],
    )
    .expect("a shift typed in");
    let appointment = serde_json::json!({
        "id": "01900000-0000-7000-8000-0000000000a1", "patient_id": patient.to_string(),
        "scheduled_at": night.to_rfc3339(), "purpose": "再診", "walk_in": false,
        "checked_in_at": null, "cancelled": false, "kind": "outpatient", "clinician": "nurse"
    });
    sql.execute(
        "INSERT INTO appointments (id, patient_id, scheduled_at, body) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            "01900000-0000-7000-8000-0000000000a1",
            patient.to_string(),
            night.to_rfc3339(),
            appointment.to_string()
        ],
    )
    .expect("an appointment typed in");
    sql.execute("DELETE FROM alerts", []).expect("the alert rows deleted");
    nurse.logout().expect("logout");

    let mut admin = site.login("admin");
    assert!(flagged(&mut admin), "rows no signed change put there explain nothing");
}
