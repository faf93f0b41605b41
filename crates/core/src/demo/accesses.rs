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

use std::collections::HashSet;

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

/// What the planted cases choose from: every patient, with whether the last two weeks (or
/// today's bookings) give them a visit.
pub(super) struct Patients {
    pub all: Vec<Known>,
    pub visits: Vec<(Uuid, DateTime<Utc>)>,
    /// Patients with an appointment or a lab result near now (which explains a look at their chart).
    pub booked: HashSet<Uuid>,
}

impl Patients {
    pub fn new() -> Self {
        Self { all: Vec::new(), visits: Vec::new(), booked: HashSet::new() }
    }

    /// Notes the patient and the visits among their history written for them.
    pub fn note(&mut self, patient: &Patient, written: &[Authored], now: DateTime<Utc>) {
        self.all.push(Known {
            id: patient.id,
            family_name: patient.family_name.clone(),
            address: patient.address.clone(),
            sensitive: patient.sensitive,
            sensitive_kind: patient.sensitive_kind,
        });
        for (_, body) in written {
            match body {
                ChangeBody::Open(OpenBody::EncounterOpened(visit))
                    if visit.started_at > now - Duration::days(30) && visit.started_at <= now =>
                {
                    self.visits.push((visit.patient_id, visit.started_at));
                }
                // A recent lab result explains a clinician's look too.
                ChangeBody::Clinical(ClinicalBody::LabReported(lab)) if lab.collected_at > now - Duration::days(30) => {
                    self.booked.insert(lab.patient_id);
                }
                ChangeBody::Open(OpenBody::AppointmentSaved(booking))
                    if booking.scheduled_at > now - Duration::days(30) && booking.scheduled_at < now + Duration::days(9) =>
                {
                    self.booked.insert(booking.patient_id);
                }
                _ => {}
            }
        }
    }

    /// Notes today's booking of `patient` (made after their history).
    pub fn booked_today(&mut self, patient: Uuid) {
        self.booked.insert(patient);
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
    let mut seen: HashSet<Uuid> = patients.visits.iter().map(|(p, _)| *p).collect();
    seen.extend(patients.booked.iter().copied());
    let mut picked: HashSet<Uuid> = HashSet::new();
    let mut pick = |wanted: &dyn Fn(&Known) -> bool| -> Option<Uuid> {
        let found = patients.all.iter().find(|p| !seen.contains(&p.id) && !picked.contains(&p.id) && wanted(p))?;
        picked.insert(found.id);
        Some(found.id)
    };
    let mut batches = Vec::new();
    let nurse = |at, patient| Batch { user: "nurse", role: Role::Nurse, at, events: vec![read(Section::Vitals, patient)] };
    if let Some(relative) = pick(&|p| p.family_name == NURSE_SURNAME.0) {
        batches.push(nurse(weekday_at(now, 3, 12, 10), relative));
    }
    let neighbour = pick(&|p| {
        p.family_name != NURSE_SURNAME.0
            && p.address.strip_prefix(NURSE_TOWN).is_some_and(|rest| rest.starts_with(&format!("{NURSE_BLOCK}-")))
    });
    if let Some(neighbour) = neighbour {
        batches.push(nurse(weekday_at(now, 2, 12, 40), neighbour));
    }
    let evening = weekday_at(now, 4, 22, 15);
    for minute in 0..3 {
        if let Some(patient) = pick(&|p| !p.sensitive) {
            batches.push(Batch {
                user: "reception",
                role: Role::Reception,
                at: evening + Duration::minutes(minute * 2),
                events: vec![read(Section::Demographics, patient)],
            });
        }
    }
    if let Some(figure) = pick(&|p| p.sensitive_kind == Some(SensitiveKind::PublicFigure)) {
        batches.push(Batch {
            user: "reception",
            role: Role::Reception,
            at: weekday_at(now, 1, 11, 5),
            events: vec![read(Section::Demographics, figure)],
        });
    }
    let export = weekday_at(now, 5, 15, 20);
    for n in 0..6 {
        if let Some(patient) = pick(&|p| !p.sensitive) {
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
        batches.push(Batch { user: "reception", role: Role::Reception, at: guessed + Duration::seconds(n * 20), events: vec![failed] });
    }
    batches.push(Batch {
        user: "reception",
        role: Role::Reception,
        at: guessed + Duration::minutes(3),
        events: vec![NewEvent::allowed(Action::Login, None, None)],
    });
    batches
}
