//! Story: the home-visit laptop is left in a car with a note written on the way that never
//! reached the clinic. The administrator marks it lost at the desk. When the thief opens the lid
//! and the laptop reaches the server, before anyone logs in, it checks the order against the chain
//! from its own root, destroys its keyring secret and then its data folder, and reports back,
//! signed with its device key, how many changes were lost. Another laptop given the same order
//! is not fooled by it. And a laptop that stays away past the clinic's lease refuses to open
//! until it has checked in; winding its clock back does not help.

use mamori_core::chain::LeasePolicy;
use mamori_core::clock::Clock as _;
use mamori_core::domain::{EncounterKind, Role, SoapText};
use mamori_core::lost_device::DAY_SECS;
use mamori_core::vault::DeviceSecretStore as _;
use mamori_core::Error;
use mamori_story_tests::patient;
use mamori_sync::check_in::{check_in, CheckedIn};
use mamori_sync::wire::WipeAck;
use mamori_sync::ServerSettings;

use crate::sync_join::{demo_with_server, unlock_on, Clinic3, Computer, LAPTOP};

fn now(clinic: &Clinic3) -> i64 {
    clinic.site.clock.now().timestamp()
}

/// The laptop joined by the doctor, holding the data key, synced once, logged out.
pub(crate) fn joined_laptop(clinic: &Clinic3, name: &str) -> (Computer, String) {
    let code = if name == LAPTOP {
        clinic.invite_laptop()
    } else {
        let mut admin = clinic.site.login("admin");
        let code = admin.invite_device(name, vec![Role::Doctor], &clinic.url(), clinic.server.pin).expect("invited");
        clinic.sync(&mut admin, &clinic.site.keyring).expect("the link reaches the server");
        admin.logout().expect("logout");
        code.to_text().to_string()
    };
    let laptop = Computer::new();
    let password = clinic.site.password("doctor");
    let mut on_laptop = clinic.join(&laptop, &code, "doctor", &password).expect("joined");
    let mut admin = clinic.site.login("admin");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk passes the data key on");
    admin.logout().expect("logout");
    clinic.sync(&mut on_laptop, &laptop.keyring).expect("the laptop syncs");
    on_laptop.logout().expect("logout");
    (laptop, password)
}

/// The front desk checks in as its login screen does.
fn desk_checks_in(clinic: &Clinic3) {
    let settings = ServerSettings::new(&clinic.url(), &hex::encode(clinic.server.pin)).expect("settings");
    settings.remember(&clinic.site.dir).expect("remembered");
    let checked = clinic.runtime.block_on(check_in(&clinic.site.dir, &clinic.site.keyring, now(clinic)));
    assert_eq!(checked.expect("the desk checks in"), CheckedIn::Leased { lease_days: 14 });
}

fn note(text: &str) -> SoapText {
    SoapText { subjective: text.into(), objective: String::new(), assessment: String::new(), plan: String::new() }
}

#[test]
fn a_laptop_marked_lost_is_wiped_from_its_locked_login_screen_and_reports_its_unsent_changes() {
    let clinic = demo_with_server();
    let (laptop, password) = joined_laptop(&clinic, LAPTOP);
    let (other, _) = joined_laptop(&clinic, "second-laptop");

    // On the way back: a new patient and a note, never synced.
    let mut doctor = unlock_on(&clinic, &laptop, "doctor", &password).expect("unlocks offline");
    let p =
        doctor.register_patient(&patient("7400", ("紛失", "前"), ("フンシツ", "マエ"), "1950-01-01", "")).expect("p");
    let visit = doctor.open_encounter(p.id, EncounterKind::HomeVisit).expect("visit");
    doctor.write_note(visit.id, note("車内に置き忘れる前の往診所見")).expect("note");
    doctor.logout().expect("logout");
    assert!(laptop.dir.root().exists() && laptop.keyring.load(LAPTOP).expect("keyring").is_some());

    let mut admin = clinic.site.login("admin");
    let held = clinic.runtime.block_on(clinic.server.app.server.state()).expect("state").frontier.seq(LAPTOP);
    admin.mark_device_lost(LAPTOP, held).expect("marked lost");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the order reaches the server");
    admin.logout().expect("logout");

    // The other laptop hears the same chain: the order names someone else, so it only renews.
    let other_check = clinic.runtime.block_on(check_in(&other.dir, &other.keyring, now(&clinic))).expect("check-in");
    assert_eq!(other_check, CheckedIn::Leased { lease_days: 14 });
    assert!(other.dir.key_file().exists(), "an order for another device wiped this one");

    // The thief opens the lid: the login screen checks in before anyone logs in.
    let outcome = clinic.runtime.block_on(check_in(&laptop.dir, &laptop.keyring, now(&clinic))).expect("check-in");
    let CheckedIn::Wiped { unsent, acknowledged } = outcome else { panic!("not wiped: {outcome:?}") };
    assert!(acknowledged, "the server took the report");
    assert_eq!(unsent, 3, "the patient, the visit and the note never reached the server");
    // Checked from outside: the data folder and every keyring entry of the device are gone.
    assert!(!laptop.dir.root().exists(), "the data folder survived the wipe");
    assert!(laptop.keyring.load(LAPTOP).expect("keyring").is_none(), "the device secret survived");
    assert!(laptop.keyring.load_record(LAPTOP, mamori_core::lost_device::STANDING_RECORD).expect("r").is_none());
    assert!(unlock_on(&clinic, &laptop, "doctor", &password).is_err(), "something still unlocks");

    // The administrator sees the report, and checks it against the laptop's key in the chain.
    let acks = clinic.runtime.block_on(clinic.server.app.server.wipe_acks()).expect("acks");
    assert_eq!(acks.acks.len(), 1);
    let admin = clinic.site.login("admin");
    let record = admin.membership().expect("chain").devices().get(LAPTOP).expect("named").clone();
    let ack = WipeAck::open(&acks.acks[0], &record.signing_key).expect("signed by the laptop's key");
    assert_eq!((ack.device.as_str(), ack.unsent, Some(ack.wipe_link)), (LAPTOP, 3, record.wipe_ordered_at));
    let other_key = admin.membership().expect("chain").devices().get("second-laptop").expect("named").signing_key;
    assert!(WipeAck::open(&acks.acks[0], &other_key).is_err(), "the report verifies under another device's key");
    admin.logout().expect("logout");
}

#[test]
fn a_revoked_laptop_that_was_not_marked_lost_is_refused_and_keeps_its_data() {
    let clinic = demo_with_server();
    let (laptop, _) = joined_laptop(&clinic, LAPTOP);
    let mut admin = clinic.site.login("admin");
    admin.revoke_device(LAPTOP, 0).expect("revoked");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("synced");
    admin.logout().expect("logout");
    let refused = clinic.runtime.block_on(check_in(&laptop.dir, &laptop.keyring, now(&clinic)));
    assert!(refused.is_err(), "a revoked device got a lease: {refused:?}");
    assert!(laptop.dir.key_file().exists() && laptop.keyring.load(LAPTOP).expect("keyring").is_some());
}

#[test]
fn a_laptop_past_its_lease_refuses_to_unlock_until_it_checks_in_and_winding_the_clock_back_does_not_help() {
    let clinic = demo_with_server();
    let (laptop, password) = joined_laptop(&clinic, LAPTOP);
    let start = clinic.site.clock.now();

    clinic.site.clock.advance(chrono::Duration::days(13));
    unlock_on(&clinic, &laptop, "doctor", &password).expect("day 13: within the lease").logout().expect("logout");

    clinic.site.clock.advance(chrono::Duration::days(2));
    let refused = unlock_on(&clinic, &laptop, "doctor", &password).map(|_| ());
    assert!(matches!(refused, Err(Error::LeaseExpired { days_away: 15, lease_days: 14 })), "{refused:?}");

    // Winding the clock back to the day after the last sync changes nothing.
    clinic.site.clock.set(start + chrono::Duration::days(1));
    let refused = unlock_on(&clinic, &laptop, "doctor", &password).map(|_| ());
    assert!(matches!(refused, Err(Error::LeaseExpired { days_away: 15, .. })), "{refused:?}");
    clinic.site.clock.set(start + chrono::Duration::days(15) + chrono::Duration::hours(1));

    // Back in the clinic: the login screen checks in, and the laptop opens. (The desk, which
    // syncs all day, checks in too.)
    desk_checks_in(&clinic);
    let renewed = clinic.runtime.block_on(check_in(&laptop.dir, &laptop.keyring, now(&clinic))).expect("check-in");
    assert_eq!(renewed, CheckedIn::Leased { lease_days: 14 });
    let mut doctor = unlock_on(&clinic, &laptop, "doctor", &password).expect("opens after the check-in");

    // The clinic shortens the lease to 7 days: every sync brings the policy along.
    let mut admin = clinic.site.login("admin");
    admin.set_lease_policy(LeasePolicy { lease_days: 7, self_wipe_days: None }).expect("policy");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("synced");
    admin.logout().expect("logout");
    assert_eq!(clinic.sync(&mut doctor, &laptop.keyring).expect("the laptop syncs").lease_days, 7);
    doctor.logout().expect("logout");
    clinic.site.clock.advance(chrono::Duration::seconds(8 * DAY_SECS));
    let refused = unlock_on(&clinic, &laptop, "doctor", &password).map(|_| ());
    assert!(matches!(refused, Err(Error::LeaseExpired { lease_days: 7, .. })), "{refused:?}");
    assert!(laptop.dir.key_file().exists(), "an expired lease wipes nothing");
}

#[test]
fn a_clinic_that_turned_self_wipe_on_loses_a_laptop_that_never_came_back() {
    let clinic = demo_with_server();
    let mut admin = clinic.site.login("admin");
    admin.set_lease_policy(LeasePolicy { lease_days: 7, self_wipe_days: Some(30) }).expect("policy");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("synced");
    admin.logout().expect("logout");
    let (laptop, password) = joined_laptop(&clinic, LAPTOP);
    clinic.site.clock.advance(chrono::Duration::days(20));
    let refused = unlock_on(&clinic, &laptop, "doctor", &password).map(|_| ());
    assert!(matches!(refused, Err(Error::LeaseExpired { .. })), "{refused:?}");
    assert!(laptop.dir.key_file().exists(), "wiped before the self-wipe limit");
    clinic.site.clock.advance(chrono::Duration::days(11));
    let wiped = unlock_on(&clinic, &laptop, "doctor", &password).map(|_| ());
    assert!(matches!(wiped, Err(Error::DeviceWiped)), "{wiped:?}");
    assert!(!laptop.dir.root().exists() && laptop.keyring.load(LAPTOP).expect("keyring").is_none());
}
