//! Story: the receptionist logs in, registers a new patient and checks her in as a walk-in; she
//! appears on today's list, checked in. Her first try has three mistakes (kanji in the kana
//! field, a 昭和 year that never was, a short phone number): one submit shows all three, each next
//! to its field, in Japanese. Then she books the patient a home visit this afternoon with the
//! nurse in charge, and it joins today's list with its kind and clinician. The front desk never
//! sees a clinical menu.

use mamori_e2e::App;

#[tokio::test(flavor = "multi_thread")]
async fn reception_registers_a_patient_and_checks_her_in() {
    let mut app = App::launch("reception-registers-and-checks-in", 20).await;
    app.screenshot("unlock").await;
    app.login("reception").await;
    assert!(app.is_present("nav-reception").await);
    assert!(!app.is_present("nav-chart").await, "no clinical menu for the front desk");

    app.click("register-open").await;
    app.wait("patient-form").await;
    app.fill("register-chart-no", "880001").await;
    app.select("register-sex", "female").await;
    app.fill("register-family-name", "守山").await;
    app.fill("register-given-name", "ゆき").await;
    app.fill("register-family-kana", "モリヤマ").await;
    app.fill("register-given-kana", "ユキ").await;
    app.fill("register-family-kana", "守山").await;
    app.fill("register-birth-date", "S70.1.1").await;
    app.fill("register-phone", "12-3456").await;
    app.click("register-submit").await;
    let kana = app.wait_text("field-error-family_kana", "カタカナ").await;
    let birth = app.text("field-error-birth_date").await;
    let phone = app.text("field-error-phone").await;
    assert!(birth.contains("昭和") && birth.contains("1989-01-07"), "the era's end, in Japanese: {birth}");
    assert!(phone.contains("桁"), "{phone}");
    for shown in [&kana, &birth, &phone] {
        assert!(!shown.is_ascii() && !shown.contains("must"), "translated, not English: {shown}");
    }
    app.screenshot("register-three-errors-at-once").await;

    app.fill("register-family-kana", "モリヤマ").await;
    app.fill("register-birth-date", "1962-04-01").await;
    app.fill("register-phone", "03-5555-0123").await;
    app.screenshot("register-form").await;
    app.click("register-submit").await;
    app.wait_text("reception-notice", "880001").await;

    app.fill("walkin-purpose", "発熱").await;
    app.click("walkin-button").await;
    app.wait("walkin-done").await;
    let row = app.wait_text("visit-row", "守山").await;
    app.screenshot("checked-in").await;
    assert!(row.contains("ゆき"), "{row}");

    // A home visit this afternoon, the nurse in charge, picked from the clinic's doctors and nurses.
    app.wait_text("booking-clinician", "nurse（看護師）").await;
    app.set_value("booking-time", "15:30").await;
    app.fill("booking-purpose", "訪問診療（初回）").await;
    app.select("booking-kind", "home_visit").await;
    app.select("booking-clinician", "nurse").await;
    app.screenshot("book-home-visit").await;
    app.click("booking-submit").await;
    app.wait_text("booking-done", "15:30").await;
    let booked = app.wait_text("visit-row", "訪問診療（初回）").await;
    assert!(booked.contains("訪問診療") && booked.contains("担当: nurse") && booked.contains("15:30"), "{booked}");
    app.screenshot("home-visit-booked").await;
    assert!(!app.is_present("clinical-sections").await);
    app.finish().await;
}
