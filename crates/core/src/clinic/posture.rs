//! The clinic's security posture against the technical items of the MHLW guideline 6.0, for the
//! administrator's page (app and CLI): each item with its standing, the users or devices it
//! names, and a key the front ends turn into what to do about it. Devices come from the clinic
//! server's reports, which the caller fetched (offline, that item says it could not be checked).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::staff_records::{ReviewKind, TrainingKind};
use super::Clinic;
use crate::audit::{self, Action};
use crate::policy::{Access, Section};
use crate::Result;

/// A device as the clinic server last heard from it (`mamori_sync::device_overview`).
#[derive(Clone, Debug)]
pub struct PostureDevice {
    pub name: String,
    /// Enrolled and not revoked.
    pub active: bool,
    pub app_version: Option<String>,
    /// Whole days of its offline lease left; `None` if the server never heard from it.
    pub lease_days_left: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Ok,
    Attention,
    /// Could not be checked (offline), or not built yet (backups).
    Unknown,
}

/// One item of the page: `item` names it (`posture.item_<item>` in the UI's texts, and
/// `posture.todo_<item>` says what to do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct PostureItem {
    pub item: String,
    pub standing: Standing,
    /// How many users, devices, alerts or uses it counts.
    pub count: u32,
    /// The users or devices it names.
    pub names: Vec<String>,
    /// When it last happened (a review, an audit), if ever.
    pub last: Option<String>,
}

/// How old a review, an audit or a training may be before the page asks for a new one.
const LOG_REVIEW_DAYS: i64 = 31;
const DEPENDENCY_AUDIT_DAYS: i64 = 92;
const TRAINING_DAYS: i64 = 365;
const BREAK_GLASS_DAYS: i64 = 30;

impl Clinic {
    /// The posture page (admin only). `devices` is what the clinic server reported, or `None`
    /// when it could not be reached.
    pub fn posture(&mut self, devices: Option<&[PostureDevice]>) -> Result<Vec<PostureItem>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let today = self.today();
        let now = self.now();
        let users: Vec<_> = self.users()?.into_iter().filter(|u| !u.disabled).collect();
        let with_factor = self.users_with_second_factor()?;
        let without: Vec<String> =
            users.iter().filter(|u| !with_factor.contains(&u.name)).map(|u| u.name.clone()).collect();
        let mut items = vec![named("second_factor", without, None)];

        items.extend(device_items(devices));
        items.push(PostureItem {
            item: "backups".into(),
            standing: Standing::Unknown,
            count: 0,
            names: Vec::new(),
            last: None,
        });

        let reviews = self.review_records()?;
        for (item, kind, days) in [
            ("log_review", ReviewKind::AccessLog, LOG_REVIEW_DAYS),
            ("dependency_audit", ReviewKind::Dependencies, DEPENDENCY_AUDIT_DAYS),
        ] {
            let last = reviews.iter().filter(|r| r.kind == kind).max_by_key(|r| r.date);
            let fresh = last.is_some_and(|r| today - r.date <= Duration::days(days));
            items.push(PostureItem {
                item: item.into(),
                standing: if fresh { Standing::Ok } else { Standing::Attention },
                count: 0,
                names: last.map(|r| vec![r.by.clone()]).unwrap_or_default(),
                last: last.map(|r| r.date.to_string()),
            });
        }

        let summary = self.alert_summary()?;
        items.push(PostureItem {
            item: "open_alerts".into(),
            standing: if summary.open == 0 { Standing::Ok } else { Standing::Attention },
            count: summary.open,
            names: summary.open_by_rule.iter().map(|r| format!("{} {}", r.rule, r.count)).collect(),
            last: None,
        });

        let since = now - Duration::days(BREAK_GLASS_DAYS);
        let glass: Vec<_> = self
            .audited(|conn| Ok((audit::events(conn, &audit::Filter::Alerts)?, Vec::new())))?
            .into_iter()
            .filter(|e| e.action == Action::BreakGlass && e.at >= since)
            .collect();
        let mut glass_users: Vec<String> = glass.iter().map(|e| e.user.clone()).collect();
        glass_users.dedup();
        items.push(PostureItem {
            item: "break_glass".into(),
            standing: if glass.is_empty() { Standing::Ok } else { Standing::Attention },
            count: count(glass.len()),
            names: glass_users,
            last: glass.iter().map(|e| e.at).max().map(|at: DateTime<Utc>| at.to_rfc3339()),
        });

        let training = self.training_records()?;
        let overdue: Vec<String> = users
            .iter()
            .filter(|u| {
                !training.iter().any(|t| {
                    t.user == u.name
                        && t.kind == TrainingKind::Training
                        && today - t.date <= Duration::days(TRAINING_DAYS)
                })
            })
            .map(|u| u.name.clone())
            .collect();
        items.push(named("training", overdue, training.iter().map(|t| t.date).max().map(|d| d.to_string())));
        Ok(items)
    }

    /// The users who enrolled their own authenticator: every invited user does at their first
    /// login, when they accept (a signed link). One invited who has not logged in yet has none.
    fn users_with_second_factor(&self) -> Result<Vec<String>> {
        Ok(self.keys()?.membership.members().filter(|m| m.accepted()).map(|m| m.user().name).collect())
    }
}

/// An item that is well when it names no one.
fn named(item: &str, names: Vec<String>, last: Option<String>) -> PostureItem {
    PostureItem {
        item: item.into(),
        standing: if names.is_empty() { Standing::Ok } else { Standing::Attention },
        count: count(names.len()),
        names,
        last,
    }
}

fn device_items(devices: Option<&[PostureDevice]>) -> Vec<PostureItem> {
    let Some(devices) = devices else {
        return ["devices_unseen", "devices_outdated"]
            .map(|item| PostureItem {
                item: item.into(),
                standing: Standing::Unknown,
                count: 0,
                names: Vec::new(),
                last: None,
            })
            .to_vec();
    };
    let active: Vec<&PostureDevice> = devices.iter().filter(|d| d.active).collect();
    let unseen =
        active.iter().filter(|d| d.lease_days_left.is_none_or(|left| left <= 0)).map(|d| d.name.clone()).collect();
    let current = env!("CARGO_PKG_VERSION");
    let outdated = active
        .iter()
        .filter(|d| d.app_version.as_deref().is_some_and(|v| v != current))
        .map(|d| d.name.clone())
        .collect();
    vec![named("devices_unseen", unseen, None), named("devices_outdated", outdated, Some(current.to_string()))]
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
