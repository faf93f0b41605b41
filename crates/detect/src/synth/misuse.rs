//! The labelled misuse planted into the three weeks, of varying subtlety, each with the rule that
//! should catch it. The charts they open are quiet patients (no visit, list or result), so
//! nothing in the clinic's data explains them.

use chrono::Duration;

use super::clinic::{at, member, patient_id, DAYS, PATIENTS, QUIET_FROM, SURNAMES, TOWNS};
use super::{Case, Log};
use crate::alert::Rule;
use crate::context::{Context, SensitiveKind};
use crate::event::{Action, Role};

/// Quiet patients handed out one at a time, never twice.
struct Quiet {
    next: usize,
}

impl Quiet {
    /// The next quiet patient that is nobody's own or family chart, not sensitive, and shares
    /// neither surname nor neighbourhood with `user` (those are other rules' cases).
    fn take(&mut self, context: &Context, user: &str) -> String {
        let staff = context.staff(user);
        loop {
            let id = patient_id(self.next);
            self.next += 1;
            let Some(p) = context.patient(&id) else { return id };
            let kin = staff.is_some_and(|s| s.surname.as_deref() == Some(p.surname.as_str()));
            let neighbour = staff.is_some_and(|s| {
                s.home_town.as_deref() == Some(p.town.as_str()) && s.home_block.as_deref() == Some(p.block.as_str())
            });
            if p.sensitive.is_none() && p.staff_links.is_empty() && !kin && !neighbour {
                return id;
            }
        }
    }
}

/// A weekday of the last two weeks (after every account's first week), not the holiday.
fn weekday(log: &mut Log) -> i64 {
    loop {
        let d = log.rng.range(8, DAYS - 2);
        let date = super::clinic::day(d);
        let weekend = matches!(chrono::Datelike::weekday(&date), chrono::Weekday::Sat | chrono::Weekday::Sun);
        if !weekend && d != super::clinic::HOLIDAY {
            return d;
        }
    }
}

pub(crate) fn plant(log: &mut Log, context: &mut Context) -> Vec<Case> {
    let mut quiet = Quiet { next: QUIET_FROM };
    let mut cases = Vec::new();
    let mut case =
        |rule, user: &str, events: Vec<String>, subtle| cases.push(Case { rule, user: user.into(), events, subtle });
    let opens = |log: &mut Log, user: &str, patient: &str, when| {
        let m = member(user);
        log.push(user, m.role, m.device, Action::Read, Some(patient), when)
    };

    // One chart with no relationship, mid-morning: the subtlest.
    let d = weekday(log);
    let p = quiet.take(context, "n1");
    case(Rule::NoRelationship, "n1", vec![opens(log, "n1", &p, at(d, 11, 5))], true);
    // A doctor browsing three charts in the afternoon.
    let d = weekday(log);
    let events = (0..3)
        .map(|i| {
            let p = quiet.take(context, "d2");
            opens(log, "d2", &p, at(d, 15, 10 + i * 4))
        })
        .collect();
    case(Rule::NoRelationship, "d2", events, false);

    // The receptionist 佐藤 looks up a 佐藤 who is not coming in.
    let d = weekday(log);
    let p = quiet.take(context, "r1");
    if let Some(patient) = context.patients.iter_mut().find(|x| x.id == p) {
        patient.surname = SURNAMES[member("r1").surname].0.into();
        patient.surname_kana = SURNAMES[member("r1").surname].1.into();
    }
    case(Rule::SameSurname, "r1", vec![opens(log, "r1", &p, at(d, 10, 40))], true);

    // The nurse opens her neighbour's chart.
    let d = weekday(log);
    let p = quiet.take(context, "n1");
    if let Some(patient) = context.patients.iter_mut().find(|x| x.id == p) {
        patient.town = TOWNS[member("n1").town].into();
        patient.block = member("n1").block.to_string();
        patient.surname = SURNAMES[19].0.into();
        patient.surname_kana = SURNAMES[19].1.into();
    }
    case(Rule::SameNeighbourhood, "n1", vec![opens(log, "n1", &p, at(d, 14, 20))], true);

    // The subtlest: a nurse looks her neighbour up in the morning; the neighbour is coming in
    // that afternoon, so the visit explains the look. The detector cannot tell (a labelled miss).
    let d = weekday(log);
    let coming = context
        .appointments
        .iter()
        .filter(|a| context.clinic.local_date(a.at) == super::clinic::day(d))
        .map(|a| a.patient.clone())
        .next();
    if let Some(p) = coming {
        if let Some(patient) = context.patients.iter_mut().find(|x| x.id == p) {
            patient.town = TOWNS[member("n2").town].into();
            patient.block = member("n2").block.to_string();
        }
        case(Rule::SameNeighbourhood, "n2", vec![opens(log, "n2", &p, at(d, 8, 50))], true);
    }

    // A doctor reads his family member's chart.
    let family = context
        .patients
        .iter()
        .find(|x| x.staff_links.iter().any(|l| l.staff == "d2") && x.sensitive == Some(SensitiveKind::StaffFamily))
        .map(|x| x.id.clone())
        .unwrap_or_else(|| patient_id(PATIENTS - 1));
    let d = weekday(log);
    case(Rule::OwnOrFamily, "d2", vec![opens(log, "d2", &family, at(d, 12, 15))], false);

    // The front desk looks up a public figure.
    let figure = context
        .patients
        .iter()
        .find(|x| x.sensitive == Some(SensitiveKind::PublicFigure))
        .map(|x| x.id.clone())
        .unwrap_or_else(|| patient_id(PATIENTS - 1));
    let d = weekday(log);
    case(Rule::Sensitive, "r2", vec![opens(log, "r2", &figure, at(d, 16, 50))], false);

    // Late at night, with no shift (not on the leaver's last day: that day is the volume case's).
    let mut d = weekday(log);
    while d == DAYS - 3 {
        d = weekday(log);
    }
    let login = log.push("n2", Role::Nurse, "nurse-pc", Action::Login, None, at(d, 22, 25));
    let mut events = vec![login];
    for i in 0..2 {
        let p = quiet.take(context, "n2");
        events.push(opens(log, "n2", &p, at(d, 22, 30 + i * 5)));
    }
    // The login at a strange hour is the new-hour rule's: the charts are the off-hours case.
    case(Rule::OffHours, "n2", events[1..].to_vec(), false);
    case(Rule::NewDeviceOrHour, "n2", vec![events[0].clone()], true);

    // The leaver's last day: her usual work, then 120 charts that nothing explains.
    let last = DAYS - 3;
    let events = (0..120)
        .map(|i| {
            let p = quiet.take(context, "n2");
            opens(log, "n2", &p, at(last, 13, 0) + Duration::seconds(i * 40))
        })
        .collect();
    case(Rule::Volume, "n2", events, false);

    // A bulk print at the end of the day.
    let d = weekday(log);
    let events = (0..25)
        .map(|i| {
            let p = quiet.take(context, "r2");
            log.push(
                "r2",
                Role::Reception,
                "desk-2",
                Action::Print,
                Some(&p),
                at(d, 17, 20) + Duration::seconds(i * 20),
            )
        })
        .collect();
    case(Rule::BulkExport, "r2", events, false);

    // Trying what the role does not allow, again and again.
    let d = weekday(log);
    let events = (0..4)
        .map(|i| {
            let p = quiet.take(context, "r1");
            log.push("r1", Role::Reception, "desk-1", Action::Denied, Some(&p), at(d, 15, 0) + Duration::minutes(i * 9))
        })
        .collect();
    case(Rule::RepeatedRefusals, "r1", events, false);

    // Someone at the desk guesses the doctor's password, then gets in.
    let d = weekday(log);
    let mut events: Vec<String> = (0..7)
        .map(|i| {
            let id = log.push(
                "r1",
                Role::Reception,
                "desk-1",
                Action::LoginFailed,
                None,
                at(d, 12, 40) + Duration::seconds(i * 45),
            );
            if let Some(last) = log.events.last_mut() {
                last.subject = Some("d2".into());
            }
            id
        })
        .collect();
    events.push(log.push("d2", Role::Doctor, "desk-1", Action::Login, None, at(d, 12, 47)));
    case(Rule::FailedLoginBurst, "d2", events, false);

    // The receptionist on a doctor's computer in the evening.
    let d = weekday(log);
    let login = log.push("r2", Role::Reception, "exam-2", Action::Login, None, at(d, 20, 45));
    case(Rule::NewDeviceOrHour, "r2", vec![login], false);

    // Break-the-glass.
    let d = weekday(log);
    let p = quiet.take(context, "r1");
    let glass = log.push("r1", Role::Reception, "desk-1", Action::BreakGlass, Some(&p), at(d, 18, 10));
    case(Rule::BreakGlass, "r1", vec![glass], false);
    cases
}
