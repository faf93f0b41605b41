//! Chart accesses: the user's own or family chart whatever explains it, and every unexplained
//! access under the most specific rule that fits it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::grouping::Groups;
use super::words::{explain, Facts};
use crate::alert::{Alert, Rule, Severity};
use crate::context::{Context, PatientContext, ShiftKind, StaffContext};
use crate::event::Event;
use crate::explain::Explained;

fn own_or_family(patient: Option<&PatientContext>, user: &str) -> bool {
    patient.is_some_and(|p| p.staff_links.iter().any(|l| l.staff == user))
}

fn same_surname(patient: Option<&PatientContext>, staff: Option<&StaffContext>) -> bool {
    let (Some(p), Some(s)) = (patient, staff) else { return false };
    let same = |a: &Option<String>, b: &str| a.as_deref().is_some_and(|a| !a.is_empty() && a == b);
    same(&s.surname, &p.surname) || same(&s.surname_kana, &p.surname_kana)
}

fn same_neighbourhood(patient: Option<&PatientContext>, staff: Option<&StaffContext>) -> bool {
    let (Some(p), Some(s)) = (patient, staff) else { return false };
    s.home_town.as_deref().is_some_and(|t| !t.is_empty() && t == p.town)
        && s.home_block.as_deref().is_some_and(|b| !b.is_empty() && b == p.block)
}

/// Whether `event` falls outside clinic hours with its user on no shift.
fn off_hours(event: &Event, context: &Context) -> bool {
    !context.clinic.is_open(event.at)
        && !context.on_shift(&event.user, ShiftKind::OnCall, event.at)
        && !context.on_shift(&event.user, ShiftKind::Cover, event.at)
}

pub(super) fn classify(
    events: &[Event],
    context: &Context,
    explained: &Explained,
    in_bulk: &HashSet<usize>,
    heavy_days: &HashMap<(String, NaiveDate), usize>,
) -> Vec<Alert> {
    let mut groups = Groups::default();
    let mut unexplained: HashSet<&str> = HashSet::new();
    for (i, event) in events.iter().enumerate() {
        let (Some(Some(status)), Some(patient)) = (explained.get(i), event.chart_access()) else { continue };
        if in_bulk.contains(&i) {
            continue;
        }
        if status.is_err() {
            unexplained.insert(event.id.as_str());
        }
        let known = context.patient(patient);
        let staff = context.staff(&event.user);
        let day = context.clinic.local_date(event.at);
        let rule = if own_or_family(known, &event.user) {
            Rule::OwnOrFamily
        } else if status.is_ok() {
            continue;
        } else if known.is_some_and(|p| p.sensitive.is_some()) {
            Rule::Sensitive
        } else if same_surname(known, staff) {
            Rule::SameSurname
        } else if same_neighbourhood(known, staff) {
            Rule::SameNeighbourhood
        } else if heavy_days.contains_key(&(event.user.clone(), day)) {
            Rule::Volume
        } else if off_hours(event, context) {
            Rule::OffHours
        } else {
            Rule::NoRelationship
        };
        groups.add(rule, event, context);
    }
    groups
        .by_key
        .into_iter()
        .filter_map(|((rule, user, day), group)| {
            let patients = group.patients().len();
            let any_unexplained = group.events.iter().any(|e| unexplained.contains(e.id.as_str()));
            let severity = match rule {
                Rule::OwnOrFamily if !any_unexplained => Severity::Medium,
                Rule::NoRelationship if patients < 3 => Severity::Low,
                Rule::NoRelationship | Rule::OffHours => Severity::Medium,
                _ => Severity::High,
            };
            let from = group.events.iter().map(|e| e.at).min()?;
            let facts = Facts {
                user: &user,
                patients,
                events: group.events.len(),
                from,
                context,
                measure: heavy_days.get(&(user.clone(), day)).copied(),
            };
            let words = explain(rule, &facts);
            group.into_alert(rule, severity, words)
        })
        .collect()
}
