//! Story: the clinic takes on a new nurse. The admin invites her (name and role only) and hands
//! her the one-time code; at the front-desk computer she chooses her own password and sets up her
//! own authenticator, which only she sees. She reads her key fingerprint off her status bar; the
//! doctor, who holds the clinical key, sees her waiting, types the fingerprint she reads to him and
//! confirms her, which passes her the key. The doctor then changes his own password.

use chrono::Utc;
use mamori_e2e::App;

const NEW_PASSWORD: &str = "jiro-own-password-1";

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_nurse_sets_up_her_own_login_and_a_doctor_confirms_her() {
    let mut app = App::launch("invited-nurse-first-login", 5).await;

    // The admin invites her: no password field, only a code to hand over.
    app.login("admin").await;
    app.click("nav-admin").await;
    app.click("user-add-open").await;
    app.fill("user-add-name", "nurse2").await;
    app.fill("user-add-display-name", "看護 次郎").await;
    app.select("user-add-role", "nurse").await;
    app.screenshot("invite-form").await;
    app.click("user-add-submit").await;
    let code = app.text("one-time-code-value").await;
    assert_eq!(code.len(), 23, "{code}");
    app.screenshot("invitation-code").await;
    app.click("one-time-code-dialog-close").await;
    app.click("lock-button").await;
    app.click("switch-user").await;

    // Her first login: the code and a password of her own; her authenticator, shown to her.
    app.click("accept-open").await;
    app.fill("accept-user", "nurse2").await;
    app.fill("accept-code", &code.to_lowercase()).await;
    app.fill("accept-password", NEW_PASSWORD).await;
    app.fill("accept-password-confirm", NEW_PASSWORD).await;
    app.screenshot("first-login-with-code").await;
    app.click("accept-submit").await;
    app.wait("accept-enrolled").await;
    let secret = app.text("enrollment-secret").await;
    app.screenshot("her-own-authenticator").await;
    app.click("accept-done").await;

    // She logs in with what she chose; her status bar shows her key fingerprint.
    app.fill("unlock-user", "nurse2").await;
    app.fill("unlock-password", NEW_PASSWORD).await;
    app.fill("unlock-totp", &mamori_story_tests::totp_code(&secret, Utc::now())).await;
    app.click("unlock-submit").await;
    app.wait("session-user").await;
    let fingerprint = app.text("own-key-fingerprint").await;
    let fingerprint = fingerprint.split_once(':').map(|(_, f)| f.trim().to_string()).expect("a fingerprint");
    app.screenshot("her-fingerprint").await;
    app.click("lock-button").await;
    app.click("switch-user").await;

    // The doctor sees her waiting, with who added her, and confirms her with that fingerprint.
    app.login("doctor").await;
    let waiting = app.wait_text("pending-recipient", "看護 次郎").await;
    assert!(waiting.contains("admin"), "{waiting}");
    app.screenshot("doctor-sees-her-waiting").await;
    app.fill("recipient-fingerprint", "0000 0000").await;
    app.click("recipient-confirm").await;
    app.wait_text("recipient-error", "指紋").await;
    app.fill("recipient-fingerprint", &fingerprint).await;
    app.click("recipient-confirm").await;
    app.wait_gone("pending-recipients").await;
    app.screenshot("doctor-confirmed-her").await;

    // He changes his own password.
    let old = app.password("doctor");
    app.click("password-change-open").await;
    app.fill("password-current", &old).await;
    app.fill("password-new", "doctor-new-password-2").await;
    app.fill("password-new-confirm", "doctor-new-password-2").await;
    app.click("password-change-submit").await;
    app.wait("password-change-done").await;
    app.screenshot("password-changed").await;
    app.finish().await;
}
