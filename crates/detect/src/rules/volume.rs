//! Days far above a user's usual volume: the distinct charts a user opened in a clinic day,
//! against the median of their own earlier days and the role's usual day. A day counts only when
//! most of its excess stays unexplained, so a flu-vaccine day or a lab batch (each chart with its
//! appointment or result) is not one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use crate::context::Context;
use crate::event::{Event, Role};
use crate::explain::Explained;

/// Fewer earlier days than this and a user's own usual is not known yet (the role's counts).
const OWN_HISTORY_DAYS: usize = 3;
/// Never a volume alert below this many unexplained charts in a day.
const MIN_UNEXPLAINED: usize = 10;

/// One user's clinic day: their role, the charts they opened, and those left unexplained.
struct Day<'e> {
    role: Role,
    opened: HashSet<&'e str>,
    unexplained: HashSet<&'e str>,
}

fn median(values: &mut [usize]) -> usize {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// The (user, day)s over their volume, with the user's usual for the explanation.
pub(super) fn heavy_days(
    events: &[Event],
    context: &Context,
    explained: &Explained,
) -> HashMap<(String, NaiveDate), usize> {
    let mut days: BTreeMap<(String, NaiveDate), Day<'_>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        let (Some(Some(status)), Some(patient)) = (explained.get(i), event.chart_access()) else { continue };
        let day = context.clinic.local_date(event.at);
        let entry = days.entry((event.user.clone(), day)).or_insert_with(|| Day {
            role: event.role,
            opened: HashSet::new(),
            unexplained: HashSet::new(),
        });
        entry.opened.insert(patient);
        if status.is_err() {
            entry.unexplained.insert(patient);
        }
    }
    let mut by_role: HashMap<Role, Vec<usize>> = HashMap::new();
    for day in days.values() {
        by_role.entry(day.role).or_default().push(day.opened.len());
    }
    let role_usual: HashMap<Role, usize> =
        by_role.into_iter().map(|(role, mut counts)| (role, median(&mut counts))).collect();
    let mut heavy = HashMap::new();
    let mut history: HashMap<&str, Vec<usize>> = HashMap::new();
    for ((user, day), Day { role, opened, unexplained }) in &days {
        let earlier = history.entry(user.as_str()).or_default();
        let usual = if earlier.len() >= OWN_HISTORY_DAYS {
            median(&mut earlier.clone())
        } else {
            role_usual.get(role).copied().unwrap_or(0)
        };
        let limit = (usual * 3).max(usual + MIN_UNEXPLAINED);
        if opened.len() > limit
            && unexplained.len() >= MIN_UNEXPLAINED
            && unexplained.len() * 2 >= opened.len() - usual.min(opened.len())
        {
            heavy.insert((user.clone(), *day), usual);
        }
        earlier.push(opened.len());
    }
    heavy
}
