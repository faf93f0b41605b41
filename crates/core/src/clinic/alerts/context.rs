//! The detector's context (`docs/detection-context.md`), built from the chart's own data inside
//! the core: patients' surname, reading, town and block and whether their chart is watched;
//! staff from the users table and the profiles an administrator filled; appointments and visits
//! with the clinician in charge; home-visit rounds; when lab results arrived (from the change
//! log's metadata, never the sealed result); the clinic's hours and the on-call and cover roster.
//! It never leaves the core as it is: alerts name patients by id, and the export replaces every
//! word with a keyed token (`pseudonym.rs`).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use mamori_detect::context as dc;
use rusqlite::Connection;

use super::settings::DetectionSettings;
use super::verified;
use crate::chain::Membership;
use crate::changelog::{AuthorKeys, OpenBody};
use crate::domain::kana::nfkc_compact;
use crate::domain::{Encounter, EncounterKind, Patient, Role};
use crate::Result;

/// The context for a scan of the events from `since` to `now`.
/// Patients are those of `opened` (the charts the scanned events touch), as their verified
/// changes have them.
pub(crate) fn build(
    conn: &Connection,
    membership: &Membership,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    opened: &HashSet<String>,
) -> Result<dc::Context> {
    let authors: &dyn AuthorKeys = membership;
    let settings = DetectionSettings::read(conn, authors)?;
    let staff = staff(membership, &settings);
    let patients = patients(conn, authors, &staff, opened)?;
    let (appointments, home_visit_lists) = visits(conn, authors, since, now)?;
    Ok(dc::Context {
        clinic: settings.clinic_hours.clone().unwrap_or_default(),
        patients,
        staff,
        appointments,
        home_visit_lists,
        lab_results: lab_results(conn, authors, since)?,
        roster: settings.roster,
    })
}

/// The staff as the verified membership chain names them (not the users table), with the
/// profiles administrators filled.
fn staff(membership: &Membership, settings: &DetectionSettings) -> Vec<dc::StaffContext> {
    let word = |w: Option<&String>| w.map(|w| nfkc_compact(w)).filter(|w| !w.is_empty());
    membership
        .members()
        .map(|member| member.user())
        .map(|user| {
            let profile = settings.staff_profiles.iter().find(|p| p.user == user.name);
            dc::StaffContext {
                user: user.name.clone(),
                role: detect_role(user.role),
                surname: word(profile.and_then(|p| p.surname.as_ref())),
                surname_kana: word(profile.and_then(|p| p.surname_kana.as_ref())),
                home_town: word(profile.and_then(|p| p.home_town.as_ref())),
                home_block: word(profile.and_then(|p| p.home_block.as_ref())),
            }
        })
        .collect()
}

pub(crate) fn detect_role(role: Role) -> mamori_detect::event::Role {
    match role {
        Role::Reception => mamori_detect::event::Role::Reception,
        Role::Nurse => mamori_detect::event::Role::Nurse,
        Role::Doctor => mamori_detect::event::Role::Doctor,
        Role::Admin => mamori_detect::event::Role::Admin,
    }
}

fn patients(
    conn: &Connection,
    authors: &dyn AuthorKeys,
    staff: &[dc::StaffContext],
    opened: &HashSet<String>,
) -> Result<Vec<dc::PatientContext>> {
    let bodies = verified::newest_bodies(conn, authors, "patient", opened.iter().map(String::as_str))?;
    let mut patients = Vec::new();
    for body in bodies.into_values() {
        let (OpenBody::PatientRegistered(patient) | OpenBody::PatientUpdated(patient)) = body else { continue };
        let (town, block) = town_and_block(&patient.address, staff);
        let staff_links = patient
            .staff_member
            .iter()
            .filter_map(|member| {
                let relation = match patient.sensitive_kind? {
                    crate::domain::SensitiveKind::Staff => dc::Relation::Own,
                    crate::domain::SensitiveKind::StaffFamily => dc::Relation::Family,
                    crate::domain::SensitiveKind::PublicFigure => return None,
                };
                Some(dc::StaffLink { staff: member.clone(), relation })
            })
            .collect();
        patients.push(dc::PatientContext {
            id: patient.id.to_string(),
            surname: nfkc_compact(&patient.family_name),
            surname_kana: nfkc_compact(&patient.family_kana),
            town,
            block,
            sensitive: sensitive_kind(&patient),
            staff_links,
        });
    }
    patients.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(patients)
}

/// Why a chart is watched; a chart marked sensitive before the kinds existed counts as a public
/// figure's (the most general).
fn sensitive_kind(patient: &Patient) -> Option<dc::SensitiveKind> {
    use crate::domain::SensitiveKind as K;
    match (patient.sensitive, patient.sensitive_kind) {
        (_, Some(K::Staff)) => Some(dc::SensitiveKind::Staff),
        (_, Some(K::StaffFamily)) => Some(dc::SensitiveKind::StaffFamily),
        (_, Some(K::PublicFigure)) | (true, None) => Some(dc::SensitiveKind::PublicFigure),
        (false, None) => None,
    }
}

/// The address's town (what comes before the first digit, e.g. 東京都世田谷区下馬) and block
/// (the first number, 3 of 下馬3-12-5). Where a staff member's home town, as the administrator
/// typed it (下馬), ends the patient's town, that spelling is used, so the two compare equal.
pub(crate) fn town_and_block(address: &str, staff: &[dc::StaffContext]) -> (String, String) {
    let address = nfkc_compact(address);
    let digit = address.find(|c: char| c.is_ascii_digit()).unwrap_or(address.len());
    let (town, rest) = address.split_at(digit);
    let block: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let town = staff
        .iter()
        .filter_map(|s| s.home_town.as_deref())
        .find(|home| !home.is_empty() && town.ends_with(home))
        .map_or_else(|| town.to_string(), str::to_string);
    (town, block)
}

/// Appointments and visits (each with its clinician when the record names one), and each day's
/// home-visit rounds: the home visits scheduled or opened that day, by clinician. Those that can
/// explain an access in the scan (from two weeks before it to a week after) are read from their
/// verified changes (`verified.rs`); older visits, which explain only an on-call clinician's look
/// at an established patient, from the chart as it stands.
fn visits(
    conn: &Connection,
    authors: &dyn AuthorKeys,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Vec<dc::Appointment>, Vec<dc::HomeVisitList>)> {
    let (from, to) =
        ((since - chrono::Duration::days(15)).to_rfc3339(), (now + chrono::Duration::days(8)).to_rfc3339());
    let ids_in_window = |sql: &str| -> Result<Vec<String>> {
        let mut stmt = conn.prepare(sql)?;
        let ids = stmt.query_map(rusqlite::params![from, to], |r| r.get::<_, String>(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    };
    let recent_appointments =
        ids_in_window("SELECT id FROM appointments WHERE scheduled_at >= ?1 AND scheduled_at <= ?2")?;
    let recent_visits = ids_in_window("SELECT id FROM encounters WHERE started_at >= ?1 AND started_at <= ?2")?;
    let mut appointments = Vec::new();
    let verified_appointments =
        verified::newest_bodies(conn, authors, "appointment", recent_appointments.iter().map(String::as_str))?;
    for body in verified_appointments.into_values() {
        let OpenBody::AppointmentSaved(a) = body else { continue };
        if a.cancelled {
            continue;
        }
        appointments.push(dc::Appointment {
            patient: a.patient_id.to_string(),
            at: a.checked_in_at.unwrap_or(a.scheduled_at),
            kind: visit_kind(a.kind),
            clinician: a.clinician.clone(),
        });
    }
    let verified_visits =
        verified::newest_bodies(conn, authors, "encounter", recent_visits.iter().map(String::as_str))?;
    let mut encounters: Vec<Encounter> = verified_visits
        .into_values()
        .filter_map(|body| match body {
            OpenBody::EncounterOpened(e) => Some(e),
            _ => None,
        })
        .collect();
    let mut stmt = conn.prepare("SELECT body FROM encounters WHERE started_at < ?1")?;
    for body in stmt.query_map([&from], |row| row.get::<_, String>(0))? {
        if let Ok(e) = serde_json::from_str::<Encounter>(&body?) {
            encounters.push(e);
        }
    }
    for e in encounters {
        appointments.push(dc::Appointment {
            patient: e.patient_id.to_string(),
            at: e.started_at,
            kind: visit_kind(e.kind),
            clinician: Some(e.clinician.clone()),
        });
    }
    appointments.sort_by(|a, b| (a.at, &a.patient).cmp(&(b.at, &b.patient)));
    let hours = dc::ClinicHours::default();
    let mut rounds: BTreeMap<(chrono::NaiveDate, String), Vec<String>> = BTreeMap::new();
    for a in &appointments {
        if let (dc::VisitKind::HomeVisit, Some(clinician)) = (a.kind, &a.clinician) {
            let patients = rounds.entry((hours.local_date(a.at), clinician.clone())).or_default();
            if !patients.contains(&a.patient) {
                patients.push(a.patient.clone());
            }
        }
    }
    let lists = rounds.into_iter().map(|((date, user), patients)| dc::HomeVisitList { date, user, patients }).collect();
    Ok((appointments, lists))
}

fn visit_kind(kind: EncounterKind) -> dc::VisitKind {
    match kind {
        EncounterKind::Outpatient => dc::VisitKind::Outpatient,
        EncounterKind::HomeVisit => dc::VisitKind::HomeVisit,
    }
}

/// When each lab result that can explain an access in the scan arrived, and who entered it:
/// from lab changes whose signature and author the chain accept (the result itself stays sealed),
/// and the report's collection time. A result entered long after it was collected (history
/// imported or generated at once) arrived a day after collection, not when it was typed in.
fn lab_results(conn: &Connection, authors: &dyn AuthorKeys, since: DateTime<Utc>) -> Result<Vec<dc::LabResult>> {
    let entered_since = (since - chrono::Duration::days(8)).timestamp_millis();
    let mut stmt = conn.prepare(
        "SELECT c.signed, c.signature, l.collected_at FROM changes c
         LEFT JOIN lab_reports l ON l.id = c.entity_id
         WHERE c.entity_kind = 'lab_report' AND c.hlc_wall >= ?1",
    )?;
    let rows = stmt.query_map([entered_since], |row| {
        Ok((verified::blob(row, 0), verified::blob(row, 1), verified::text(row, 2)))
    })?;
    let mut results = Vec::new();
    for row in rows {
        let (signed, signature, collected) = row?;
        let Some(change) = verified::check(signed, signature, authors) else { continue };
        let change = change.signed();
        let Some(patient) = change.body().patient() else { continue };
        let Some(entered) = DateTime::<Utc>::from_timestamp_millis(change.hlc().wall_ms) else { continue };
        let collected = collected.and_then(|c| {
            DateTime::parse_from_rfc3339(&c).ok().map(|c| c.with_timezone(&Utc)).or_else(|| date_start(&c))
        });
        let arrived_at = match collected {
            Some(collected) if entered - collected > chrono::Duration::days(14) => {
                collected + chrono::Duration::days(1)
            }
            _ => entered,
        };
        results.push(dc::LabResult {
            patient: patient.to_string(),
            arrived_at,
            ordered_by: Some(change.author().to_string()),
        });
    }
    Ok(results)
}

/// A `YYYY-MM-DD` day's start, Japan time.
fn date_start(day: &str) -> Option<DateTime<Utc>> {
    let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let start = day.and_hms_opt(0, 0, 0)?;
    start.and_local_timezone(crate::clinic::japan_time()).single().map(|t| t.with_timezone(&Utc))
}
