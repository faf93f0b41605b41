//! Insider-detection alerts on this device (issue "Detecting insiders"). The detector
//! (`mamori-detect`) runs inside the core over this device's own hash-chained audit events and a
//! context built from the chart (`context.rs`), so an offline laptop flags its own misuse. An
//! administrator — who may not read charts or demographics — gets what the detector says: the
//! rule, the user, the patients by id and chart number, the events, when, how severe, and why.
//! Acknowledging an alert is a signed change of its own, with the administrator's comment.

mod acks;
mod clinic_wide;
mod context;
mod found;
mod pseudonym;
mod settings;
mod verified;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use acks::Acknowledgement;
pub(crate) use clinic_wide::ClinicWide;
pub use clinic_wide::{AlertCoverage, OtherDevicesAudit};
/// What an administrator tells the detector about the clinic (`settings.rs`), as the detector
/// defines it.
pub use mamori_detect::context::{ClinicHours, OpenHours, Shift, ShiftKind};
pub(crate) use settings::prefixed;
pub use settings::{value_kept_private, StaffProfile, RECORDS_PREFIX, SETTING_PREFIX};

use super::Clinic;
use crate::audit::{self, NewEvent};
use crate::changelog::OpenBody;
use crate::domain::validation::{Field, Problem};
use crate::policy::{Access, Section};
use crate::{Error, Result};

/// How far back a scan reads the audit log: four weeks of baseline for the volume rule, and two
/// more for alerts still under review.
pub const SCAN_DAYS: i64 = 42;
/// The longest comment an acknowledgement takes.
pub const MAX_COMMENT: usize = 500;

/// An alert as an administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct AlertView {
    pub id: String,
    /// The rule that fired (`no_relationship`, `same_surname`, … `docs/detection-context.md`).
    pub rule: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    pub user: String,
    pub patients: Vec<AlertPatient>,
    /// The audit events that made it (their ids).
    pub events: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub found_at: DateTime<Utc>,
    pub explanation_ja: String,
    pub explanation_en: String,
    pub acknowledged: Option<Acknowledgement>,
}

/// A patient an alert names: the chart's id and number, never the name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct AlertPatient {
    pub id: String,
    pub chart_no: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    #[default]
    Open,
    Acknowledged,
    All,
}

/// Which alerts to list.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(default)]
pub struct AlertFilter {
    pub status: AlertStatus,
    pub rule: Option<String>,
    pub user: Option<String>,
    /// Only alerts that ended on or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// The administrator's daily summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct AlertSummary {
    /// The clinic's date it covers (today, Japan time).
    pub day: NaiveDate,
    /// Alerts first found in the last 24 hours, and how many of them are high.
    pub found_today: u32,
    pub high_today: u32,
    /// Alerts not yet acknowledged, and how many of them are high.
    pub open: u32,
    pub open_high: u32,
    /// Open alerts by rule, most first.
    pub open_by_rule: Vec<RuleCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct RuleCount {
    pub rule: String,
    pub count: u32,
}

impl Clinic {
    /// Runs the detector over this device's audit events of the last six weeks and keeps what
    /// it finds; returns how many alerts are new or grown. Any session may run it (an offline
    /// laptop flags its own misuse at logout); only an administrator lists what it found.
    pub fn scan_alerts(&mut self) -> Result<usize> {
        Ok(self.scan()?.len())
    }

    /// The scan: the alerts found now (those new or grown are kept), by id.
    fn scan(&mut self) -> Result<Vec<String>> {
        let now = self.now();
        let since = now - Duration::days(SCAN_DAYS);
        let mut events: Vec<mamori_detect::Event> = self
            .audited(|conn| Ok((audit::events(conn, &audit::Filter::All)?, Vec::new())))?
            .into_iter()
            .filter(|e| e.at >= since)
            .filter_map(|e| serde_json::to_value(&e).ok().and_then(|v| serde_json::from_value(v).ok()))
            .collect();
        // And, after an administrator's device fetched them, every other device's.
        let others = self.other_devices_events(since);
        events.extend(others);
        // In time order (the chain is in the order events were written, which a device whose
        // clock was set back, or the demo's generated past, does not keep).
        events.sort_by_key(|e| e.at);
        let opened: HashSet<String> = events.iter().filter_map(|e| e.patient.clone()).collect();
        let context = context::build(self.conn()?, &self.keys()?.membership, since, now, &opened)?;
        let alerts = mamori_detect::detect(&events, &context);
        let kept = self.audited(|conn| Ok((found::keep(conn, &alerts, since, now)?, Vec::new())))?;
        crate::log_safe!(info, "insider detector ran", events = events.len(), alerts = alerts.len(), new = kept);
        Ok(alerts.iter().map(found::alert_id).collect())
    }

    /// The alerts the filter asks for, newest first, after a fresh scan (admin only). Only what
    /// this scan found, or what an administrator's signed acknowledgement names, is listed: a
    /// row typed into the alerts table is not an alert. An acknowledged alert that has grown
    /// since (more events) is open again.
    pub fn alerts(&mut self, filter: &AlertFilter) -> Result<Vec<AlertView>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let found: HashSet<String> = self.scan()?.into_iter().collect();
        let acks = acks::verified(self.conn()?, &self.keys()?.membership)?;
        let views = self.audited(|conn| {
            let mut views = Vec::new();
            for stored in found::all(conn)? {
                if !found.contains(&stored.id) && !acks.contains_key(&stored.id) {
                    continue;
                }
                let mut view = view_of(conn, stored)?;
                view.acknowledged = acks
                    .get(&view.id)
                    .filter(|(_, covered)| view.events.iter().all(|e| covered.contains(e)))
                    .map(|(ack, _)| ack.clone());
                if matches_filter(&view, filter) {
                    views.push(view);
                }
            }
            let event = NewEvent::allowed(audit::Action::Read, Some(Section::Administration), None)
                .with_reason(format!("listed {} insider alerts", views.len()));
            Ok((views, vec![event]))
        })?;
        Ok(views)
    }

    /// Acknowledges an alert with the administrator's comment (admin only): a signed change
    /// naming the events it covers, audited by the alert's id (the comment stays out of the
    /// audit log). An alert about the administrator herself needs another administrator.
    pub fn acknowledge_alert(&mut self, alert: &str, comment: &str) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(Error::invalid(Field::Comment, Problem::Required));
        }
        if comment.chars().count() > MAX_COMMENT {
            return Err(Error::invalid(Field::Comment, Problem::TooLong { max: MAX_COMMENT }));
        }
        if comment.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(Field::Comment, Problem::ControlCharacter));
        }
        let listed = self.alerts(&AlertFilter { status: AlertStatus::All, ..AlertFilter::default() })?;
        let Some(view) = listed.into_iter().find(|a| a.id == alert) else {
            return Err(Error::NotFound { what: "alert", id: alert.chars().take(32).collect() });
        };
        if view.user == self.user().name {
            return Err(Error::Denied { section: "administration", access: "write" });
        }
        self.commit(OpenBody::AlertAcknowledged {
            alert: alert.to_string(),
            comment: comment.to_string(),
            events: view.events,
        })
    }

    /// The daily summary for the administrator's screen (admin only).
    pub fn alert_summary(&mut self) -> Result<AlertSummary> {
        let all = self.alerts(&AlertFilter { status: AlertStatus::All, ..AlertFilter::default() })?;
        let day_ago = self.now() - Duration::hours(24);
        let open: Vec<&AlertView> = all.iter().filter(|a| a.acknowledged.is_none()).collect();
        let today: Vec<&AlertView> = all.iter().filter(|a| a.found_at >= day_ago).collect();
        let high = |alerts: &[&AlertView]| count(alerts.iter().filter(|a| a.severity == "high").count());
        let mut by_rule: Vec<RuleCount> = Vec::new();
        for alert in &open {
            match by_rule.iter_mut().find(|r| r.rule == alert.rule) {
                Some(entry) => entry.count += 1,
                None => by_rule.push(RuleCount { rule: alert.rule.clone(), count: 1 }),
            }
        }
        by_rule.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        Ok(AlertSummary {
            day: self.today(),
            found_today: count(today.len()),
            high_today: high(&today),
            open: count(open.len()),
            open_high: high(&open),
            open_by_rule: by_rule,
        })
    }

    /// The detector's context as one JSON document (`docs/detection-context.md`), every name and
    /// address word replaced by a keyed token (admin only, audited).
    pub fn detection_context_export(&mut self) -> Result<mamori_detect::Context> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let now = self.now();
        let everyone: HashSet<String> = self
            .conn()?
            .prepare("SELECT id FROM patients")?
            .query_map([], |r| Ok(verified::text(r, 0)))?
            .filter_map(|id| id.ok().flatten())
            .collect();
        let context =
            context::build(self.conn()?, &self.keys()?.membership, now - Duration::days(SCAN_DAYS), now, &everyone)?;
        self.record(vec![NewEvent::admin("exported the insider detector's context (names and addresses as tokens)")])?;
        pseudonym::pseudonymize(context)
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn matches_filter(view: &AlertView, filter: &AlertFilter) -> bool {
    let status = match filter.status {
        AlertStatus::Open => view.acknowledged.is_none(),
        AlertStatus::Acknowledged => view.acknowledged.is_some(),
        AlertStatus::All => true,
    };
    status
        && filter.rule.as_ref().is_none_or(|rule| &view.rule == rule)
        && filter.user.as_ref().is_none_or(|user| &view.user == user)
        && filter.since.is_none_or(|since| view.to >= since)
}

/// The stored alert as the administrator sees it (acknowledgement left for the caller to judge).
fn view_of(conn: &Connection, stored: found::Stored) -> Result<AlertView> {
    let text = |key: &str| stored.alert.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let list = |key: &str| -> Vec<String> {
        stored
            .alert
            .get(key)
            .and_then(|v| v.as_array())
            .map_or_else(Vec::new, |items| items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect())
    };
    let time =
        |key: &str| DateTime::parse_from_rfc3339(&text(key)).map(|t| t.with_timezone(&Utc)).unwrap_or(stored.found_at);
    let explanation = stored.alert.get("explanation");
    let words =
        |lang: &str| explanation.and_then(|e| e.get(lang)).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let mut patients = Vec::new();
    for id in list("patients") {
        let chart_no: Option<String> = conn
            .prepare_cached("SELECT chart_no FROM patients WHERE id = ?1")?
            .query_row([&id], |r| r.get(0))
            .optional()?;
        patients.push(AlertPatient { id, chart_no });
    }
    Ok(AlertView {
        id: stored.id.clone(),
        rule: text("rule"),
        severity: text("severity"),
        user: text("user"),
        patients,
        events: list("events"),
        from: time("from"),
        to: time("to"),
        found_at: stored.found_at,
        explanation_ja: words("ja"),
        explanation_en: words("en"),
        acknowledged: None,
    })
}
