//! Each rule: a crafted event stream where it fires, and a legitimate look-alike where it stays
//! quiet (a flu-vaccine day, a covering doctor, a home-visit list, a lab batch, a common-surname
//! search, an on-call night).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mamori_detect::context::{
    Appointment, HomeVisitList, LabResult, PatientContext, Relation, SensitiveKind, Shift, ShiftKind, StaffContext,
    StaffLink, VisitKind,
};
use mamori_detect::event::{Action, Outcome, Role};
use mamori_detect::{detect, Alert, Context, Event, Rule, Severity};

/// Monday 2026-11-30, `hour`:`minute` in Japan.
fn jst(day: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(9 * 3600)
        .expect("JST")
        .with_ymd_and_hms(2026, 11, 30, hour, minute, 0)
        .single()
        .expect("a time")
        .with_timezone(&Utc)
        + Duration::days(day)
}

fn date(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("date") + Duration::days(day)
}

struct Clinic {
    context: Context,
    events: Vec<Event>,
}

impl Clinic {
    /// Staff: reception 佐藤 (home 三軒茶屋 1), nurse 田中 (home 太子堂 2), doctors 山本 and 木村.
    /// Patients p0…p199 in 下馬 3, surnames 高橋.
    fn new() -> Self {
        let staff = |user: &str, role, surname: &str, town: &str, block: &str| StaffContext {
            user: user.into(),
            role,
            surname: Some(surname.into()),
            surname_kana: None,
            home_town: Some(town.into()),
            home_block: Some(block.into()),
        };
        let patients = (0..200)
            .map(|i| PatientContext {
                id: format!("p{i}"),
                surname: "高橋".into(),
                surname_kana: "タカハシ".into(),
                town: "下馬".into(),
                block: "3".into(),
                sensitive: None,
                staff_links: Vec::new(),
            })
            .collect();
        let context = Context {
            staff: vec![
                staff("reception", Role::Reception, "佐藤", "三軒茶屋", "1"),
                staff("nurse", Role::Nurse, "田中", "太子堂", "2"),
                staff("doctor", Role::Doctor, "山本", "池尻", "4"),
                staff("doctor2", Role::Doctor, "木村", "池尻", "5"),
            ],
            patients,
            ..Context::default()
        };
        Self { context, events: Vec::new() }
    }

    fn patient(&mut self, id: &str) -> &mut PatientContext {
        self.context.patients.iter_mut().find(|p| p.id == id).expect("a patient")
    }

    fn appointment(&mut self, patient: &str, at: DateTime<Utc>, clinician: Option<&str>) {
        self.context.appointments.push(Appointment {
            patient: patient.into(),
            at,
            kind: VisitKind::Outpatient,
            clinician: clinician.map(Into::into),
        });
    }

    fn event(&mut self, user: &str, role: Role, action: Action, patient: Option<&str>, at: DateTime<Utc>) {
        let id = format!("e{}", self.events.len());
        self.events.push(Event {
            id,
            at,
            user: user.into(),
            role,
            device: "desk".into(),
            patient: patient.map(Into::into),
            section: None,
            action,
            outcome: if action == Action::Denied { Outcome::Denied } else { Outcome::Allowed },
            break_glass: action == Action::BreakGlass,
            subject: None,
        });
    }

    fn opens(&mut self, user: &str, role: Role, patient: &str, at: DateTime<Utc>) {
        self.event(user, role, Action::Read, Some(patient), at);
    }

    fn alerts(&self) -> Vec<Alert> {
        detect(&self.events, &self.context)
    }
}

fn rules(alerts: &[Alert]) -> Vec<Rule> {
    alerts.iter().map(|a| a.rule).collect()
}

#[test]
fn charts_opened_with_no_relationship_fire_and_a_flu_day_does_not() {
    let mut clinic = Clinic::new();
    for (i, p) in ["p1", "p2", "p3"].iter().enumerate() {
        clinic.opens("nurse", Role::Nurse, p, jst(0, 10, i as u32));
    }
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::NoRelationship]);
    assert_eq!(alerts[0].patients, ["p1", "p2", "p3"]);
    assert_eq!(alerts[0].events.len(), 3);
    assert_eq!(alerts[0].severity, Severity::Medium);
    assert!(alerts[0].explanation.ja.contains("nurse") && alerts[0].explanation.en.contains("3 patients"));

    // A flu-vaccine day: 150 appointments, 150 charts opened by the nurse and the desk.
    let mut flu = Clinic::new();
    for i in 0..150 {
        let p = format!("p{i}");
        flu.appointment(&p, jst(0, 9, 0) + Duration::minutes(i * 3), None);
        flu.opens("reception", Role::Reception, &p, jst(0, 9, 0) + Duration::minutes(i * 3));
        flu.opens("nurse", Role::Nurse, &p, jst(0, 9, 1) + Duration::minutes(i * 3));
    }
    assert!(flu.alerts().is_empty(), "{:?}", flu.alerts());
}

#[test]
fn a_covering_doctor_reads_a_colleagues_follow_ups_and_nobody_else_may() {
    let mut clinic = Clinic::new();
    clinic.appointment("p5", jst(-5, 10, 0), Some("doctor"));
    clinic.context.roster.push(Shift {
        user: "doctor2".into(),
        kind: ShiftKind::Cover,
        from: jst(0, 0, 0),
        to: jst(3, 0, 0),
        covers: Some("doctor".into()),
    });
    clinic.opens("doctor2", Role::Doctor, "p5", jst(0, 11, 0));
    assert!(clinic.alerts().is_empty(), "the cover explains it: {:?}", clinic.alerts());
    clinic.context.roster.clear();
    assert_eq!(rules(&clinic.alerts()), [Rule::NoRelationship], "without the cover it is unexplained");
    // The doctor in charge himself needs no cover.
    let mut own = Clinic::new();
    own.appointment("p5", jst(-5, 10, 0), Some("doctor"));
    own.opens("doctor", Role::Doctor, "p5", jst(0, 11, 0));
    assert!(own.alerts().is_empty());
}

#[test]
fn the_same_surname_fires_and_a_common_surname_search_or_a_visit_does_not() {
    let mut clinic = Clinic::new();
    clinic.patient("p7").surname = "佐藤".into();
    clinic.opens("reception", Role::Reception, "p7", jst(0, 14, 0));
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::SameSurname]);
    assert_eq!(alerts[0].severity, Severity::High);

    let mut search = Clinic::new();
    for i in 0..30 {
        search.patient(&format!("p{i}")).surname = "佐藤".into();
    }
    search.event("reception", Role::Reception, Action::Search, None, jst(0, 14, 0));
    search.appointment("p7", jst(0, 15, 0), None);
    search.opens("reception", Role::Reception, "p7", jst(0, 14, 1));
    assert!(search.alerts().is_empty(), "{:?}", search.alerts());
}

#[test]
fn the_same_neighbourhood_fires_and_the_users_own_home_visit_round_does_not() {
    let mut clinic = Clinic::new();
    clinic.patient("p8").town = "太子堂".into();
    clinic.patient("p8").block = "2".into();
    clinic.opens("nurse", Role::Nurse, "p8", jst(0, 15, 0));
    assert_eq!(rules(&clinic.alerts()), [Rule::SameNeighbourhood]);

    clinic.context.home_visit_lists.push(HomeVisitList {
        date: date(0),
        user: "nurse".into(),
        patients: vec!["p8".into()],
    });
    assert!(clinic.alerts().is_empty(), "her round explains it");
}

#[test]
fn the_users_own_or_family_chart_fires_and_a_colleague_treating_the_family_does_not() {
    let mut clinic = Clinic::new();
    clinic.patient("p9").staff_links.push(StaffLink { staff: "doctor".into(), relation: Relation::Family });
    clinic.patient("p9").sensitive = Some(SensitiveKind::StaffFamily);
    clinic.appointment("p9", jst(0, 10, 0), Some("doctor2"));
    clinic.opens("doctor2", Role::Doctor, "p9", jst(0, 10, 5));
    assert!(clinic.alerts().is_empty(), "a colleague treating her at her appointment");
    clinic.opens("doctor", Role::Doctor, "p9", jst(0, 12, 0));
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::OwnOrFamily]);
    assert_eq!(alerts[0].user, "doctor");
    assert_eq!(alerts[0].severity, Severity::Medium, "explained by her appointment, still a family chart");
}

#[test]
fn a_sensitive_chart_fires_without_a_relationship_and_not_at_its_visit() {
    let mut clinic = Clinic::new();
    clinic.patient("p10").sensitive = Some(SensitiveKind::PublicFigure);
    clinic.opens("reception", Role::Reception, "p10", jst(0, 16, 0));
    assert_eq!(rules(&clinic.alerts()), [Rule::Sensitive]);
    clinic.appointment("p10", jst(0, 17, 0), None);
    assert!(clinic.alerts().is_empty(), "checking the public figure in for her visit");
}

#[test]
fn off_hours_fires_outside_a_shift_and_an_on_call_night_with_an_established_patient_does_not() {
    let mut clinic = Clinic::new();
    clinic.opens("nurse", Role::Nurse, "p11", jst(0, 23, 10));
    assert_eq!(rules(&clinic.alerts()), [Rule::OffHours]);

    let mut night = Clinic::new();
    night.appointment("p11", jst(-60, 10, 0), Some("doctor2"));
    night.context.roster.push(Shift {
        user: "doctor".into(),
        kind: ShiftKind::OnCall,
        from: jst(0, 18, 0),
        to: jst(1, 9, 0),
        covers: None,
    });
    night.opens("doctor", Role::Doctor, "p11", jst(1, 2, 30));
    assert!(night.alerts().is_empty(), "{:?}", night.alerts());
}

#[test]
fn a_leavers_last_day_fires_once_for_volume_and_a_lab_batch_does_not() {
    let mut clinic = Clinic::new();
    for day in 0..5 {
        for i in 0..20 {
            let p = format!("p{i}");
            clinic.appointment(&p, jst(day, 9, 0) + Duration::minutes(i * 10), None);
            clinic.opens("reception", Role::Reception, &p, jst(day, 9, 0) + Duration::minutes(i * 10));
        }
    }
    for i in 0..20 {
        let p = format!("p{i}");
        clinic.appointment(&p, jst(5, 9, 0) + Duration::minutes(i * 10), None);
        clinic.opens("reception", Role::Reception, &p, jst(5, 9, 0) + Duration::minutes(i * 10));
    }
    for i in 50..200 {
        clinic.opens("reception", Role::Reception, &format!("p{i}"), jst(5, 12, 0) + Duration::seconds(i * 20));
    }
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::Volume], "one alert, not 150");
    assert_eq!(alerts[0].patients.len(), 150);
    assert!(alerts[0].explanation.en.contains("about 20 a day"), "{}", alerts[0].explanation.en);

    let mut labs = Clinic::new();
    for i in 0..60 {
        let p = format!("p{i}");
        labs.context.lab_results.push(LabResult {
            patient: p.clone(),
            arrived_at: jst(0, 8, 0),
            ordered_by: Some("doctor".into()),
        });
        labs.opens("doctor", Role::Doctor, &p, jst(0, 13, 0) + Duration::minutes(i));
    }
    assert!(labs.alerts().is_empty(), "a batch of results read the day they arrived");
}

#[test]
fn a_bulk_print_fires_and_printing_the_home_visit_round_does_not() {
    let mut clinic = Clinic::new();
    for i in 0..30 {
        clinic.event(
            "reception",
            Role::Reception,
            Action::Print,
            Some(&format!("p{i}")),
            jst(0, 17, 0) + Duration::seconds(i * 30),
        );
    }
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::BulkExport]);
    assert_eq!(alerts[0].patients.len(), 30);

    let mut round = Clinic::new();
    let list: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    round.context.home_visit_lists.push(HomeVisitList { date: date(0), user: "doctor".into(), patients: list.clone() });
    for (i, p) in list.iter().enumerate() {
        round.event("doctor", Role::Doctor, Action::Print, Some(p), jst(0, 8, 30) + Duration::seconds(i as i64));
    }
    assert!(round.alerts().is_empty(), "{:?}", round.alerts());
}

#[test]
fn refusals_again_and_again_fire_and_one_wrong_click_does_not() {
    let mut clinic = Clinic::new();
    clinic.event("reception", Role::Reception, Action::Denied, Some("p1"), jst(0, 10, 0));
    assert!(clinic.alerts().is_empty());
    for minute in [5, 9, 20] {
        clinic.event("reception", Role::Reception, Action::Denied, Some("p2"), jst(0, 10, minute));
    }
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::RepeatedRefusals]);
    assert_eq!(alerts[0].events.len(), 4);
}

#[test]
fn failed_logins_then_a_success_fire_and_a_typo_or_a_locked_out_guesser_do_not() {
    let failures = |clinic: &mut Clinic, count: u32| {
        for i in 0..count {
            clinic.event("reception", Role::Reception, Action::LoginFailed, None, jst(0, 12, i));
            if let Some(last) = clinic.events.last_mut() {
                last.subject = Some("doctor".into());
                last.outcome = Outcome::Denied;
            }
        }
    };
    let mut typo = Clinic::new();
    failures(&mut typo, 2);
    typo.event("doctor", Role::Doctor, Action::Login, None, jst(0, 12, 5));
    assert!(typo.alerts().is_empty());
    let mut stopped = Clinic::new();
    failures(&mut stopped, 8);
    assert!(stopped.alerts().is_empty(), "no success, no alert (the lockout stopped it)");
    let mut guessed = Clinic::new();
    failures(&mut guessed, 6);
    guessed.event("doctor", Role::Doctor, Action::Login, None, jst(0, 12, 20));
    let alerts = guessed.alerts();
    assert_eq!(rules(&alerts), [Rule::FailedLoginBurst]);
    assert_eq!(alerts[0].user, "doctor", "about the account that was tried");
    assert_eq!(alerts[0].events.len(), 7);
}

#[test]
fn a_colleagues_device_or_a_strange_hour_fires_and_a_new_laptop_or_an_on_call_login_does_not() {
    let login = |clinic: &mut Clinic, user: &str, role, device: &str, at| {
        clinic.event(user, role, Action::Login, None, at);
        if let Some(last) = clinic.events.last_mut() {
            last.device = device.into();
        }
    };
    let mut clinic = Clinic::new();
    for day in 0..8 {
        login(&mut clinic, "reception", Role::Reception, "desk", jst(day, 9, 0));
        login(&mut clinic, "doctor", Role::Doctor, "doctor-pc", jst(day, 9, 5));
    }
    // A brand-new laptop, first used by the doctor; the on-call doctor at 2 a.m.
    login(&mut clinic, "doctor", Role::Doctor, "new-laptop", jst(8, 10, 0));
    clinic.context.roster.push(Shift {
        user: "doctor".into(),
        kind: ShiftKind::OnCall,
        from: jst(8, 18, 0),
        to: jst(9, 9, 0),
        covers: None,
    });
    login(&mut clinic, "doctor", Role::Doctor, "doctor-pc", jst(9, 2, 0));
    assert!(clinic.alerts().is_empty(), "{:?}", clinic.alerts());
    // The receptionist on the doctor's computer, at 22:00.
    login(&mut clinic, "reception", Role::Reception, "doctor-pc", jst(9, 22, 0));
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::NewDeviceOrHour]);
    assert_eq!(alerts[0].user, "reception");
}

#[test]
fn every_break_the_glass_is_raised_without_the_typed_reason() {
    let mut clinic = Clinic::new();
    clinic.event("reception", Role::Reception, Action::BreakGlass, Some("p3"), jst(0, 19, 0));
    let alerts = clinic.alerts();
    assert_eq!(rules(&alerts), [Rule::BreakGlass]);
    assert_eq!(alerts[0].patients, ["p3"]);
    let json = serde_json::to_string(&alerts[0]).expect("json");
    for key in [
        "\"rule\":\"break_glass\"",
        "\"user\"",
        "\"patients\"",
        "\"events\"",
        "\"from\"",
        "\"to\"",
        "\"severity\"",
        "\"ja\"",
        "\"en\"",
    ] {
        assert!(json.contains(key), "{key} missing: {json}");
    }
}
