//! Story: a patient last seen some days ago comes back. The receptionist checks her in, which opens
//! today's visit; the nurse takes her vitals without choosing a visit and they land on today's
//! visit, not the old one (a nurse cannot open a visit herself); the doctor's note and
//! prescription go there too. A second check-in the same day opens no second visit. Everyone sees
//! the staff named by their display names, and no one learns a name the records do not show.

use mamori_core::clinic::Clinic;
use mamori_core::domain::validation::Problem;
use mamori_core::domain::{Field, PrescriptionItemInput, SoapText, VitalsInput};
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;
use uuid::Uuid;

/// A demo patient with earlier visits and none today, as the doctor's chart shows her.
fn returning_patient(doctor: &mut Clinic) -> (Uuid, Uuid) {
    for no in 1..=12 {
        let Some(found) = doctor.search_patients(&no.to_string(), 1).expect("search").into_iter().next() else {
            continue;
        };
        let chart = doctor.chart(found.id).expect("chart");
        if chart.todays_encounter.is_none() {
            if let Some(last) = chart.encounters.iter().max_by_key(|e| e.started_at) {
                assert!(last.started_at.date_naive() < doctor.today(), "the demo's visits are in the past");
                return (found.id, last.id);
            }
        }
    }
    panic!("the demo clinic has a patient seen before");
}

#[test]
fn check_in_opens_todays_visit_and_todays_vitals_notes_and_prescriptions_land_on_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 12, 8);
    let (patient, old_visit) = returning_patient(&mut site.login("doctor"));

    // The nurse cannot open a visit: the role table gives her appointments to read only.
    let mut nurse = site.login("nurse");
    assert!(matches!(
        nurse.open_encounter(patient, mamori_core::domain::EncounterKind::Outpatient),
        Err(Error::Denied { .. })
    ));

    // 受付: the receptionist checks her in; today's visit opens with it.
    let mut desk = site.login("reception");
    desk.check_in_walk_in(patient, "発熱").expect("check-in");
    let visits_after_check_in = desk.chart(patient).expect("desk's chart").encounters;
    let today = desk.chart(patient).expect("chart").todays_encounter.expect("check-in opened today's visit");
    assert_ne!(today, old_visit);
    // Checking in again the same day (she went out and came back) opens no second visit.
    desk.check_in_walk_in(patient, "再受付").expect("second check-in");
    let chart = desk.chart(patient).expect("chart");
    assert_eq!(chart.encounters.len(), visits_after_check_in.len(), "one visit per day");
    assert_eq!(chart.todays_encounter, Some(today));

    // The nurse measures without naming a visit: the vitals go to today's.
    let vitals = VitalsInput {
        systolic_mmhg: Some(128),
        diastolic_mmhg: Some(82),
        temperature_c: Some(37.8),
        ..Default::default()
    };
    let recorded = nurse.record_vitals(patient, None, &vitals).expect("vitals");
    assert_eq!(recorded.encounter_id, Some(today), "today's vitals belong to today's visit");
    // A window that still had the old visit selected is refused, not filed nine days back.
    let refused = nurse.record_vitals(patient, Some(old_visit), &vitals);
    assert!(
        matches!(refused, Err(Error::Invalid(ref e)) if e.problem(Field::Encounter) == Some(&Problem::EarlierDaysVisit)),
        "{refused:?}"
    );

    // The doctor writes on today's visit and prescribes without naming it.
    let mut doctor = site.login("doctor");
    let chart = doctor.chart(patient).expect("chart");
    assert_eq!(chart.todays_encounter, Some(today));
    let taken = chart.vitals.expect("vitals").into_iter().find(|v| v.id == recorded.id).expect("the nurse's vitals");
    assert_eq!(taken.encounter_id, Some(today));
    let note =
        doctor.write_note(today, SoapText::build("発熱", "37.8℃", "感冒", "解熱剤").expect("text")).expect("note");
    assert_eq!(note.encounter_id, today);
    let item = PrescriptionItemInput {
        drug: "カロナール錠200mg".into(),
        dose: 1.0,
        unit: "錠".into(),
        frequency: "1日3回毎食後".into(),
        days: 3,
    };
    assert_eq!(doctor.prescribe(patient, None, &[item]).expect("rx").encounter_id, Some(today));
    assert_eq!(doctor.prescribe_do(patient, None).expect("Do").encounter_id, Some(today));
    assert!(doctor.prescribe_do(patient, Some(old_visit)).is_err(), "not filed under an earlier day");
}

#[test]
fn the_chart_names_staff_by_display_name_and_only_those_its_records_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 12, 8);
    let mut doctor = site.login("doctor");
    let (patient, _) = returning_patient(&mut doctor);
    let item = PrescriptionItemInput {
        drug: "ムコダイン錠250mg".into(),
        dose: 1.0,
        unit: "錠".into(),
        frequency: "1日3回毎食後".into(),
        days: 5,
    };
    doctor.prescribe(patient, None, &[item]).expect("rx");

    // The nurse reads the doctor's signed notes and prescriptions under his name, 守 太郎.
    let chart = site.login("nurse").chart(patient).expect("nurse's chart");
    let signer = chart.notes.iter().flatten().find_map(|n| n.signed_by.clone()).expect("a signed note");
    assert_eq!(signer, "doctor", "the record keeps the login");
    assert_eq!(chart.staff_names.get("doctor").map(String::as_str), Some("守 太郎"));
    let named: Vec<&String> = chart.staff_names.keys().collect();
    assert!(!named.contains(&&"admin".to_string()), "no one the records do not name: {named:?}");

    // The front desk sees visits only, so only the staff who opened them.
    let desk_chart = site.login("reception").chart(patient).expect("desk's chart");
    assert!(desk_chart.notes.is_none());
    for login in desk_chart.staff_names.keys() {
        assert!(desk_chart.encounters.iter().any(|e| &e.clinician == login), "{login} is named by no visit");
    }
}
