//! Story: the receptionist opens the day's list: today's appointments in time order, each with
//! its patient; checking one in shows at once; yesterday's and tomorrow's are not on it.

use chrono::{Duration, TimeZone};
use mamori_core::audit::{Action, Filter};
use mamori_core::clinic::japan_time;
use mamori_core::domain::AppointmentInput;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

#[test]
fn the_days_list_holds_todays_appointments_in_time_order_and_is_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 40, 21);
    let mut desk = site.login("reception");
    let p =
        desk.register_patient(&patient("5001", ("今日", "来院"), ("キョウ", "ライイン"), "1970-01-01", "")).expect("p");
    let today = desk.today();
    let at = |day: chrono::NaiveDate, hour: u32| {
        japan_time().from_local_datetime(&day.and_hms_opt(hour, 30, 0).expect("time")).single().expect("jst").to_utc()
    };
    let purpose =
        |s: &str| AppointmentInput { scheduled_at: at(today, 23), purpose: s.into(), ..AppointmentInput::default() };
    let late = desk.book_appointment(p.id, &purpose("再診")).expect("tonight");
    desk.book_appointment(
        p.id,
        &AppointmentInput { scheduled_at: at(today - Duration::days(1), 23), ..purpose("昨日") },
    )
    .expect("yesterday");
    desk.book_appointment(
        p.id,
        &AppointmentInput { scheduled_at: at(today + Duration::days(1), 0), ..purpose("明日") },
    )
    .expect("tomorrow");

    let visits = desk.todays_visits().expect("the day's list");
    assert!(visits.len() > 1, "the demo books about thirty patients today: {}", visits.len());
    assert!(visits.windows(2).all(|w| w[0].appointment.scheduled_at <= w[1].appointment.scheduled_at));
    assert!(visits.iter().all(|v| v.appointment.scheduled_at.with_timezone(&japan_time()).date_naive() == today));
    assert!(visits.iter().all(|v| v.appointment.patient_id == v.patient.id));
    let ours: Vec<_> = visits.iter().filter(|v| v.patient.id == p.id).collect();
    assert_eq!(ours.len(), 1, "only tonight's, not yesterday's or tomorrow's");
    assert_eq!(ours[0].patient.name, "今日 来院");

    desk.check_in(late.id).expect("check in");
    let checked = desk.todays_visits().expect("list");
    assert!(checked.iter().any(|v| v.appointment.id == late.id && v.appointment.checked_in_at.is_some()));

    assert!(matches!(site.login("admin").todays_visits(), Err(Error::Denied { .. })));
    let events = site.login("admin").audit_events(&Filter::User("reception".into())).expect("events");
    assert!(events.iter().any(|e| e.action == Action::Read && e.patients_listed.contains(&p.id)));
}

/// Story: the receptionist books a home visit for the nurse. To pick the clinician in charge she
/// gets the clinic's doctors and nurses by login and role, doctors first — nobody else, and
/// nothing more of them; the administrator, who reads no appointments, gets no such list.
#[test]
fn the_front_desk_names_a_clinician_from_the_doctors_and_nurses_only() {
    use mamori_core::domain::{Clinician, EncounterKind, Role};

    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 5, 7);
    let mut desk = site.login("reception");
    let clinicians = desk.clinicians().expect("the clinicians");
    assert_eq!(
        clinicians,
        [
            Clinician { name: "doctor".into(), role: Role::Doctor },
            Clinician { name: "nurse".into(), role: Role::Nurse }
        ]
    );
    let listed = serde_json::to_value(&clinicians[0]).expect("json");
    assert_eq!(listed, serde_json::json!({ "name": "doctor", "role": "doctor" }), "no display name, nothing else");

    let p =
        desk.register_patient(&patient("5101", ("訪問", "予定"), ("ホウモン", "ヨテイ"), "1938-05-05", "")).expect("p");
    let input = AppointmentInput {
        scheduled_at: mamori_core::clock::Clock::now(&site.clock),
        purpose: "訪問診療".into(),
        kind: "home_visit".into(),
        clinician: clinicians[1].name.clone(),
    };
    let booked = desk.book_appointment(p.id, &input).expect("a home visit");
    assert_eq!((booked.kind, booked.clinician.as_deref()), (EncounterKind::HomeVisit, Some("nurse")));
    let Err(Error::Invalid(errors)) =
        desk.book_appointment(p.id, &AppointmentInput { kind: "往診".into(), ..input.clone() })
    else {
        panic!("an unknown kind is refused")
    };
    assert!(errors.has(mamori_core::domain::Field::VisitKind), "the kind is named, not the purpose: {errors:?}");
    // Only a doctor or nurse of the clinic is named in charge: not the administrator, not a stranger.
    for named in ["admin", "reception", "someone"] {
        let Err(Error::Invalid(errors)) =
            desk.book_appointment(p.id, &AppointmentInput { clinician: named.into(), ..input.clone() })
        else {
            panic!("{named} was named the clinician in charge")
        };
        assert!(errors.has(mamori_core::domain::Field::Clinician), "{named}: {errors:?}");
    }

    assert!(matches!(site.login("admin").clinicians(), Err(Error::Denied { .. })));
}
