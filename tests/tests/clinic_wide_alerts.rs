//! Story: on the home-visit laptop the doctor opens a public figure's chart two days after
//! registering it, with nothing in the chart to explain it. The front desk never saw that
//! access; once the laptop's audit has reached the clinic server, the administrator's device
//! there fetches every device's audit batches, checks each against its device's signature in its
//! own verified chain, and its detector — with the chart's context, which the server cannot read
//! — names the doctor, the chart and the laptop's events. A server that alters, invents or holds
//! back batches is found out: what does not verify is left out and counted, a hole is named.

use chrono::Duration;
use mamori_core::alerts::{AlertCoverage, AlertFilter, AlertStatus, AlertView};
use mamori_core::clinic::Clinic;
use mamori_core::Error;
use mamori_story_tests::patient;
use mamori_sync::clinic_audit;
use mamori_sync::wire::AuditBatchesRequest;

use crate::sync_join::{demo_with_server, unlock_on, Clinic3, Computer, LAPTOP};
use crate::sync_lost_device::joined_laptop;

pub(crate) fn refresh(clinic: &Clinic3, admin: &mut Clinic) -> mamori_sync::Result<AlertCoverage> {
    let transport = crate::sync_over_http::transport_for(&clinic.server, admin, &clinic.site.keyring);
    let now = admin.now();
    clinic.runtime.block_on(clinic_audit::refresh(admin, &transport, now))
}

/// The alerts naming the doctor and `patient`.
fn about(admin: &mut Clinic, patient: &str) -> Vec<AlertView> {
    let all = AlertFilter { status: AlertStatus::All, ..AlertFilter::default() };
    let listed = admin.alerts(&all).expect("the admin lists alerts");
    listed.into_iter().filter(|a| a.user == "doctor" && a.patients.iter().any(|p| p.id == patient)).collect()
}

/// A public figure registered by the doctor at the desk, and the laptop she joined.
pub(crate) fn figure_and_laptop(clinic: &Clinic3) -> (String, Computer, String) {
    let (laptop, password) = joined_laptop(clinic, LAPTOP);
    let mut doctor = clinic.site.login("doctor");
    let mut input = patient("8801", ("有名", "太郎"), ("ユウメイ", "タロウ"), "1960-01-01", "");
    input.sensitive_kind = "public_figure".into();
    let figure = doctor.register_patient(&input).expect("registered").id.to_string();
    clinic.sync(&mut doctor, &clinic.site.keyring).expect("the chart reaches the server");
    doctor.logout().expect("logout");
    (figure, laptop, password)
}

/// Two days later the doctor opens the chart on the laptop `times` times, syncing after each.
pub(crate) fn opened_on_laptop(
    clinic: &Clinic3,
    laptop: &Computer,
    password: &str,
    figure: &str,
    times: usize,
) -> usize {
    clinic.site.clock.advance(Duration::days(2));
    let mut doctor = unlock_on(clinic, laptop, "doctor", password).expect("unlocks");
    clinic.sync(&mut doctor, &laptop.keyring).expect("the chart reaches the laptop");
    for _ in 0..times {
        doctor.chart(figure.parse().expect("uuid")).expect("the doctor may read it");
        clinic.sync(&mut doctor, &laptop.keyring).expect("the laptop's audit reaches the server");
        clinic.site.clock.advance(Duration::minutes(5));
    }
    let own = doctor.scan_alerts().expect("the laptop scans its own log");
    doctor.logout().expect("logout");
    own
}

#[test]
fn the_admin_at_the_desk_sees_and_acknowledges_an_access_made_on_the_laptop() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    let found_on_laptop = opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    assert!(found_on_laptop >= 1, "the laptop flags its own misuse offline");

    let mut admin = clinic.site.login("admin");
    assert!(about(&mut admin, &figure).is_empty(), "the desk's own log holds no such access");
    let this_only = admin.alert_coverage().expect("coverage");
    assert!(!this_only.clinic_wide && this_only.devices == [admin.device_id().to_string()]);

    let coverage = refresh(&clinic, &mut admin).expect("the admin's device fetches every device's audit");
    assert!(coverage.clinic_wide && coverage.devices.iter().any(|d| d == LAPTOP), "{coverage:?}");
    assert!(coverage.gaps.is_empty() && coverage.refused == 0, "an honest server: {coverage:?}");
    assert_eq!(admin.alert_coverage().expect("coverage"), coverage);
    let alerts = about(&mut admin, &figure);
    let alert =
        alerts.iter().find(|a| a.rule == "sensitive").unwrap_or_else(|| panic!("no sensitive alert: {alerts:?}"));
    assert_eq!(alert.patients[0].chart_no.as_deref(), Some("8801"));
    assert!(alert.explanation_ja.contains("配慮") || alert.explanation_ja.contains("著名"), "{}", alert.explanation_ja);

    admin.acknowledge_alert(&alert.id, "往診先で本人から依頼あり、確認済み").expect("acknowledged");
    let again = about(&mut admin, &figure);
    let acked = again.iter().find(|a| a.id == alert.id).expect("still listed");
    assert_eq!(acked.acknowledged.as_ref().map(|a| a.by.as_str()), Some("admin"));
    admin.logout().expect("logout");
}

#[test]
fn only_an_administrator_fetches_the_clinic_wide_audit() {
    let clinic = demo_with_server();
    let mut doctor = clinic.site.login("doctor");
    clinic.sync(&mut doctor, &clinic.site.keyring).expect("the server learns the chain that enrolls the desk");
    assert!(matches!(refresh(&clinic, &mut doctor), Err(mamori_sync::Error::Core(Error::Denied { .. }))));
    // Asking the server directly with her own signature: refused there too.
    let transport = crate::sync_over_http::transport_for(&clinic.server, &doctor, &clinic.site.keyring);
    let sign = |m: &[u8]| doctor.sign_server_request(m).map_err(mamori_sync::Error::from);
    let asked =
        clinic.runtime.block_on(transport.audit_batches(AuditBatchesRequest { since: 0, after: 0 }, ("doctor", &sign)));
    assert!(asked.expect_err("not an administrator").to_string().contains("403"));
    // Her signature under the administrator's name does not pass either.
    let forged =
        clinic.runtime.block_on(transport.audit_batches(AuditBatchesRequest { since: 0, after: 0 }, ("admin", &sign)));
    assert!(forged.expect_err("forged").to_string().contains("403"));
}

#[test]
fn a_server_that_alters_invents_or_holds_back_batches_is_found_out() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 3);
    let db = rusqlite::Connection::open(&clinic.server_db).expect("the server's database, opened directly");
    db.execute_batch("DROP TRIGGER audit_batches_are_never_updated; DROP TRIGGER audit_batches_are_never_deleted;")
        .expect("whoever holds the server's database drops the triggers");
    let laptop_batches = || -> Vec<i64> {
        let mut stmt = db.prepare("SELECT number FROM audit_batches WHERE device = ?1 ORDER BY number").expect("q");
        stmt.query_map([LAPTOP], |r| r.get(0)).expect("rows").map(|n| n.expect("number")).collect()
    };
    let numbers = laptop_batches();
    assert!(numbers.len() >= 4, "one batch per sync: {numbers:?}");
    let mut admin = clinic.site.login("admin");

    // An event's text altered in the last batch (the access turned into someone else's).
    let last = numbers[numbers.len() - 1];
    db.execute(
        "UPDATE audit_batches SET bytes = CAST(replace(bytes, '\"doctor\"', '\"nurse1\"') AS BLOB) WHERE number = ?1",
        [last],
    )
    .expect("altered");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(coverage.refused, 1, "the altered batch fails its signature: {coverage:?}");
    assert!(about(&mut admin, &figure).iter().all(|a| a.user == "doctor"), "no alert names anyone the laptop did not");

    // A batch invented under the laptop's name, signed by a key the chain does not give it.
    let fake = mamori_sync::wire::audit::AuditBatch {
        clinic: *admin.membership().expect("chain").root(),
        device: LAPTOP.into(),
        first: 1,
        prev: None,
        bodies: vec![b"{}".to_vec()],
        head: mamori_core::replication::audit_event_hash(&[], b"{}"),
    };
    let signed = fake.sign(&ed25519_dalek::SigningKey::from_bytes(&[7; 32])).expect("signed");
    db.execute(
        "INSERT INTO audit_batches (device, newest_at, bytes) VALUES (?1, ?2, ?3)",
        rusqlite::params![LAPTOP, i64::MAX / 2, signed],
    )
    .expect("invented");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(coverage.refused, 2, "the invented batch is left out too: {coverage:?}");

    // A batch in the middle held back: the laptop's events have a hole, and the page says so.
    db.execute("DELETE FROM audit_batches WHERE number = ?1", [numbers[1]]).expect("deleted");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(coverage.gaps, [LAPTOP.to_string()], "{coverage:?}");
    admin.logout().expect("logout");
}
