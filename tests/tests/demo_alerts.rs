//! Story: a newcomer opens the demo clinic as its administrator. A month of the staff's work
//! are in the audit log — every visit's registration and chart opened, each explained by the
//! visit — and a few planted cases of misuse (`crates/core/src/demo/accesses.rs`). The alert
//! list shows the planted cases, each under its own rule, and nothing for the everyday work.

use mamori_core::alerts::{AlertFilter, AlertStatus};
use mamori_core::vault::MemoryStore;
use mamori_story_tests::*;

#[test]
fn the_demo_clinics_planted_misuse_is_on_the_admins_alert_list_and_everyday_work_is_not() {
    // The seed the app's end-to-end stories use, and another.
    for seed in [7, 11] {
        planted_cases_found(seed);
    }
}

fn planted_cases_found(seed: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 250, seed);
    let mut admin = site.login("admin");
    let alerts = admin.alerts(&AlertFilter { status: AlertStatus::Open, ..AlertFilter::default() }).expect("alerts");
    let fired = |rule: &str, user: &str| alerts.iter().any(|a| a.rule == rule && a.user == user);
    assert!(fired("same_surname", "nurse"), "the nurse's relative: {alerts:#?}");
    assert!(fired("off_hours", "reception"), "the receptionist's evening: {alerts:#?}");
    assert!(fired("sensitive", "reception"), "the public figure: {alerts:#?}");
    assert!(fired("bulk_export", "doctor"), "the doctor's export: {alerts:#?}");
    assert!(fired("failed_login_burst", "reception"), "the guessed password: {alerts:#?}");
    let bulk = alerts.iter().find(|a| a.rule == "bulk_export").expect("bulk");
    assert_eq!(bulk.patients.len(), 6, "six charts exported");
    assert!(bulk.patients.iter().all(|p| p.chart_no.is_some()), "each named by its chart number");

    // Everyday work raises nothing: the doctor's only alert is the export, and no visit's chart
    // is on the list.
    let planted = ["same_surname", "same_neighbourhood", "off_hours", "sensitive", "bulk_export", "failed_login_burst"];
    let others: Vec<_> =
        alerts.iter().filter(|a| !planted.contains(&a.rule.as_str()) && a.rule != "new_device_or_hour").collect();
    assert!(others.is_empty(), "alerts beyond the planted cases: {others:#?}");
    assert!(alerts.len() <= 8, "{} alerts for six planted cases", alerts.len());
    let summary = admin.alert_summary().expect("summary");
    assert_eq!(summary.open as usize, alerts.len());
}
