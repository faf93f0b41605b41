//! Three weeks of ordinary work, every access with the relationship that explains it in the
//! context: appointments (a flu-vaccine day among them), check-in, vitals and consultation,
//! bookings, follow-ups, lab batches, home-visit rounds with their printed lists and evening
//! notes, night on-call with calls from established patients, a colleague's week covered,
//! searches, typos at login and the odd wrong click.

use chrono::{Datelike, Duration, Weekday};

use super::clinic::{at, day, member, patient_id, DAYS, HOLIDAY, QUIET_FROM};
use super::Log;
use crate::context::{Appointment, Context, HomeVisitList, LabResult, Shift, ShiftKind, VisitKind};
use crate::event::{Action, Role};

/// The flu-vaccine day (a Thursday).
const FLU_DAY: i64 = 3;
/// d1 is away this week; d3 covers his patients.
const AWAY: std::ops::Range<i64> = 7..13;

fn weekday(d: i64) -> Weekday {
    day(d).weekday()
}

fn open(d: i64) -> bool {
    d != HOLIDAY && weekday(d) != Weekday::Sun
}

/// Who works on day `d`.
fn working(d: i64) -> Vec<&'static str> {
    let mut staff = vec!["r1", "r2", "n1", "n2"];
    let half_day = weekday(d) == Weekday::Sat;
    if !AWAY.contains(&d) {
        staff.push("d1");
    }
    if !half_day {
        staff.push("d2");
    }
    if AWAY.contains(&d) || matches!(weekday(d), Weekday::Mon | Weekday::Wed | Weekday::Fri) {
        staff.push("d3");
    }
    staff
}

pub(crate) fn run(log: &mut Log, context: &mut Context) {
    context.roster.push(Shift {
        user: "d3".into(),
        kind: ShiftKind::Cover,
        from: at(AWAY.start, 0, 0),
        to: at(AWAY.end, 0, 0),
        covers: Some("d1".into()),
    });
    let mut visits: Vec<(i64, String, Option<&'static str>)> = Vec::new();
    // First every appointment of the three weeks (bookings look ahead).
    for d in (0..DAYS).filter(|&d| open(d)) {
        let staff = working(d);
        let doctors: Vec<&str> = staff.iter().copied().filter(|u| u.starts_with('d')).collect();
        let count = match (d, weekday(d)) {
            (FLU_DAY, _) => 150,
            (_, Weekday::Sat) => log.rng.range(12, 18),
            _ => log.rng.range(25, 45),
        };
        for n in 0..count {
            let patient = patient_id(log.rng.index(QUIET_FROM));
            let clinician = if d == FLU_DAY { None } else { Some(*log.rng.pick(&doctors)) };
            let minutes = u32::try_from(n * if weekday(d) == Weekday::Sat { 12 } else { 8 } % 480).unwrap_or(0);
            context.appointments.push(Appointment {
                patient: patient.clone(),
                at: at(d, 9, 0) + Duration::minutes(i64::from(minutes)),
                kind: VisitKind::Outpatient,
                clinician: clinician.map(Into::into),
            });
            visits.push((d, patient, clinician));
        }
    }
    for d in 0..DAYS {
        if open(d) {
            workday(log, context, d, &visits);
        }
        on_call_night(log, context, d);
    }
}

fn login(log: &mut Log, user: &str, device: &str, d: i64, hour: u32, minute: u32) {
    let role = member(user).role;
    if log.rng.chance(0.04) {
        // A typo or two first: the failure is recorded with the account tried.
        for i in 0..log.rng.range(1, 2) {
            log.push(
                user,
                role,
                device,
                Action::LoginFailed,
                None,
                at(d, hour, minute) - Duration::seconds(40 - i * 15),
            );
            if let Some(last) = log.events.last_mut() {
                last.subject = Some(user.into());
            }
        }
    }
    log.push(user, role, device, Action::Login, None, at(d, hour, minute));
}

fn workday(log: &mut Log, context: &mut Context, d: i64, visits: &[(i64, String, Option<&'static str>)]) {
    let staff = working(d);
    for user in &staff {
        let minute = u32::try_from(log.rng.range(0, 25)).unwrap_or(0);
        login(log, user, member(user).device, d, 8, 40 + minute % 20);
    }
    if log.rng.chance(0.3) {
        log.push("admin", Role::Admin, "office", Action::Login, None, at(d, 9, 30));
    }
    let desk = ["r1", "r2"];
    let nurses = ["n1", "n2"];
    for (v, patient, clinician) in visits.iter().filter(|(vd, _, _)| *vd == d) {
        let when = context
            .appointments
            .iter()
            .find(|a| &a.patient == patient && context.clinic.local_date(a.at) == day(*v))
            .map_or(at(d, 10, 0), |a| a.at);
        let r = *log.rng.pick(&desk);
        log.push(r, Role::Reception, member(r).device, Action::Read, Some(patient), when - Duration::minutes(3));
        log.push(r, Role::Reception, member(r).device, Action::Write, Some(patient), when - Duration::minutes(2));
        if log.rng.chance(0.6) || clinician.is_none() {
            let n = *log.rng.pick(&nurses);
            log.push(n, Role::Nurse, "nurse-pc", Action::Read, Some(patient), when + Duration::minutes(4));
            log.push(n, Role::Nurse, "nurse-pc", Action::Write, Some(patient), when + Duration::minutes(6));
        }
        if let Some(doctor) = clinician {
            let device = member(doctor).device;
            log.push(doctor, Role::Doctor, device, Action::Read, Some(patient), when + Duration::minutes(10));
            log.push(doctor, Role::Doctor, device, Action::Write, Some(patient), when + Duration::minutes(18));
            log.push(doctor, Role::Doctor, device, Action::Sign, Some(patient), when + Duration::minutes(20));
        }
    }
    // Bookings and reminder calls for the coming week.
    let coming: Vec<&String> = visits.iter().filter(|(vd, _, _)| *vd > d && *vd <= d + 7).map(|(_, p, _)| p).collect();
    for i in 0..12.min(coming.len()) {
        let r = *log.rng.pick(&desk);
        let patient = coming[log.rng.index(coming.len())];
        log.push(
            r,
            Role::Reception,
            member(r).device,
            Action::Read,
            Some(patient),
            at(d, 12, 0) + Duration::minutes(i as i64 * 7),
        );
    }
    // Searches, many listing common surnames: lists, not charts.
    for i in 0..20 {
        let r = *log.rng.pick(&desk);
        log.push(r, Role::Reception, member(r).device, Action::Search, None, at(d, 9, 5) + Duration::minutes(i * 17));
    }
    // The odd wrong click.
    for r in desk {
        if log.rng.chance(0.15) {
            let patient = patient_id(log.rng.index(QUIET_FROM));
            log.push(r, Role::Reception, member(r).device, Action::Denied, Some(&patient), at(d, 11, 30));
        }
    }
    search_slips(log, context, d, visits);
    letters(log, context, d, visits);
    follow_ups(log, context, d, visits);
    if matches!(weekday(d), Weekday::Tue | Weekday::Fri) {
        lab_batch(log, context, d, visits);
    }
    if matches!(weekday(d), Weekday::Tue | Weekday::Thu) {
        home_visits(log, context, d);
    }
}

/// Now and then the desk picks the wrong 鈴木 from a search list and opens the right one a few
/// seconds later (a look-alike the detector must forgive).
fn search_slips(log: &mut Log, context: &Context, d: i64, visits: &[(i64, String, Option<&'static str>)]) {
    if !log.rng.chance(0.4) {
        return;
    }
    let today: Vec<&String> = visits.iter().filter(|(vd, _, _)| *vd == d).map(|(_, p, _)| p).collect();
    if today.is_empty() {
        return;
    }
    let meant = today[log.rng.index(today.len())].clone();
    let Some(surname) = context.patient(&meant).map(|p| p.surname.clone()) else { return };
    let seen: Vec<&String> = visits.iter().filter(|(vd, _, _)| (*vd - d).abs() <= 7).map(|(_, p, _)| p).collect();
    let wrong = context.patients[..QUIET_FROM]
        .iter()
        .find(|p| p.surname == surname && p.id != meant && !seen.contains(&&p.id))
        .map(|p| p.id.clone());
    let Some(wrong) = wrong else { return };
    let r = *log.rng.pick(&["r1", "r2"]);
    let when = at(d, 11, 0) + Duration::minutes(log.rng.range(0, 120));
    log.push(r, Role::Reception, member(r).device, Action::Read, Some(&wrong), when);
    log.push(r, Role::Reception, member(r).device, Action::Read, Some(&meant), when + Duration::seconds(25));
}

/// Once in a while a doctor opens the chart of a patient not seen for weeks to write a letter a
/// family asked for by phone: legitimate, and nothing in the data explains it (the detector's
/// honest false alarms).
fn letters(log: &mut Log, context: &Context, d: i64, visits: &[(i64, String, Option<&'static str>)]) {
    if !log.rng.chance(0.05) {
        return;
    }
    let doctors: Vec<&str> = working(d).into_iter().filter(|u| u.starts_with('d')).collect();
    if doctors.is_empty() {
        return;
    }
    let doctor = *log.rng.pick(&doctors);
    let recent: Vec<&String> = visits.iter().filter(|(vd, _, _)| (*vd - d).abs() <= 14).map(|(_, p, _)| p).collect();
    let old =
        context.patients[..QUIET_FROM].iter().map(|p| &p.id).find(|id| !recent.contains(id) && log.rng.chance(0.02));
    if let Some(patient) = old.cloned() {
        log.push(doctor, Role::Doctor, member(doctor).device, Action::Read, Some(&patient), at(d, 17, 30));
    }
}

/// Each doctor reads a few of their own patients seen in the last fortnight (letters, results);
/// the covering doctor reads the absent colleague's.
fn follow_ups(log: &mut Log, _context: &Context, d: i64, visits: &[(i64, String, Option<&'static str>)]) {
    for doctor in working(d).into_iter().filter(|u| u.starts_with('d')) {
        let mut own: Vec<&String> = visits
            .iter()
            .filter(|(vd, _, c)| {
                *vd < d
                    && d - *vd <= 14
                    && (*c == Some(doctor) || (doctor == "d3" && AWAY.contains(&d) && *c == Some("d1")))
            })
            .map(|(_, p, _)| p)
            .collect();
        own.dedup();
        for i in 0..5.min(own.len()) {
            let patient = own[log.rng.index(own.len())];
            log.push(
                doctor,
                Role::Doctor,
                member(doctor).device,
                Action::Read,
                Some(patient),
                at(d, 16, 0) + Duration::minutes(i as i64 * 6),
            );
        }
    }
}

/// Results arrive in the morning for patients seen in the last fortnight; their doctor (or the
/// one covering) reads them in the afternoon.
fn lab_batch(log: &mut Log, context: &mut Context, d: i64, visits: &[(i64, String, Option<&'static str>)]) {
    let recent: Vec<(&String, &str)> = visits
        .iter()
        .filter(|(vd, _, c)| *vd < d && d - *vd <= 14 && c.is_some())
        .filter_map(|(_, p, c)| c.map(|c| (p, c)))
        .collect();
    let batch = usize::try_from(log.rng.range(20, 40)).unwrap_or(20).min(recent.len());
    let on_duty = working(d);
    for i in 0..batch {
        let (patient, ordered_by) = recent[log.rng.index(recent.len())];
        context.lab_results.push(LabResult {
            patient: patient.clone(),
            arrived_at: at(d, 8, 0),
            ordered_by: Some(ordered_by.into()),
        });
        let reader = if on_duty.contains(&ordered_by) { ordered_by } else { "d3" };
        if on_duty.contains(&reader) {
            log.push(
                reader,
                Role::Doctor,
                member(reader).device,
                Action::Read,
                Some(patient),
                at(d, 13, 0) + Duration::minutes(i as i64 * 4),
            );
        }
    }
}

/// A home-visit round: the list printed in the morning, charts read on the round on the laptop,
/// notes written in the evening (after hours: the list explains them).
fn home_visits(log: &mut Log, context: &mut Context, d: i64) {
    let doctor = if AWAY.contains(&d) { "d3" } else { "d1" };
    let patients: Vec<String> = (0..log.rng.range(6, 8)).map(|_| patient_id(log.rng.index(QUIET_FROM))).collect();
    context.home_visit_lists.push(HomeVisitList { date: day(d), user: doctor.into(), patients: patients.clone() });
    context.home_visit_lists.push(HomeVisitList { date: day(d), user: "n1".into(), patients: patients.clone() });
    login(log, doctor, "visit-laptop", d, 8, 20);
    for (i, patient) in patients.iter().enumerate() {
        let i = i as i64;
        log.push(
            doctor,
            Role::Doctor,
            "visit-laptop",
            Action::Print,
            Some(patient),
            at(d, 8, 25) + Duration::seconds(i * 10),
        );
        log.push(
            doctor,
            Role::Doctor,
            "visit-laptop",
            Action::Read,
            Some(patient),
            at(d, 13, 0) + Duration::minutes(i * 30),
        );
        log.push("n1", Role::Nurse, "nurse-pc", Action::Read, Some(patient), at(d, 12, 30) + Duration::minutes(i * 5));
        log.push(
            doctor,
            Role::Doctor,
            "visit-laptop",
            Action::Write,
            Some(patient),
            at(d, 19, 0) + Duration::minutes(i * 10),
        );
    }
}

/// The night's on-call doctor; now and then an established patient phones.
fn on_call_night(log: &mut Log, context: &mut Context, d: i64) {
    let rota = ["d1", "d2", "d3"];
    let mut doctor = rota[usize::try_from(d).unwrap_or(0) % 3];
    if AWAY.contains(&d) && doctor == "d1" {
        doctor = "d3";
    }
    context.roster.push(Shift {
        user: doctor.into(),
        kind: ShiftKind::OnCall,
        from: at(d, 18, 0),
        to: at(d + 1, 9, 0),
        covers: None,
    });
    if log.rng.chance(0.35) {
        let hour = u32::try_from(log.rng.range(22, 26) % 24).unwrap_or(23);
        let night = if hour < 12 { d + 1 } else { d };
        let minute = u32::try_from(log.rng.range(0, 50)).unwrap_or(0);
        login(log, doctor, member(doctor).device, night, hour, minute);
        let patient = patient_id(log.rng.index(QUIET_FROM));
        log.push(
            doctor,
            Role::Doctor,
            member(doctor).device,
            Action::Read,
            Some(&patient),
            at(night, hour, minute + 3),
        );
        log.push(
            doctor,
            Role::Doctor,
            member(doctor).device,
            Action::Write,
            Some(&patient),
            at(night, hour, minute + 9),
        );
    }
}
