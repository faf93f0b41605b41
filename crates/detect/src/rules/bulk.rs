//! Many charts printed or exported at once, with no relationship to explain them (a home-visit
//! list printed for its round is explained by that list).

use std::collections::{BTreeMap, HashSet};

use chrono::Duration;

use super::grouping::Group;
use super::words::{explain, Facts};
use crate::alert::{Alert, Rule, Severity};
use crate::context::Context;
use crate::event::{Action, Event};
use crate::explain::Explained;

/// Prints and exports of one user no further apart than this are one act.
const GAP_MINUTES: i64 = 60;
/// Distinct patients in one act that make it bulk.
const BULK_PATIENTS: usize = 5;

/// The alerts, and the events they took (no other rule counts them again).
pub(super) fn bulk_exports(events: &[Event], context: &Context, explained: &Explained) -> (Vec<Alert>, HashSet<usize>) {
    let mut by_user: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        let unexplained = matches!(explained.get(i), Some(Some(Err(()))));
        if unexplained && matches!(event.action, Action::Print | Action::Export) {
            by_user.entry(event.user.as_str()).or_default().push(i);
        }
    }
    let mut alerts = Vec::new();
    let mut taken = HashSet::new();
    for (user, mut indices) in by_user {
        indices.sort_by_key(|&i| events[i].at);
        let mut act: Vec<usize> = Vec::new();
        let mut flush = |act: &mut Vec<usize>| {
            let patients: HashSet<&str> = act.iter().filter_map(|&i| events[i].patient.as_deref()).collect();
            if patients.len() >= BULK_PATIENTS {
                let group = Group { events: act.iter().map(|&i| &events[i]).collect() };
                let from = events[act[0]].at;
                let facts = Facts { user, patients: patients.len(), events: act.len(), from, context, measure: None };
                alerts.extend(group.into_alert(Rule::BulkExport, Severity::High, explain(Rule::BulkExport, &facts)));
                taken.extend(act.iter().copied());
            }
            act.clear();
        };
        for i in indices {
            if act.last().is_some_and(|&last| events[i].at - events[last].at > Duration::minutes(GAP_MINUTES)) {
                flush(&mut act);
            }
            act.push(i);
        }
        flush(&mut act);
    }
    (alerts, taken)
}
