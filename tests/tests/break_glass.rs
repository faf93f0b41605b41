//! Story: an alert names a patient the admin does not know; to identify her the admin breaks the
//! glass on that one patient's demographics, with a reason. Everything read under the grant is
//! flagged, and after 30 minutes it is gone. Late in the evening the receptionist, alone at the
//! desk, tries to break the glass on a patient's allergies for an ambulance crew: clinical
//! sections are sealed with a key her role never holds, so the glass does not open, and her
//! attempt is flagged for the admin.

use chrono::Duration;
use mamori_core::audit::{Action, Filter, Outcome};
use mamori_core::policy::Section;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

#[test]
fn a_break_the_glass_grant_opens_one_section_of_one_chart_for_thirty_minutes_and_is_flagged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 5);
    let (p, q) = {
        let mut desk = site.login("reception");
        (desk.search_patients("1", 1).expect("search")[0].id, desk.search_patients("2", 1).expect("search")[0].id)
    };
    let mut admin = site.login("admin");
    admin.set_idle_timeout(120).expect("a long shift");
    assert!(matches!(admin.patient(p), Err(Error::Denied { .. })), "an admin does not read charts");

    assert!(matches!(admin.break_glass(p, Section::Demographics, "  "), Err(Error::Invalid(_))));
    assert!(matches!(admin.break_glass(p, Section::Administration, "監査アラートの確認"), Err(Error::Invalid(_))));

    let grant = admin.break_glass(p, Section::Demographics, "監査アラートの患者確認").expect("grant");
    assert_eq!(grant.until - site_now(&site), Duration::minutes(30));
    assert_eq!(admin.break_glass_grants(), std::slice::from_ref(&grant));
    assert_eq!(admin.patient(p).expect("the grant opens this patient's demographics").id, p);
    assert!(matches!(admin.patient(q), Err(Error::Denied { .. })), "and no other patient");
    let input = patient("900001", ("山田", "太郎"), ("ヤマダ", "タロウ"), "1950-03-12", "");
    assert!(matches!(admin.update_patient(p, &input), Err(Error::Denied { .. })), "a grant is for reading only");

    site.clock.advance(Duration::minutes(31));
    assert!(matches!(admin.patient(p), Err(Error::Denied { .. })), "expired after 30 minutes");
    assert!(admin.break_glass_grants().is_empty());

    let events = admin.audit_events(&Filter::Patient(p)).expect("events");
    let glass: Vec<_> = events.iter().filter(|e| e.break_glass).collect();
    assert!(glass
        .iter()
        .any(|e| e.action == Action::BreakGlass && e.reason.as_deref() == Some("監査アラートの患者確認")));
    assert!(
        glass.iter().any(|e| e.action == Action::Read && e.section == Some(Section::Demographics)),
        "reads under the grant are flagged"
    );
    assert!(glass.iter().any(|e| e.reason.as_deref().is_some_and(|r| r.contains("expired"))), "the expiry is recorded");
    let unflagged_reads = events
        .iter()
        .filter(|e| e.user == "admin" && e.action == Action::Read && e.outcome == Outcome::Allowed && !e.break_glass);
    assert_eq!(unflagged_reads.count(), 0, "every read by the admin ran under the grant");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    assert!(alerts.iter().any(|e| e.action == Action::BreakGlass && e.user == "admin"), "the grant raises an alert");
}

#[test]
fn the_glass_does_not_open_sealed_clinical_sections_and_trying_is_flagged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 6, 5);
    let mut desk = site.login("reception");
    let p = desk.search_patients("1", 1).expect("search")[0].id;

    let refused = desk.break_glass(p, Section::Allergies, "救急隊からアレルギーの問い合わせ");
    assert!(matches!(refused, Err(Error::SealedSection { section: "allergies" })), "{refused:?}");
    assert!(desk.break_glass_grants().is_empty());
    assert!(desk.chart(p).expect("chart").allergies.is_none());

    let mut admin = site.login("admin");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    let attempt = alerts
        .iter()
        .find(|e| e.user == "reception" && e.break_glass && e.outcome == Outcome::Denied)
        .expect("the refused attempt is an alert");
    assert_eq!((attempt.patient, attempt.section), (Some(p), Some(Section::Allergies)));
    assert!(attempt.reason.as_deref().is_some_and(|r| r.contains("救急隊からアレルギーの問い合わせ")));
}

fn site_now(site: &Site<MemoryStore>) -> chrono::DateTime<chrono::Utc> {
    mamori_core::clock::Clock::now(&site.clock)
}
