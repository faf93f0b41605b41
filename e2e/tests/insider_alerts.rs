//! Story: Monday morning, the administrator opens the demo clinic. The admin screen says how many
//! unusual accesses wait for review; the 不審アクセス tab lists the planted cases (a nurse who
//! opened a relative's chart, an evening at the desk, a bulk export …), each with its rule, the
//! staff member, the charts by number — never a name — and why, in Japanese. She acknowledges
//! one with a comment, and it moves to the acknowledged list with her comment. She tells the
//! detector the clinic's week (closed on Thursdays, Wednesday and Saturday to 12:30, New Year's
//! Eve a holiday) and tonight's cover, and finds them there when she comes back. In English too.

use mamori_e2e::App;

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_reviews_an_unusual_access_and_acknowledges_it_with_a_comment() {
    let mut app = App::launch("insider-alerts", 250).await;
    app.login("admin").await;
    app.click("nav-admin").await;

    let banner = app.wait_text("insider-banner", "未確認").await;
    assert!(banner.contains("不審なアクセス"), "{banner}");
    app.click("insider-banner-open").await;
    app.wait("insider-alerts").await;
    app.wait_text("insider-summary", "直近24時間").await;
    // No clinic server answers here: the page says the alerts cover this computer only.
    app.wait_text("insider-coverage", "この端末の監査ログのみ").await;
    let surname = app.wait_text("insider-alert", "同じ姓").await;
    assert!(surname.contains("nurse"), "the staff member is named: {surname}");
    app.wait_text("insider-alert", "診療時間外").await;
    app.wait_text("insider-alert", "一括の印刷・書き出し").await;
    let open_before = app.all("insider-alert").await.len();
    let page = app.client.source().await.expect("page source");
    assert!(!page.contains("佐藤"), "no patient's name reaches the admin's screen");
    app.screenshot("unusual-access").await;

    // Acknowledge the first with a comment; an empty comment is refused.
    app.click("insider-ack-open").await;
    app.wait("insider-ack-dialog").await;
    app.click("insider-ack-save").await;
    app.wait("insider-ack-error").await;
    let comment = "本人に確認しました。業務上の必要はなく、院内規程を再度説明しました。";
    app.fill("insider-comment", comment).await;
    app.screenshot("acknowledge-with-comment").await;
    app.click("insider-ack-save").await;
    app.wait_gone("insider-ack-dialog").await;
    app.wait_count("insider-alert", open_before - 1).await;

    app.select("insider-status", "acknowledged").await;
    let acknowledged = app.wait_text("insider-ack", "本人に確認しました").await;
    assert!(acknowledged.contains("admin"), "who acknowledged it: {acknowledged}");
    app.screenshot("acknowledged").await;

    // The clinic's hours and holidays, on the clinic's clock.
    app.click("hours-closed-3").await;
    app.set_value("hours-close-2", "12:30").await;
    app.set_value("hours-close-5", "12:30").await;
    app.set_value("holiday-new", "2026-12-31").await;
    app.click("holiday-add").await;
    app.wait("holiday").await;
    app.click("hours-save").await;
    app.wait("hours-saved").await;
    app.screenshot("clinic-hours-saved").await;

    // Tonight the doctor covers the nurse's patients.
    app.click("roster-add").await;
    app.select("roster-user", "doctor").await;
    app.select("roster-kind", "cover").await;
    app.select("roster-covers", "nurse").await;
    app.click("roster-save").await;
    app.wait("roster-saved").await;
    app.screenshot("roster-cover-saved").await;

    // Back on the tab, both come from the core as saved.
    app.click("admin-tab-users").await;
    app.click("admin-tab-insider").await;
    let holiday = app.wait_text("holiday", "2026-12-31").await;
    assert!(holiday.contains("2026-12-31"));
    let close = app.wait("hours-close-2").await.prop("value").await.expect("value");
    assert_eq!(close.as_deref(), Some("12:30"), "Wednesday closes at 12:30");
    let thursday = app.wait("hours-closed-3").await.prop("checked").await.expect("checked");
    assert_eq!(thursday.as_deref(), Some("true"), "closed on Thursdays");
    app.wait_count("roster-row", 1).await;
    let covers = app.wait("roster-covers").await.prop("value").await.expect("value");
    assert_eq!(covers.as_deref(), Some("nurse"), "the doctor covers the nurse");

    app.select("lang-switch", "en").await;
    app.select("insider-status", "open").await;
    app.wait_text("insider-alert", "Same surname").await;
    app.wait_text("insider-summary", "last 24 hours").await;
    app.wait_text("insider-coverage", "this computer's audit log only").await;
    app.screenshot("unusual-access-english").await;
    app.finish().await;
}
