//! The administrator's list of devices: who they are and what they may do comes from the verified
//! chain; what the server last heard from each (when, which version, how many changes waiting,
//! its last lease) from the server's check-in notes; and a wipe counts as done only if the
//! device's own key, as the chain names it, signed the report (a server cannot fake one).

use mamori_core::chain::Membership;
use mamori_core::domain::Role;
use serde::Serialize;
use ts_rs::TS;

use crate::wire::{DeviceReports, WipeAck, WipeAcks};

const DAY_SECS: i64 = 24 * 60 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Invited,
    Enrolled,
    Revoked,
    /// Marked lost; the wipe is not reported yet.
    WipeOrdered,
    /// It reported the wipe, signed with its key.
    Wiped,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct DeviceOverview {
    pub name: String,
    pub status: DeviceStatus,
    pub roles: Vec<Role>,
    pub this_computer: bool,
    /// When the server last heard from it (Unix seconds, server clock).
    #[ts(type = "number | null")]
    pub last_seen: Option<i64>,
    pub app_version: Option<String>,
    /// Its changes waiting to be sent, as it said at its last check-in.
    #[ts(type = "number | null")]
    pub waiting: Option<u64>,
    /// Whole days of its lease left, by the server's clock.
    #[ts(type = "number | null")]
    pub lease_days_left: Option<i64>,
    /// Unsent changes its wipe destroyed, as its signed report says.
    #[ts(type = "number | null")]
    pub lost_in_wipe: Option<u64>,
}

/// Every device the chain names, with what the server heard from it, at server time `now`.
pub fn overview(
    membership: &Membership,
    this_computer: &str,
    reports: &DeviceReports,
    acks: &WipeAcks,
    now: i64,
) -> Vec<DeviceOverview> {
    let lease_days = i64::from(membership.devices().lease_policy().lease_days);
    membership
        .devices()
        .iter()
        .map(|d| {
            let ack = acks.acks.iter().find_map(|signed| {
                let ack = WipeAck::open(signed, &d.signing_key).ok()?;
                (ack.device == d.name && Some(ack.wipe_link) == d.wipe_ordered_at && ack.clinic == *membership.root())
                    .then_some(ack)
            });
            let status = match (d.invite_key.is_some(), d.revoked_at, d.wipe_ordered_at, &ack) {
                (_, _, Some(_), Some(_)) => DeviceStatus::Wiped,
                (_, _, Some(_), None) => DeviceStatus::WipeOrdered,
                (_, Some(_), None, _) => DeviceStatus::Revoked,
                (true, None, None, _) => DeviceStatus::Invited,
                (false, None, None, _) => DeviceStatus::Enrolled,
            };
            let report = reports.reports.iter().find(|r| r.device == d.name);
            let lease_days_left = match status {
                DeviceStatus::Enrolled => {
                    report.and_then(|r| r.leased_at).map(|at| (lease_days - (now - at).max(0) / DAY_SECS).max(0))
                }
                _ => None,
            };
            DeviceOverview {
                name: d.name.clone(),
                status,
                roles: d.roles.clone(),
                this_computer: d.name == this_computer,
                last_seen: report.map(|r| r.last_seen),
                app_version: report.map(|r| r.app_version.clone()),
                waiting: report.map(|r| r.waiting),
                lease_days_left,
                lost_in_wipe: ack.map(|a| a.unsent),
            }
        })
        .collect()
}

/// The devices as the posture page weighs them: enrolled ones, their version and lease.
pub fn for_posture(devices: &[DeviceOverview]) -> Vec<mamori_core::clinic::PostureDevice> {
    devices
        .iter()
        .map(|d| mamori_core::clinic::PostureDevice {
            name: d.name.clone(),
            active: d.status == DeviceStatus::Enrolled,
            app_version: d.app_version.clone(),
            lease_days_left: d.lease_days_left,
        })
        .collect()
}
