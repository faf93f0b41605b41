//! Story: late at night the receptionist tried to break the glass on a patient's allergies for an
//! ambulance crew (refused: clinical sections are sealed). Next morning the admin opens the alerts
//! and finds it, in Japanese; the patient, who has her card, asks who looked at her chart, and the
//! admin types the card's number — the report never shows her name. The report's columns stay on
//! one line and its header stays in view while a long report scrolls.

use mamori_core::policy::Section;
use mamori_e2e::{App, PATIENCE};

use crate::measure;

#[derive(Default)]
struct Patient {
    chart_no: String,
    name: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_reviews_alerts_and_a_patients_audit_by_her_card_number() {
    let mut her = Patient::default();
    let mut app = App::launch_after("admin-audit-and-alerts", 30, "reception", |desk| {
        // A busy morning at the desk: forty look-ups, each one audited.
        for no in 1..=40 {
            desk.search_patients(&no.to_string(), 1).expect("search");
        }
        let found = desk.search_patients("3", 1).expect("search").into_iter().next().expect("a patient");
        desk.chart(found.id).expect("the desk opens her record");
        let refused = desk.break_glass(found.id, Section::Allergies, "救急隊からの問い合わせ");
        assert!(refused.is_err(), "clinical sections are sealed for reception");
        her = Patient { chart_no: found.chart_no, name: found.name };
    })
    .await;
    app.login("admin").await;
    app.click("nav-admin").await;

    // The alerts: the refused glass, with its reason in Japanese and the words she typed.
    app.click("admin-tab-alerts").await;
    app.wait("audit-alerts").await;
    let reason = app.wait_text("audit-reason", "緊急閲覧を拒否").await;
    assert!(reason.contains("救急隊からの問い合わせ"), "{reason}");
    assert_one_line(&app).await;
    app.screenshot("alerts").await;

    // Her report, by the number on her card; her name is nowhere on the screen.
    app.click("admin-tab-audit").await;
    app.click("audit-mode-patient").await;
    app.fill("audit-chart-no", &her.chart_no).await;
    app.click("audit-chart-no-submit").await;
    let subject = app.wait_text("audit-subject", "診察券番号").await;
    assert!(subject.contains(&her.chart_no), "{subject}");
    app.wait_text("audit-row", "受付").await;
    let page = app.client.source().await.expect("page source");
    assert!(!page.contains(&her.name), "the admin is never shown her name");
    assert_one_line(&app).await;
    app.screenshot("audit-by-card-number").await;

    // A long report (the receptionist's busy morning) scrolls under its header.
    app.click("audit-mode-user").await;
    app.select("audit-user", "reception").await;
    app.click("audit-user-submit").await;
    app.wait_count("audit-row", 30).await;
    let (scrolled, gap) = measure::scroll_to_end(&app, "[data-testid=\"audit-scroll\"]", "thead th").await;
    assert!(scrolled > 100.0, "the report is long enough to scroll ({scrolled} px)");
    // Within its border: before the fix the header left with the rows (-925 px).
    assert!(gap.abs() <= 2.0, "the header stays at the top of the scrolled box ({gap} px)");
    assert_one_line(&app).await;
    app.screenshot("audit-scrolled-header-stays").await;

    // The same alerts in English.
    app.select("lang-switch", "en").await;
    app.click("admin-tab-alerts").await;
    let reason = app.wait_text("audit-reason", "Break-the-glass refused").await;
    assert!(reason.contains("救急隊からの問い合わせ"), "{reason}");
    app.wait_css("[data-testid=\"audit-row\"]", PATIENCE).await;
    app.screenshot("alerts-english").await;
    app.finish().await;
}

/// No role or action is broken over lines (the report once showed 閲/覧).
async fn assert_one_line(app: &App) {
    for cell in ["audit-role", "audit-action"] {
        let lines = measure::line_counts(app, &format!("[data-testid=\"{cell}\"]")).await;
        assert!(!lines.is_empty(), "{cell} shown");
        assert!(lines.iter().all(|n| *n == 1.0), "{cell} wraps: {lines:?}");
    }
}
