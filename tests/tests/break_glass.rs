//! Story: late in the evening an ambulance crew calls about a patient's allergies and only the
//! receptionist is at the desk. She breaks the glass for that one patient's allergies, with a
//! reason; everything she sees under the grant is flagged, and after 30 minutes it is gone.

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
    site.login("admin").set_idle_timeout(120).expect("a long shift");

    let mut desk = site.login("reception");
    let p = desk.search_patients("1", 1).expect("search")[0].id;
    let q = desk.search_patients("2", 1).expect("search")[0].id;
    assert!(desk.chart(p).expect("chart").allergies.is_none(), "reception cannot see allergies");

    assert!(matches!(desk.break_glass(p, Section::Allergies, "  "), Err(Error::Invalid(_))));
    assert!(matches!(desk.break_glass(p, Section::Demographics, "救急隊からの問い合わせ"), Err(Error::Invalid(_))));
    assert!(matches!(desk.break_glass(p, Section::Administration, "救急隊からの問い合わせ"), Err(Error::Invalid(_))));

    let grant = desk.break_glass(p, Section::Allergies, "救急隊からアレルギーの問い合わせ").expect("grant");
    assert_eq!(grant.until - site_now(&site), Duration::minutes(30));
    assert!(desk.chart(p).expect("chart").allergies.is_some(), "the grant opens this patient's allergies");
    assert!(desk.chart(p).expect("chart").notes.is_none(), "and nothing else");
    assert!(desk.chart(q).expect("chart").allergies.is_none(), "and no other patient");
    assert!(
        matches!(
            desk.record_allergy(
                p,
                &mamori_core::domain::AllergyInput {
                    substance: "卵".into(),
                    reaction: "発疹".into(),
                    severity: mamori_core::domain::Severity::Mild
                }
            ),
            Err(Error::Denied { .. })
        ),
        "a grant is for reading only"
    );

    site.clock.advance(Duration::minutes(31));
    assert!(desk.chart(p).expect("chart").allergies.is_none(), "expired after 30 minutes");

    let mut admin = site.login("admin");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    assert!(
        alerts.iter().any(|e| e.action == Action::BreakGlass && e.user == "reception"),
        "the grant raises an alert"
    );
    assert!(alerts.iter().any(|e| e.outcome == Outcome::Denied && e.user == "reception"), "so does the refused write");
    assert!(alerts.iter().all(|e| e.break_glass || e.outcome == Outcome::Denied || e.action == Action::LoginFailed));
    let events = admin.audit_events(&Filter::Patient(p)).expect("events");
    let glass: Vec<_> = events.iter().filter(|e| e.break_glass).collect();
    assert!(glass
        .iter()
        .any(|e| e.action == Action::BreakGlass && e.reason.as_deref() == Some("救急隊からアレルギーの問い合わせ")));
    assert!(
        glass.iter().any(|e| e.action == Action::Read && e.sections_read.contains(&Section::Allergies)),
        "reads under the grant are flagged"
    );
    assert!(glass.iter().any(|e| e.reason.as_deref().is_some_and(|r| r.contains("expired"))), "the expiry is recorded");
    let unflagged_reads = events.iter().filter(|e| {
        e.user == "reception"
            && !e.break_glass
            && e.outcome == Outcome::Allowed
            && (e.section == Some(Section::Allergies) || e.sections_read.contains(&Section::Allergies))
    });
    assert_eq!(unflagged_reads.count(), 0, "every allergy access by reception ran under the grant");
}

fn site_now(site: &Site<MemoryStore>) -> chrono::DateTime<chrono::Utc> {
    mamori_core::clock::Clock::now(&site.clock)
}
