//! Stories of the chart: a doctor unlocks with password and one-time code, finds the new patient
//! by two characters of her reading, writes and signs a SOAP note in the 2号用紙 layout and
//! prescribes, then repeats the prescription with Do処方. The receptionist, on the same clinic,
//! has no way into any clinical section.

use mamori_core::domain::PatientInput;
use mamori_e2e::App;

fn yuki() -> PatientInput {
    mamori_story_tests::patient("880001", ("守山", "ゆき"), ("モリヤマ", "ユキ"), "1962-04-01", "03-5555-0123")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_doctor_finds_her_by_two_kana_writes_and_signs_a_note_and_prescribes_with_do() {
    let mut app = App::launch_after("doctor-writes-signs-and-prescribes-do", 30, "reception", |desk| {
        desk.register_patient(&yuki()).expect("registered at the desk");
    })
    .await;
    app.login("doctor").await;
    assert!(app.is_present("nav-chart").await);

    app.fill("search-input", "もり").await;
    let found = app.wait_text("search-result", "守山").await;
    assert!(found.contains("ゆき"), "{found}");
    app.screenshot("search-two-kana").await;
    for row in app.all("search-result").await {
        if row.text().await.unwrap_or_default().contains("守山") {
            row.click().await.expect("pick her");
            break;
        }
    }
    app.click("open-chart").await;
    assert!(app.wait_text("chart-name", "守山").await.contains("ゆき"));
    assert!(app.text("chart-birth-date").await.contains("昭和37年"), "和暦 in the header");

    app.click("encounter-new").await;
    app.fill("soap-s", "3日前から咽頭痛と微熱").await;
    app.fill("soap-o", "体温37.6℃ 咽頭発赤あり").await;
    app.fill("soap-a", "急性上気道炎").await;
    app.fill("soap-p", "対症療法、3日後再診").await;
    app.click("note-save").await;
    app.wait("note-item").await;
    app.click("note-sign").await;
    app.wait_css("[data-testid=\"note-item\"][data-status=\"signed\"]", mamori_e2e::PATIENCE).await;
    assert!(app.wait_text("note-list", "急性上気道炎").await.contains("咽頭痛"));
    // Signed by the doctor's name, not his login.
    let signed = app.wait_text("note-signed-by", "守 太郎").await;
    assert!(!signed.contains("doctor"), "{signed}");

    app.fill("rx-item-drug", "カロナール錠200mg").await;
    app.fill("rx-item-dose", "1").await;
    app.fill("rx-item-unit", "錠").await;
    app.fill("rx-item-frequency", "1日3回毎食後").await;
    app.fill("rx-item-days", "5").await;
    app.click("rx-submit").await;
    app.wait_text("rx-entry", "カロナール錠200mg").await;
    assert_eq!(app.text("rx-prescriber").await, "守 太郎", "the prescriber by name");
    app.screenshot("signed-note-and-prescription").await;

    app.click("rx-do").await;
    for entry in app.wait_count("rx-entry", 2).await {
        assert!(entry.text().await.expect("text").contains("カロナール錠200mg"), "Do repeats the same drug");
    }
    app.screenshot("do-prescription").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reception_cannot_reach_the_clinical_sections() {
    let mut app = App::launch("reception-cannot-reach-clinical", 30).await;
    app.login("reception").await;
    assert!(!app.is_present("nav-chart").await, "no chart menu");
    assert!(!app.is_present("nav-admin").await);

    app.fill("search-input", "000001").await;
    app.wait("search-result").await;
    app.all("search-result").await[0].click().await.expect("pick a patient");
    let selected = app.wait("selected-patient").await;
    let patient = selected.attr("data-patient-id").await.expect("attr").expect("the patient's id");
    assert!(!app.is_present("open-chart").await, "no way to open a chart");
    assert!(!app.is_present("break-glass-open").await, "sealed clinical sections cannot be opened by the glass");
    // The day's list offers no chart either.
    app.wait("visit-row").await;
    assert!(!app.is_present("visit-open-chart").await);
    app.screenshot("front-desk-only").await;

    // A window made to send clinical commands anyway (as a script injected into it would): the
    // capability lets the call through to the core, and the core refuses it for this role.
    let invoke = r#"
        const [cmd, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(cmd, args).then((v) => done({ ok: v }), (e) => done({ err: e }));
    "#;
    let call = |cmd: &str, args: serde_json::Value| {
        let client = app.client.clone();
        let cmd = cmd.to_string();
        async move { client.execute_async(invoke, vec![cmd.into(), args]).await.expect("invoke from the page") }
    };
    let vitals = call("record_vitals", serde_json::json!({ "patientId": patient, "input": { "pulse_bpm": 70 } })).await;
    assert_eq!(vitals["err"]["code"], "denied", "{vitals}");
    let rx = call("prescribe_do", serde_json::json!({ "patientId": patient })).await;
    assert_eq!(rx["err"]["code"], "denied", "{rx}");
    let chart = call("chart", serde_json::json!({ "patientId": patient })).await;
    for section in ["allergies", "problems", "notes", "vitals", "prescriptions", "lab_reports"] {
        assert!(chart["ok"][section].is_null(), "{section} reached a reception window: {chart}");
    }
    assert!(chart["ok"]["patient"]["id"] == patient.as_str(), "{chart}");
    app.finish().await;
}
