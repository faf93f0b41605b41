//! Stories of the desk and the home-visit laptop on one clinic server: the desk is the app window,
//! syncing in the background; the laptop is a second computer driven through the core, as the
//! `mamori` CLI drives it.
//!
//! 1. Reception corrects a patient's phone number at the desk while the doctor, offline on the
//!    laptop, writes down another: once both have synced, the status bar says there is an edit to
//!    review, the review shows both numbers with who wrote them where and when, and the
//!    receptionist's choice reaches the laptop. The doctor's home-visit note, written offline,
//!    appears in the chart at the desk once the laptop is back.
//! 2. The laptop is left in a car: the administrator marks it lost on the devices screen; the
//!    laptop's login screen checks in, destroys its keys and chart, and reports how much was lost,
//!    which the administrator sees.

use mamori_core::domain::{EncounterKind, SoapText};
use mamori_core::vault::{DeviceSecretStore as _, KeyringStore};
use mamori_e2e::synced::{Laptop, Server, LAPTOP};
use mamori_e2e::App;
use mamori_sync::check_in::CheckedIn;

const DESK_NUMBER: &str = "03-2222-3333";
const LAPTOP_NUMBER: &str = "090-1111-2222";
const VISIT_NOTE: &str = "往診：下肢浮腫軽度、経過観察";

fn note(text: &str) -> SoapText {
    SoapText { subjective: text.into(), objective: String::new(), assessment: String::new(), plan: String::new() }
}

/// The demo patient with chart number 000001, as the laptop holds her.
fn first_patient(clinic: &mut mamori_core::clinic::Clinic) -> mamori_core::domain::Patient {
    let found = clinic.search_patients("000001", 1).expect("search");
    clinic.patient(found[0].id).expect("patient")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_and_the_home_visit_laptop_settle_an_edit_made_on_both_and_share_a_visit_note() {
    let story = "desk-and-laptop-on-one-server";
    let mut demo = App::demo(story, 20).await;
    let server = Server::start(&demo).await;
    let laptop = Laptop::join(&server, &mut demo).await;
    let mut app = App::open(demo, story).await;
    app.login("reception").await;
    app.wait_text("sync-state", "サーバー接続中").await;
    app.screenshot("desk-online").await;

    // Offline on the laptop: the doctor writes down the number the patient's daughter gave her.
    let mut doctor = laptop.doctor().await;
    let patient = first_patient(&mut doctor);
    let mut input = mamori_story_tests::patient_input_of(&patient);
    input.phone = LAPTOP_NUMBER.into();
    doctor.update_patient(patient.id, &input).expect("the doctor's number");

    // At the desk the receptionist corrects the same number.
    app.fill("search-input", "000001").await;
    app.wait("search-result").await;
    app.all("search-result").await[0].click().await.expect("pick the patient");
    app.click("edit-patient").await;
    app.fill("register-phone", DESK_NUMBER).await;
    app.click("register-submit").await;
    app.wait("reception-notice").await;
    app.wait_text("sync-waiting", "未送信 0件").await;

    // The laptop reconnects: it sends its number and receives the desk's.
    server.sync(&mut doctor, laptop.keyring.as_ref()).await;
    let flagged = app.wait_text("sync-conflicts", "同時編集 1件").await;
    app.screenshot("status-bar-edit-to-review").await;
    assert!(flagged.contains('1'), "{flagged}");
    app.click("sync-conflicts").await;
    app.wait("conflict").await;
    let values = app.all("conflict-value").await;
    let mut texts = Vec::new();
    for value in &values {
        texts.push(value.text().await.expect("text"));
    }
    assert!(texts.iter().any(|t| t == DESK_NUMBER) && texts.iter().any(|t| t == LAPTOP_NUMBER), "{texts:?}");
    let shown = app.text("conflict").await;
    assert!(shown.contains("reception") && shown.contains("doctor") && shown.contains(LAPTOP), "{shown}");
    app.screenshot("both-versions-with-who-where-when").await;

    // She keeps the laptop's number (the daughter's): the choice is a change like any other.
    let picks = app.all("conflict-pick-phone").await;
    let index = texts.iter().position(|t| t == LAPTOP_NUMBER).expect("the laptop's number");
    picks[index].click().await.expect("choose the laptop's number");
    app.click("conflict-settle").await;
    app.wait("conflicts-none").await;
    app.wait_text("sync-waiting", "未送信 0件").await;
    app.screenshot("settled").await;

    server.sync(&mut doctor, laptop.keyring.as_ref()).await;
    assert_eq!(
        doctor.patient(patient.id).expect("p").phone.as_deref(),
        Some(LAPTOP_NUMBER),
        "the choice reached the laptop"
    );
    assert!(doctor.conflicts().expect("conflicts").is_empty(), "nothing left to review on the laptop");

    // A home visit, written offline, reaches the desk once the laptop is back.
    let visit = doctor.open_encounter(patient.id, EncounterKind::HomeVisit).expect("visit");
    doctor.write_note(visit.id, note(VISIT_NOTE)).expect("note");
    server.sync(&mut doctor, laptop.keyring.as_ref()).await;
    doctor.logout().expect("logout");
    app.click("lock-button").await;
    app.click("switch-user").await;
    app.login("doctor").await;
    app.fill("search-input", "000001").await;
    app.wait("search-result").await;
    app.all("search-result").await[0].click().await.expect("pick the patient");
    app.click("open-chart").await;
    app.wait_text("note-item", VISIT_NOTE).await;
    app.screenshot("home-visit-note-at-the-desk").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_marks_the_home_visit_laptop_lost_and_it_wipes_itself() {
    let story = "admin-wipes-a-lost-laptop";
    let mut demo = App::demo(story, 10).await;
    let server = Server::start(&demo).await;
    let laptop = Laptop::join(&server, &mut demo).await;
    // On the way back from a visit: a note that never reached the clinic.
    let mut doctor = laptop.doctor().await;
    let patient = first_patient(&mut doctor);
    let visit = doctor.open_encounter(patient.id, EncounterKind::HomeVisit).expect("visit");
    doctor.write_note(visit.id, note(VISIT_NOTE)).expect("note");
    doctor.logout().expect("logout");

    let mut app = App::open(demo, story).await;
    app.login("admin").await;
    app.click("nav-admin").await;
    app.click("admin-tab-devices").await;
    let row = app.wait_text(&format!("device-{LAPTOP}"), "登録済").await;
    assert!(row.contains("0.1") || row.contains('.'), "the version it reported: {row}");
    app.screenshot("devices").await;
    app.click("device-wipe").await;
    app.wait("device-confirm").await;
    app.screenshot("confirm-wipe").await;
    app.click("device-confirm-yes").await;
    app.wait("devices-notice").await;
    app.wait_text(&format!("device-{LAPTOP}"), "紛失・消去待ち").await;
    app.screenshot("wipe-pending").await;

    // The thief opens the lid: the login screen checks in before anyone logs in.
    let outcome = laptop.check_in().await;
    assert!(matches!(outcome, CheckedIn::Wiped { unsent: 2, acknowledged: true }), "{outcome:?}");
    assert!(!laptop.dir.root().exists(), "the laptop's data folder is gone");
    assert!(laptop.keyring.load(LAPTOP).expect("keyring").is_none(), "the laptop's device secret is gone");

    // The administrator sees the laptop's own signed report.
    app.click("admin-tab-users").await;
    app.click("admin-tab-devices").await;
    let row = app.wait_text(&format!("device-{LAPTOP}"), "消去済").await;
    assert!(row.contains("未送信 2件"), "{row}");
    app.screenshot("wiped-with-its-report").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_laptop_marked_lost_wipes_itself_at_its_login_screen_before_anyone_logs_in() {
    let story = "lost-laptop-wipes-itself-at-its-login-screen";
    let mut demo = App::demo(story, 10).await;
    let server = Server::start(&demo).await;
    // The laptop keeps its device secret in the OS keyring, as the app does.
    let service = format!("{}-laptop", demo.keyring_service);
    let laptop = Laptop::join_with(&server, &mut demo, Box::new(KeyringStore::new(service.clone()))).await;
    assert!(laptop.dir.key_file().exists() && laptop.keyring.load(LAPTOP).expect("keyring").is_some());

    // At the desk, the administrator marks it lost while it sits switched off in a car.
    let mut admin = demo.login("admin").await;
    let held = server.app.server.state().await.expect("state").frontier.seq(LAPTOP);
    admin.mark_device_lost(LAPTOP, held).expect("marked lost");
    server.sync(&mut admin, &demo.keyring).await;
    admin.logout().expect("logout");

    // The thief opens the lid: the window's first round checks in from the login screen.
    let dir = laptop.dir.clone();
    let mut app = App::open_computer(demo, story, &dir, &service, "wiped-screen").await;
    app.screenshot("wiped-at-the-login-screen").await;
    // Checked from outside: the data folder and the keyring entry are gone.
    assert!(!dir.root().exists(), "the data folder survived");
    let outside = KeyringStore::new(service);
    assert!(outside.load(LAPTOP).expect("keyring").is_none(), "the device secret survived");
    let report = server.app.server.wipe_acks().await.expect("acks");
    assert_eq!(report.acks.len(), 1, "the laptop reported its wipe");
    app.finish().await;
}
