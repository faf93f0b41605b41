//! Story: a patient last seen some days ago is checked in at the desk. The nurse finds her — the
//! search results keep their columns in Japanese and in English — and opens her chart: today's
//! visit, opened by the check-in, is selected; the doctor's earlier notes and prescriptions name
//! him 守 太郎, not his login; her own editor says plainly it writes a nursing note. She records
//! vitals, which land on today's visit, and reads blood pressure and temperature trends whose
//! tooltips keep label, value and unit apart.

use chrono::Utc;
use mamori_core::clinic::japan_time;
use mamori_e2e::{App, PATIENCE};
use serde_json::json;

use crate::measure;

/// The patient reception checks in before the window opens.
#[derive(Default)]
struct CheckedIn {
    chart_no: String,
    name: String,
    copay_percent: Option<u8>,
}

/// As reception: picks a demo patient with earlier visits and none today (one with a 20 %
/// copay if there is one) and checks her in as a walk-in.
fn check_in_a_returning_patient(desk: &mut mamori_core::clinic::Clinic, chosen: &mut CheckedIn) {
    let mut candidates = Vec::new();
    for no in 1..=30 {
        let Some(found) = desk.search_patients(&no.to_string(), 1).expect("search").into_iter().next() else {
            continue;
        };
        let chart = desk.chart(found.id).expect("the desk's chart");
        if chart.todays_encounter.is_none() && !chart.encounters.is_empty() {
            candidates.push((chart.patient.insurance.as_ref().map(|i| i.copay_percent), found));
        }
    }
    let (copay, patient) = candidates
        .iter()
        .find(|(copay, _)| *copay == Some(20))
        .or_else(|| candidates.iter().find(|(copay, _)| copay.is_some()))
        .or(candidates.first())
        .cloned()
        .expect("a demo patient seen before");
    desk.check_in_walk_in(patient.id, "発熱").expect("check-in");
    *chosen = CheckedIn { chart_no: patient.chart_no, name: patient.name, copay_percent: copay };
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nurse_records_todays_vitals_on_todays_visit_and_sees_the_doctor_by_name() {
    let mut her = CheckedIn::default();
    // Sixty patients: the demo books about thirty for today, so late in the clinic's day (when
    // every one booked has arrived) half of the first thirty are still not here today.
    let mut app = App::launch_after("nurse-records-vitals-on-todays-visit", 60, "reception", |desk| {
        check_in_a_returning_patient(desk, &mut her)
    })
    .await;
    app.login("nurse").await;

    // Search results: one grid, so sex and age stand in the same column on every row.
    let mut rows = 0;
    for kana in ["サ", "タ", "カ", "ヤ", "ナ", "マ", "ハ", "ア", "イ", "オ", "ス", "モ", "ワ"] {
        app.fill("search-input", kana).await;
        app.wait_css(&format!("[data-testid=\"search\"][data-searched=\"{kana}\"]"), PATIENCE).await;
        rows = app.all("search-result").await.len();
        if rows >= 3 {
            break;
        }
    }
    assert!(rows >= 3, "a one-kana search lists several demo patients");
    for locale in ["ja", "en"] {
        app.select("lang-switch", locale).await;
        app.wait_text("search-results", if locale == "ja" { "性別" } else { "Sex" }).await;
        let sex = measure::lefts(&app, "[data-testid=\"search-result-sex\"]").await;
        let age = measure::lefts(&app, "[data-testid=\"search-result-age\"]").await;
        let sex_ends = measure::text_rights(&app, "[data-testid=\"search-result-sex\"]").await;
        assert!(sex.iter().all(|x| (x - sex[0]).abs() < 0.5), "{locale}: the sex column shifts: {sex:?}");
        assert!(age.iter().all(|x| (x - age[0]).abs() < 0.5), "{locale}: the age column shifts: {age:?}");
        for (end, start) in sex_ends.iter().zip(&age) {
            assert!(end < start, "{locale}: the sex runs into the age ({end} ≥ {start})");
        }
        app.screenshot(&format!("search-columns-{locale}")).await;
    }
    app.select("lang-switch", "ja").await;

    // Her chart: today's visit, opened by the check-in, is the one selected.
    app.fill("search-input", &her.chart_no).await;
    // The earlier kana search may list her too: wait for this search's own results.
    app.wait_css(&format!("[data-testid=\"search\"][data-searched=\"{}\"]", her.chart_no), PATIENCE).await;
    app.wait_text("search-result", &her.name).await;
    app.all("search-result").await[0].click().await.expect("pick her");
    app.click("open-chart").await;
    app.wait("chart-header").await;
    if let Some(copay) = her.copay_percent {
        assert!(app.text("chart-copay").await.contains(&format!("{}割負担", copay / 10)), "copay in 割");
    }
    let today = Utc::now().with_timezone(&japan_time()).format("%Y/%m/%d").to_string();
    let selected = app.wait_css("[data-testid=\"encounter-item\"][aria-pressed=\"true\"]", PATIENCE).await;
    let selected = selected.text().await.expect("text");
    assert!(selected.contains(&today) && selected.contains("受付 さくら"), "today's visit is selected: {selected}");
    assert!(app.all("encounter-item").await.len() >= 2, "her earlier visits are there too");

    // A nurse sees no empty SOAP editor with a sign button above the doctor's note.
    app.wait("nursing-note-open").await;
    assert!(!app.is_present("soap-editor").await);
    assert!(!app.is_present("note-sign").await);
    app.screenshot("chart-todays-visit-selected").await;

    // An earlier visit: the doctor's note and prescriptions name him, not his login.
    app.all("encounter-item").await[1].click().await.expect("an earlier visit");
    let signed = app.wait_text("note-signed-by", "守 太郎").await;
    assert!(!signed.contains("doctor"), "{signed}");
    for author in app.all("note-author").await {
        assert!(!author.text().await.expect("text").contains("doctor"));
    }
    assert!(app.wait_text("encounter-by", "守 太郎").await.contains("守 太郎"));
    for prescriber in app.all("rx-prescriber").await {
        assert_eq!(prescriber.text().await.expect("text"), "守 太郎");
    }
    app.screenshot("doctor-named-by-display-name").await;

    // Her own editor, on today's visit, is plainly a nursing note.
    app.all("encounter-item").await[0].click().await.expect("today's visit");
    app.click("nursing-note-open").await;
    app.wait_css("[data-testid=\"soap-editor\"][data-kind=\"nursing\"]", PATIENCE).await;
    assert!(app.text("soap-editor-title").await.contains("看護記録"));
    assert_eq!(app.text("note-sign").await, "看護記録に署名");
    app.fill("soap-s", "昨夜から38℃台の発熱、咽頭痛").await;
    app.fill("soap-o", "体温37.8℃ SpO2 97%").await;
    app.screenshot("nursing-note-editor").await;
    app.click("note-sign").await;
    app.wait_css("[data-testid=\"note-item\"][data-status=\"signed\"]", PATIENCE).await;
    app.wait_text("note-list", "看護記録").await;

    // Vitals of today go to today's visit.
    app.click("vitals-add").await;
    assert!(app.text("vitals-where").await.contains("本日の受診"));
    app.fill("vitals-systolic_mmhg", "128").await;
    app.fill("vitals-diastolic_mmhg", "82").await;
    app.fill("vitals-pulse_bpm", "76").await;
    app.fill("vitals-temperature_c", "37.8").await;
    app.click("vitals-submit").await;
    app.wait_gone("vitals-form").await;
    app.wait("vitals-temperature-chart").await;
    let chart = measure::invoke(&app, "chart", json!({ "patientId": patient_id(&app).await })).await.expect("chart");
    let todays = chart["todays_encounter"].as_str().expect("today's visit").to_string();
    let newest = chart["vitals"]
        .as_array()
        .expect("vitals")
        .iter()
        .max_by_key(|v| v["measured_at"].as_str().unwrap_or_default().to_string())
        .expect("her vitals");
    assert_eq!(newest["encounter_id"], todays.as_str(), "today's vitals are on today's visit");
    let old = chart["encounters"].as_array().expect("visits").iter().find(|e| e["id"] != todays.as_str()).expect("old");
    let refused = measure::invoke(
        &app,
        "record_vitals",
        json!({ "patientId": chart["patient"]["id"], "encounterId": old["id"], "input": { "pulse_bpm": 70 } }),
    )
    .await;
    assert_eq!(refused.expect_err("an earlier visit is refused")["code"], "invalid_input");

    // Trends: temperature has its own, and a dot's tip keeps label, value and unit apart.
    measure::point_at(&app, "[data-testid=\"vitals-chart\"] circle.s1").await;
    let tip = app.wait_text("trend-tip", "mmHg").await;
    assert!(tip.starts_with("収縮期血圧：128 mmHg"), "{tip}");
    measure::point_at(&app, "[data-testid=\"vitals-temperature-chart\"] circle").await;
    assert!(app.wait_text("trend-tip", "℃").await.contains("体温：37.8 ℃"));
    app.screenshot("vitals-temperature-trend-and-tooltip").await;
    app.finish().await;
}

async fn patient_id(app: &App) -> String {
    let header = app.wait("chart-header").await;
    header.attr("data-patient-id").await.expect("attr").expect("the patient's id")
}
