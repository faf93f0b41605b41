//! Stories of the door: a wrong one-time code is refused with a clear message, and a window left
//! alone locks itself after the clinic's idle timeout, asking for password and a new code.

use std::time::{Duration, Instant};

use mamori_e2e::App;

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_one_time_code_is_refused() {
    let mut app = App::launch("wrong-one-time-code", 10).await;
    let password = app.password("doctor");
    let right = app.fresh_code("doctor").await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    app.fill("unlock-user", "doctor").await;
    app.fill("unlock-password", &password).await;
    app.fill("unlock-totp", wrong).await;
    app.click("unlock-submit").await;
    let message = app.text("unlock-error").await;
    assert!(!message.trim().is_empty());
    assert!(app.is_present("unlock-screen").await, "still at the door");
    assert!(!app.is_present("session-user").await, "nobody is logged in");
    app.screenshot("wrong-code").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_locks_itself_after_the_idle_timeout() {
    let mut app = App::launch_after("idle-lock", 10, "admin", |admin| {
        admin.set_idle_timeout(1).expect("a one-minute idle timeout for the story");
    })
    .await;
    app.login("nurse").await;
    app.fill("search-input", "000001").await;
    app.wait("search-result").await;
    app.screenshot("working").await;

    // One idle minute, then the window's next check (every 15 s) finds the session locked.
    let start = Instant::now();
    app.wait_css("[data-testid=\"resume-screen\"]", Duration::from_secs(100)).await;
    assert!(start.elapsed() >= Duration::from_secs(45), "locked only after being idle: {:?}", start.elapsed());
    assert!(!app.is_present("search-result").await, "nothing of the chart stays on screen");
    app.screenshot("locked").await;

    let code = app.fresh_code("nurse").await;
    let password = app.password("nurse");
    app.fill("resume-password", &password).await;
    app.fill("resume-totp", &code).await;
    app.click("resume-submit").await;
    app.wait("session-user").await;
    app.wait_gone("resume-screen").await;
    app.finish().await;
}
