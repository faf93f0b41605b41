//! Rules that need no chart: refused attempts again and again, a burst of failed logins before a
//! success, a device or an hour the account never used, and break-the-glass.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate, Timelike};

use super::grouping::{Group, Groups};
use super::words::{explain, Facts};
use crate::alert::{Alert, Rule, Severity};
use crate::context::{Context, ShiftKind};
use crate::event::{Action, Event, Outcome};

/// Refusals of one user no further apart than this are one episode; this many make it count.
const REFUSAL_GAP_MINUTES: i64 = 60;
const REFUSALS: usize = 3;
/// Failed logins to one account no further apart than this are one burst; this many make it
/// count, and a success this soon after makes it an alert.
const FAILURE_GAP_MINUTES: i64 = 15;
const FAILURES: usize = 5;
const SUCCESS_WITHIN_MINUTES: i64 = 30;
/// An account's first days of logins are its usual devices and hours.
const BASELINE_DAYS: i64 = 7;

/// Splits time-ordered `items` into runs whose neighbours are at most `gap` apart.
fn episodes(mut items: Vec<&Event>, gap: Duration) -> Vec<Vec<&Event>> {
    items.sort_by_key(|e| e.at);
    let mut runs: Vec<Vec<&Event>> = Vec::new();
    for item in items {
        match runs.last_mut() {
            Some(run) if run.last().is_some_and(|last| item.at - last.at <= gap) => run.push(item),
            _ => runs.push(vec![item]),
        }
    }
    runs
}

fn alert_of(
    rule: Rule,
    severity: Severity,
    events: Vec<&Event>,
    context: &Context,
    measure: Option<usize>,
) -> Option<Alert> {
    let group = Group { events };
    let first = group.events.first()?;
    let facts = Facts {
        user: &first.user,
        patients: group.patients().len(),
        events: group.events.len(),
        from: first.at,
        context,
        measure,
    };
    let words = explain(rule, &facts);
    group.into_alert(rule, severity, words)
}

pub(super) fn repeated_refusals(events: &[Event], context: &Context) -> Vec<Alert> {
    let mut by_user: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events.iter().filter(|e| e.outcome == Outcome::Denied && e.action != Action::LoginFailed) {
        by_user.entry(event.user.as_str()).or_default().push(event);
    }
    by_user
        .into_values()
        .flat_map(|refused| episodes(refused, Duration::minutes(REFUSAL_GAP_MINUTES)))
        .filter(|run| run.len() >= REFUSALS)
        .filter_map(|run| alert_of(Rule::RepeatedRefusals, Severity::Medium, run, context, None))
        .collect()
}

pub(super) fn failed_login_bursts(events: &[Event], context: &Context) -> Vec<Alert> {
    let mut failures: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events.iter().filter(|e| e.action == Action::LoginFailed) {
        failures.entry(event.subject.as_deref().unwrap_or(&event.user)).or_default().push(event);
    }
    let mut alerts = Vec::new();
    for (account, tried) in failures {
        for run in episodes(tried, Duration::minutes(FAILURE_GAP_MINUTES)) {
            let Some(last) = run.last().map(|e| e.at) else { continue };
            if run.len() < FAILURES {
                continue;
            }
            let success = events.iter().find(|e| {
                e.action == Action::Login
                    && e.outcome == Outcome::Allowed
                    && e.user == account
                    && e.at >= last
                    && e.at - last <= Duration::minutes(SUCCESS_WITHIN_MINUTES)
            });
            let Some(success) = success else { continue };
            let count = run.len();
            let mut shown = run;
            shown.push(success);
            // The alert is about the account that was tried.
            if let Some(mut alert) = alert_of(Rule::FailedLoginBurst, Severity::High, shown, context, Some(count)) {
                alert.user = account.to_owned();
                let facts = Facts {
                    user: account,
                    patients: 0,
                    events: count,
                    from: alert.from,
                    context,
                    measure: Some(count),
                };
                alert.explanation = explain(Rule::FailedLoginBurst, &facts);
                alerts.push(alert);
            }
        }
    }
    alerts
}

/// A login from a clinic device this account never used (one some other account did, and not a
/// colleague this user covers at the time), or outside clinic hours and any shift at an hour it
/// never logged in at, once its first week of logins has shown its usual devices and hours. A
/// device used for the first time by anyone is a new computer, enrolled by an administrator: not
/// this rule's concern.
pub(super) fn new_device_or_hour(events: &[Event], context: &Context) -> Vec<Alert> {
    let mut logins: Vec<&Event> =
        events.iter().filter(|e| e.action == Action::Login && e.outcome == Outcome::Allowed).collect();
    logins.sort_by_key(|e| e.at);
    let mut started: HashMap<&str, NaiveDate> = HashMap::new();
    let mut devices: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut hours: HashMap<&str, HashSet<u32>> = HashMap::new();
    let mut device_users: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut groups = Groups::default();
    for login in logins {
        let user = login.user.as_str();
        let day = context.clinic.local_date(login.at);
        let hour = login.at.with_timezone(&context.clinic.offset()).hour();
        let first = *started.entry(user).or_insert(day);
        let in_baseline = day - first < Duration::days(BASELINE_DAYS);
        let known_device = devices.get(user).is_some_and(|d| d.contains(login.device.as_str()));
        let known_hour = hours.get(user).is_some_and(|h| h.contains(&hour));
        let on_shift =
            context.on_shift(user, ShiftKind::OnCall, login.at) || context.on_shift(user, ShiftKind::Cover, login.at);
        let covered = context.covered_by(user, login.at);
        let strange_device = !known_device
            && device_users
                .get(login.device.as_str())
                .is_some_and(|users| !users.is_empty() && !users.iter().any(|u| covered.contains(u)));
        let strange_hour = !known_hour && !context.clinic.is_open(login.at) && !on_shift;
        if !in_baseline && (strange_device || strange_hour) {
            groups.add(Rule::NewDeviceOrHour, login, context);
        }
        devices.entry(user).or_default().insert(login.device.as_str());
        hours.entry(user).or_default().insert(hour);
        device_users.entry(login.device.as_str()).or_default().insert(user);
    }
    groups
        .by_key
        .into_values()
        .filter_map(|group| alert_of(Rule::NewDeviceOrHour, Severity::Low, group.events, context, None))
        .collect()
}

pub(super) fn break_glass(events: &[Event], context: &Context) -> Vec<Alert> {
    let mut groups = Groups::default();
    for event in events.iter().filter(|e| e.action == Action::BreakGlass && e.outcome == Outcome::Allowed) {
        groups.add(Rule::BreakGlass, event, context);
    }
    groups
        .by_key
        .into_values()
        .filter_map(|group| alert_of(Rule::BreakGlass, Severity::Medium, group.events, context, None))
        .collect()
}
