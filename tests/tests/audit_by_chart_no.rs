//! Story: a patient brings her card to the desk and asks who has looked at her chart. The admin,
//! who reads no charts or demographics, types the number on her card (診察券番号): the core finds
//! her events without telling the admin her name, and records that the admin asked. Every reason
//! the core writes in a clinic's day can be shown in the reader's language.

use chrono::Duration;
use mamori_core::audit::{Action, ExplainedEvent, Filter};
use mamori_core::auth::SecondFactor;
use mamori_core::clock::Clock;
use mamori_core::domain::{Role, User};
use mamori_core::policy::Section;
use mamori_core::secret::Password;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

#[test]
fn the_admin_finds_a_patients_audit_by_her_card_number_without_learning_her_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 5);
    let mut desk = site.login("reception");
    let her =
        desk.register_patient(&patient("880123", ("守山", "ゆき"), ("モリヤマ", "ユキ"), "1962-04-01", "")).expect("p");
    let mut nurse = site.login("nurse");
    nurse.chart(her.id).expect("the nurse opens her chart");

    let mut admin = site.login("admin");
    assert!(matches!(admin.patient(her.id), Err(Error::Denied { .. })), "an admin reads no demographics");
    // Typed as on the card, in full-width digits.
    let report = admin.audit_events_for_chart_no("８８０１２３").expect("report");
    assert_eq!((report.patient, report.chart_no.as_str()), (her.id, "880123"));
    assert!(report.events.iter().any(|e| e.event.user == "nurse" && e.event.action == Action::Read));
    let sent = serde_json::to_string(&report).expect("json");
    for name in ["守山", "ゆき", "モリヤマ", "ユキ"] {
        assert!(!sent.contains(name), "the report tells the admin nothing but the id and the events");
    }

    // The lookup itself is on her record, so she can see that the admin asked.
    let asked = admin.audit_events(&Filter::Patient(her.id)).expect("events");
    assert!(asked.iter().any(|e| e.user == "admin"
        && e.action == Action::Export
        && e.reason.as_deref() == Some("events about the patient with chart number 880123")));

    // A number nobody has is refused, and the attempt is recorded too.
    assert!(matches!(admin.audit_events_for_chart_no("999999"), Err(Error::NotFound { .. })));
    let mine = admin.audit_events(&Filter::User("admin".into())).expect("events");
    assert!(mine.iter().any(|e| e.reason.as_deref().is_some_and(|r| r.contains("999999"))));

    // Nobody else may ask.
    assert!(matches!(site.login("doctor").audit_events_for_chart_no("880123"), Err(Error::Denied { .. })));
    assert!(matches!(site.login("reception").audit_events_for_chart_no("880123"), Err(Error::Denied { .. })));
}

#[test]
fn every_reason_written_in_a_clinics_day_has_a_translation_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 5);
    let p = site.login("reception").search_patients("1", 1).expect("search")[0].id;

    // Refusals: a wrong password, a wrong one-time code, a section the role lacks, a sealed glass.
    let wrong = site.login_with("nurse", "not-her-password", SecondFactor::Totp("000000".into()));
    assert!(wrong.is_err());
    assert!(site.login_with("doctor", &site.password("doctor"), SecondFactor::Totp("000000".into())).is_err());
    let mut desk = site.login("reception");
    assert!(desk.chart(p).is_ok());
    assert!(desk.record_vitals(p, None, &Default::default()).is_err());
    assert!(matches!(
        desk.break_glass(p, Section::Allergies, "救急隊からの問い合わせ"),
        Err(Error::SealedSection { .. })
    ));
    drop(desk);

    // The admin's day: users, settings, a glass on demographics that runs out, every report.
    let mut admin = site.login("admin");
    admin.set_idle_timeout(45).expect("setting");
    let locum = User::build("locum", "代務 医師", Role::Doctor).expect("user");
    admin.invite_user(&site.keyring, &locum).expect("invite");
    admin.change_role("locum", Role::Nurse).expect("role");
    admin.set_user_disabled("locum", true).expect("disable");
    admin.reset_second_factor("nurse").expect("reset");
    admin.unlock_account(&site.keyring, "nurse").expect("unlock");
    admin.break_glass(p, Section::Demographics, "監査アラートの患者確認").expect("grant");
    admin.patient(p).expect("read under the grant");
    site.clock.advance(Duration::minutes(31));
    assert!(matches!(admin.patient(p), Err(Error::Denied { .. })), "the grant ran out");
    // Away from the desk for longer than the idle timeout: the screen locks itself.
    site.clock.advance(Duration::minutes(46));
    assert!(matches!(admin.patient(p), Err(Error::SessionLocked)));
    site.clock.advance(Duration::seconds(30));
    let code = SecondFactor::Totp(totp_code(&site.totp_secret("admin"), site.clock.now()));
    admin.resume(&site.keyring, &Password::new(site.password("admin")), &code).expect("resume");
    admin.verify_audit().expect("verify");
    admin.rebuild().expect("rebuild");
    for filter in [Filter::All, Filter::Alerts, Filter::Patient(p), Filter::User("nurse".into())] {
        admin.audit_events(&filter).expect("report");
    }
    admin.audit_events_for_chart_no("1").expect("by card number");
    assert!(admin.audit_events_for_chart_no("424242").is_err());
    let new = Password::new("admin-password-2");
    admin.change_password(&site.keyring, &Password::new(site.password("admin")), &new).expect("password");
    let events = admin.audit_events(&Filter::All).expect("everything");

    let mut untranslated = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    for event in events {
        let typed_by_a_person =
            event.action == Action::BreakGlass && event.reason.as_deref() == Some("監査アラートの患者確認");
        let explained = ExplainedEvent::from(event);
        match (&explained.event.reason, &explained.reason_code) {
            (_, Some(code)) => {
                keys.insert(code.key);
            }
            (Some(reason), None) if !typed_by_a_person => untranslated.push(reason.clone()),
            _ => {}
        }
    }
    assert!(untranslated.is_empty(), "reasons without a key: {untranslated:?}");
    for key in [
        "wrong_password_at",
        "wrong_code",
        "denied_write",
        "grant_refused_sealed",
        "under_grant",
        "grant_expired",
        "idle_lock",
        "user_added",
        "user_set",
        "user_set_disabled",
        "second_factor_reset",
        "account_unlocked",
        "setting_changed",
        "report_chart_no",
        "chart_no_unknown",
        "changed_own_password",
    ] {
        assert!(keys.contains(key), "the day wrote no {key} reason: {keys:?}");
    }
}
