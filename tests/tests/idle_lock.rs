//! Story: the doctor walks away from the laptop in the exam room. After the clinic's idle
//! timeout the session locks itself and holds no key; it continues only with password and a
//! fresh one-time code.

use chrono::Duration;
use mamori_core::audit::{Action, Filter};
use mamori_core::auth::SecondFactor;
use mamori_core::clock::Clock;
use mamori_core::secret::Password;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn fresh_code(site: &Site<MemoryStore>, user: &str) -> SecondFactor {
    site.clock.advance(Duration::seconds(30));
    SecondFactor::Totp(totp_code(&site.totp_secret(user), site.clock.now()))
}

#[test]
fn an_idle_session_locks_itself_drops_its_keys_and_resumes_only_with_both_factors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 1);
    let mut doctor = site.login("doctor");
    let id = doctor.search_patients("1", 1).expect("search")[0].id;

    site.clock.advance(Duration::minutes(9));
    doctor.chart(id).expect("nine minutes idle is fine (default timeout 10)");
    site.clock.advance(Duration::minutes(11));
    assert!(matches!(doctor.chart(id), Err(Error::SessionLocked)));
    assert!(doctor.is_locked());
    assert!(matches!(doctor.raw_sql_for_inspection(), Err(Error::SessionLocked)), "no connection, no key");
    assert!(matches!(doctor.search_patients("1", 1), Err(Error::SessionLocked)));

    let wrong = doctor.resume(&site.keyring, &Password::new("wrong-password"), &fresh_code(&site, "doctor"));
    assert!(matches!(wrong, Err(Error::WrongPassword)));
    assert!(doctor.is_locked());
    site.clock.advance(Duration::seconds(1));
    doctor
        .resume(&site.keyring, &Password::new(site.password("doctor")), &fresh_code(&site, "doctor"))
        .expect("resume");
    doctor.chart(id).expect("unlocked again");

    let mut admin = site.login("admin");
    let events = admin.audit_events(&Filter::User("doctor".into())).expect("events");
    let lock = events.iter().find(|e| e.action == Action::Lock).expect("the idle lock is audited");
    assert!(lock.reason.as_deref().is_some_and(|r| r.contains("idle")));
}

#[test]
fn the_admin_sets_the_idle_timeout_for_the_clinic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 3, 2);
    let mut admin = site.login("admin");
    assert!(matches!(admin.set_idle_timeout(0), Err(Error::Invalid(_))));
    admin.set_idle_timeout(2).expect("two minutes");
    let mut nurse = site.login("nurse");
    assert!(matches!(nurse.set_idle_timeout(60), Err(Error::Denied { .. })));
    site.clock.advance(Duration::seconds(90));
    nurse.search_patients("1", 1).expect("within two minutes");
    site.clock.advance(Duration::minutes(3));
    assert!(matches!(nurse.search_patients("1", 1), Err(Error::SessionLocked)));
}

#[test]
fn locking_by_hand_drops_the_keys_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 3, 3);
    let mut reception = site.login("reception");
    reception.lock().expect("lock");
    assert!(reception.is_locked());
    assert!(matches!(reception.search_patients("1", 1), Err(Error::SessionLocked)));
    assert!(matches!(reception.raw_sql_for_inspection(), Err(Error::SessionLocked)));
}
