//! The front desk books an appointment with its kind and clinician in charge; the administrator
//! sets the clinic's hours, holidays and the on-call/cover roster. Each from a window, each
//! refused to the roles the core's table does not allow, each bad entry named by its field.

use serde_json::{json, Value};

use super::Window;
use mamori_core::clock::Clock;

#[test]
fn reception_books_a_home_visit_for_a_nurse_picked_from_the_clinicians_and_it_is_on_todays_list() {
    let w = Window::on_demo();
    w.unlock("reception");
    let clinicians = w.ok("clinicians", json!({}));
    assert_eq!(
        clinicians,
        json!([{ "name": "doctor", "role": "doctor" }, { "name": "nurse", "role": "nurse" }]),
        "logins and roles of the doctors and nurses only"
    );
    let patient = w.some_patient();
    let at = (w.clock.now() + chrono::Duration::minutes(30)).to_rfc3339();
    let booking = json!({
        "patientId": patient, "scheduledAt": at, "purpose": "訪問診療（定期）",
        "kind": "home_visit", "clinician": "nurse",
    });
    let booked = w.ok("book_appointment", booking);
    assert_eq!((&booked["kind"], &booked["clinician"]), (&json!("home_visit"), &json!("nurse")));
    let visits = w.ok("todays_visits", json!({}));
    let listed = visits.as_array().expect("visits").iter().find(|v| v["appointment"]["id"] == booked["id"]);
    assert_eq!(listed.expect("on today's list")["appointment"]["clinician"], "nurse");

    let bad_kind = json!({ "patientId": patient, "scheduledAt": at, "purpose": "往診", "kind": "ambulance" });
    let error = w.call("book_appointment", bad_kind).expect_err("an unknown kind");
    assert_eq!(error["fields"], json!([{ "field": "visit_kind", "problem": "unknown_choice" }]));

    for (command, args) in [
        ("clinic_hours", json!({})),
        ("roster", json!({})),
        ("set_roster", json!({ "roster": [] })),
        ("staff_profiles", json!({})),
    ] {
        assert_eq!(w.error_code(command, args), "denied", "{command} reached a reception window");
    }
    w.unlock("admin");
    assert_eq!(w.error_code("clinicians", json!({})), "denied", "the administrator reads no appointments");
}

#[test]
fn the_admin_sets_the_clinic_hours_holidays_and_an_on_call_shift_and_reads_them_back() {
    let w = Window::on_demo();
    w.unlock("admin");
    let mut hours = w.ok("clinic_hours", json!({}));
    assert_eq!(hours["utc_offset_minutes"], 540, "Japan time until told otherwise: {hours}");
    assert_eq!(hours["hours"][0], json!({ "weekday": 0, "open": "09:00:00", "close": "18:00:00" }));

    // Wednesday afternoons closed, Saturday to 12:30, two holidays (typed twice, out of order).
    hours["hours"][2]["close"] = json!("12:30:00");
    hours["hours"][5]["close"] = json!("12:30:00");
    hours["holidays"] = json!(["2026-12-31", "2026-12-30", "2026-12-31"]);
    assert_eq!(w.ok("set_clinic_hours", json!({ "hours": hours })), Value::Null);
    let stored = w.ok("clinic_hours", json!({}));
    assert_eq!(stored["hours"][5]["close"], "12:30:00");
    assert_eq!(stored["holidays"], json!(["2026-12-30", "2026-12-31"]));

    let mut reversed = stored.clone();
    reversed["hours"][1]["open"] = json!("19:00:00");
    let error = w.call("set_clinic_hours", json!({ "hours": reversed })).expect_err("closes before it opens");
    assert_eq!(error["code"], "invalid_input");
    assert_eq!(error["fields"], json!([{ "field": "clinic_hours", "problem": "range_reversed", "item": 2 }]));

    let from = w.clock.now() + chrono::Duration::hours(10);
    let to = from + chrono::Duration::hours(14);
    let on_call = json!({ "user": "doctor", "kind": "on_call", "from": from, "to": to, "covers": null });
    assert_eq!(w.ok("set_roster", json!({ "roster": [on_call] })), Value::Null);
    let roster = w.ok("roster", json!({}));
    assert_eq!(roster.as_array().map(Vec::len), Some(1), "{roster}");
    assert_eq!((&roster[0]["user"], &roster[0]["kind"]), (&json!("doctor"), &json!("on_call")));

    let cover = json!({ "user": "doctor", "kind": "cover", "from": from, "to": to, "covers": null });
    let error = w.call("set_roster", json!({ "roster": [on_call, cover] })).expect_err("a cover of nobody");
    assert_eq!(error["fields"], json!([{ "field": "covers", "problem": "required", "item": 2 }]));
    let backwards = json!({ "user": "nurse", "kind": "on_call", "from": to, "to": from, "covers": null });
    let error = w.call("set_roster", json!({ "roster": [backwards] })).expect_err("ends before it starts");
    assert_eq!(error["fields"], json!([{ "field": "shift", "problem": "range_reversed", "item": 1 }]));
    assert_eq!(w.ok("roster", json!({})).as_array().map(Vec::len), Some(1), "a refused roster changes nothing");
}
