//! The demo clinic's last month at the desk and in the consulting room, as its audit log
//! shows them: the receptionist opening each visiting patient's registration at the desk, the
//! doctor the chart during the visit — every one explained by the visit — and a few planted
//! cases of misuse for a newcomer to find on the administrator's alert screen:
//!
//! 1. the nurse opens the chart of a patient who shares her surname (佐藤), with no visit;
//! 2. the nurse opens the chart of a neighbour from her own town and block;
//! 3. the receptionist opens three charts at 22:15 on a weekday evening;
//! 4. the receptionist opens a public figure's chart with no appointment;
//! 5. the doctor exports six charts of patients he has not seen, within forty minutes;
//! 6. six failed logins to the receptionist's account, then one that succeeds.
//!
//! Invented people, invented days: nothing here comes from a real clinic.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use uuid::Uuid;

use super::history::Authored;
use crate::audit::{Action, NewEvent};
use crate::changelog::{ChangeBody, ClinicalBody, OpenBody};
use crate::clinic::japan_time;
use crate::domain::{Patient, Role, SensitiveKind};
use crate::policy::Section;

/// The demo nurse's profile (an administrator's entry): surname and home town and block.
pub const NURSE_SURNAME: (&str, &str) = ("佐藤", "サトウ");
pub const NURSE_TOWN: &str = "東京都世田谷区三軒茶屋";
pub const NURSE_BLOCK: &str = "2";

/// Audit events one demo user made at one moment.
pub(crate) struct Batch {
    pub user: &'static str,
    pub role: Role,
    pub at: DateTime<Utc>,
    pub events: Vec<NewEvent>,
}

/// What the planted cases choose from: every patient with the times something explains a look
/// at their chart (a visit, an appointment, a lab result), and the visits of the last month.
pub(super) struct Patients {
    pub all: Vec<Known>,
    pub visits: Vec<(Uuid, DateTime<Utc>)>,
    activity: HashMap<Uuid, Vec<DateTime<Utc>>>,
}

impl Patients {
    pub fn new() -> Self {
        Self { all: Vec::new(), visits: Vec::new(), activity: HashMap::new() }
    }

    /// Notes the patient and what their history, written for them, explains.
    pub fn note(&mut self, patient: &Patient, written: &[Authored], now: DateTime<Utc>) {
        self.all.push(Known {
            id: patient.id,
            family_name: patient.family_name.clone(),
            address: patient.address.clone(),
            sensitive: patient.sensitive,
            sensitive_kind: patient.sensitive_kind,
        });
        for (_, body) in written {
            let at = match body {
                ChangeBody::Open(OpenBody::EncounterOpened(visit)) => {
                    if visit.started_at > now - Duration::days(30) && visit.started_at <= now {
                        self.visits.push((visit.patient_id, visit.started_at));
                    }
                    visit.started_at
                }
                ChangeBody::Clinical(ClinicalBody::LabReported(lab)) => lab.collected_at,
                ChangeBody::Open(OpenBody::AppointmentSaved(booking)) => booking.scheduled_at,
                _ => continue,
            };
            self.activity.entry(patient.id).or_default().push(at);
        }
    }

    /// Notes a booking of `patient` made after their history (today's).
    pub fn booked(&mut self, patient: Uuid, at: DateTime<Utc>) {
        self.activity.entry(patient).or_default().push(at);
    }

    /// Whether nothing explains a look at `patient`'s chart at `at`: no visit, appointment or
    /// lab result from two weeks before to a week after (the detector's windows, with a day
    /// to spare).
    fn unexplained_at(&self, patient: Uuid, at: DateTime<Utc>) -> bool {
        self.activity
            .get(&patient)
            .is_none_or(|times| times.iter().all(|t| *t < at - Duration::days(16) || *t > at + Duration::days(9)))
    }
}

/// What the planted cases look at in a patient.
pub(super) struct Known {
    id: Uuid,
    family_name: String,
    address: String,
    sensitive: bool,
    sensitive_kind: Option<SensitiveKind>,
}

/// Makes a few patients what the planted cases look for — a 佐藤, a neighbour of the nurse, a
/// public figure — spread through the clinic, so every seed has candidates without a visit.
pub(super) fn make_candidate(patient: &mut Patient, n: u32) {
    match n % 40 {
        3 => (patient.family_name, patient.family_kana) = (NURSE_SURNAME.0.into(), NURSE_SURNAME.1.into()),
        13 => patient.address = format!("{NURSE_TOWN}{NURSE_BLOCK}-{}-{}", n % 20 + 1, n % 9 + 1),
        23 => {
            patient.sensitive = true;
            patient.sensitive_kind = Some(SensitiveKind::PublicFigure);
        }
        _ => {}
    }
}

/// The everyday accesses and the planted cases, oldest first.
pub(crate) fn generate(patients: &Patients, now: DateTime<Utc>) -> Vec<Batch> {
    let mut batches = everyday(patients);
    batches.extend(planted(patients, now));
    batches.sort_by_key(|b| b.at);
    batches
}

fn read(section: Section, patient: Uuid) -> NewEvent {
    NewEvent::allowed(Action::Read, Some(section), Some(patient))
}

fn everyday(patients: &Patients) -> Vec<Batch> {
    let mut batches = Vec::new();
    for (patient, at) in &patients.visits {
        batches.push(Batch {
            user: "reception",
            role: Role::Reception,
            at: *at - Duration::minutes(3),
            events: vec![read(Section::Demographics, *patient)],
        });
        batches.push(Batch {
            user: "doctor",
            role: Role::Doctor,
            at: *at + Duration::minutes(6),
            events: vec![read(Section::Notes, *patient)],
        });
    }
    batches
}

/// A weekday at least `days` before `now`, at `hour:minute` Japan time.
fn weekday_at(now: DateTime<Utc>, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let mut day = (now - Duration::days(days)).with_timezone(&japan_time()).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default();
    japan_time().from_local_datetime(&day.and_time(time)).single().map_or(now, |t| t.with_timezone(&Utc))
}

fn planted(patients: &Patients, now: DateTime<Utc>) -> Vec<Batch> {
    let mut picked: HashSet<Uuid> = HashSet::new();
    // A patient `wanted` whose chart nothing explains at `at`, not picked before.
    let mut pick = |at: DateTime<Utc>, wanted: &dyn Fn(&Known) -> bool| -> Option<Uuid> {
        let found =
            patients.all.iter().find(|p| !picked.contains(&p.id) && wanted(p) && patients.unexplained_at(p.id, at))?;
        picked.insert(found.id);
        Some(found.id)
    };
    let mut batches = Vec::new();
    let nurse =
        |at, patient| Batch { user: "nurse", role: Role::Nurse, at, events: vec![read(Section::Vitals, patient)] };
    {
        // The first weekday, from `days` back, at `hour:minute`, when a patient `wanted` is
        // unexplained (regular patients come monthly: the day moves until one's chart is quiet).
        let mut pick_day = |days: i64, hour, minute, wanted: &dyn Fn(&Known) -> bool| {
            (days..days + 21).find_map(|back| {
                let at = weekday_at(now, back, hour, minute);
                pick(at, wanted).map(|patient| (at, patient))
            })
        };
        if let Some((at, relative)) = pick_day(3, 12, 10, &|p| p.family_name == NURSE_SURNAME.0) {
            batches.push(nurse(at, relative));
        }
        let neighbour = pick_day(2, 12, 40, &|p| {
            p.family_name != NURSE_SURNAME.0
                && p.address.strip_prefix(NURSE_TOWN).is_some_and(|rest| rest.starts_with(&format!("{NURSE_BLOCK}-")))
        });
        if let Some((at, neighbour)) = neighbour {
            batches.push(nurse(at, neighbour));
        }
        if let Some((at, figure)) = pick_day(1, 11, 5, &|p| p.sensitive_kind == Some(SensitiveKind::PublicFigure)) {
            batches.push(Batch {
                user: "reception",
                role: Role::Reception,
                at,
                events: vec![read(Section::Demographics, figure)],
            });
        }
    }
    let evening = weekday_at(now, 4, 22, 15);
    for minute in 0..3 {
        if let Some(patient) = pick(evening, &|p| !p.sensitive) {
            batches.push(Batch {
                user: "reception",
                role: Role::Reception,
                at: evening + Duration::minutes(minute * 2),
                events: vec![read(Section::Demographics, patient)],
            });
        }
    }
    let export = weekday_at(now, 5, 15, 20);
    for n in 0..6 {
        if let Some(patient) = pick(export, &|p| !p.sensitive) {
            batches.push(Batch {
                user: "doctor",
                role: Role::Doctor,
                at: export + Duration::minutes(n * 7),
                events: vec![NewEvent::allowed(Action::Export, Some(Section::Notes), Some(patient))],
            });
        }
    }
    let guessed = weekday_at(now, 6, 8, 41);
    for n in 0..6 {
        let mut failed = NewEvent::allowed(Action::LoginFailed, None, None);
        failed.outcome = crate::audit::Outcome::Denied;
        failed.subject = Some("reception".into());
        batches.push(Batch {
            user: "reception",
            role: Role::Reception,
            at: guessed + Duration::seconds(n * 20),
            events: vec![failed],
        });
    }
    batches.push(Batch {
        user: "reception",
        role: Role::Reception,
        at: guessed + Duration::minutes(3),
        events: vec![NewEvent::allowed(Action::Login, None, None)],
    });
    batches
}
