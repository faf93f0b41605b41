//! The clinic-wide scan: other devices' audit events, which an administrator's device fetched
//! from the clinic server and checked against each device's signature in this device's own
//! verified membership chain (`mamori_sync::clinic_audit`), held for this session only and
//! scanned together with this device's own log. Nothing of it is written to the database: a
//! row there would be trusted by nobody (rule zero), and the next session fetches it again.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::super::Clinic;
use crate::chain::Membership;
use crate::domain::Role;
use crate::policy::{Access, Section};
use crate::Result;

/// Other devices' audit events as fetched and checked: (device, sequence, the event's exact
/// JSON), with what the check found missing or wrong.
#[derive(Clone, Debug, Default)]
pub struct OtherDevicesAudit {
    pub events: Vec<(String, u64, Vec<u8>)>,
    /// Devices whose events the server held back in the middle (a sequence gap between batches).
    pub gaps: Vec<String>,
    /// Batches that did not verify (wrong device signature, another clinic, a broken hash chain,
    /// a history that forks from another batch of the same device), left out.
    pub refused: u32,
}

/// Which events the alerts cover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct AlertCoverage {
    /// Whether other devices' events (from the clinic server) are included, or only this
    /// device's own.
    pub clinic_wide: bool,
    /// The devices whose events were scanned, this one first.
    pub devices: Vec<String>,
    /// When the other devices' events were fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Devices whose events have a hole the server did not fill.
    pub gaps: Vec<String>,
    /// Batches from the server that did not verify and were left out.
    pub refused: u32,
}

/// What a session holds of the clinic-wide audit.
pub(crate) struct ClinicWide {
    pub events: Vec<mamori_detect::Event>,
    pub coverage: AlertCoverage,
}

impl Clinic {
    /// Takes other devices' checked audit events for this session's scans (admin only). An
    /// event whose own `device` is not the device that signed it, or that does not read, is
    /// left out and counted with the refused; so is an access naming someone the verified chain
    /// never let log in there (a user it does not know, a role she never held, or a role the
    /// device was not enrolled for): whoever holds a device's key cannot name just anyone.
    pub fn take_clinic_wide_audit(&mut self, audit: OtherDevicesAudit) -> Result<AlertCoverage> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let me = self.device_id().to_string();
        let membership = &self.keys()?.membership;
        let mut refused = audit.refused;
        let mut devices = vec![me.clone()];
        let mut events = Vec::with_capacity(audit.events.len());
        for (device, _, body) in audit.events {
            if device == me {
                continue;
            }
            match serde_json::from_slice::<mamori_detect::Event>(&body) {
                Ok(event) if event.device == device && could_have_been_there(membership, &event) => {
                    if !devices.contains(&device) {
                        devices.push(device);
                    }
                    events.push(event);
                }
                _ => refused = refused.saturating_add(1),
            }
        }
        let coverage =
            AlertCoverage { clinic_wide: true, devices, fetched_at: Some(self.now()), gaps: audit.gaps, refused };
        self.clinic_wide = Some(ClinicWide { events, coverage: coverage.clone() });
        Ok(coverage)
    }

    /// Which events this session's alerts cover (admin only).
    pub fn alert_coverage(&mut self) -> Result<AlertCoverage> {
        self.authorize(Section::Administration, Access::Read, None)?;
        Ok(match &self.clinic_wide {
            Some(wide) => wide.coverage.clone(),
            None => AlertCoverage { devices: vec![self.device_id().to_string()], ..AlertCoverage::default() },
        })
    }

    /// Other devices' events since `since` for a scan. None is left out for sharing an id with
    /// an event of this device's own log: that log is this device's (every event in it was
    /// written here), and whoever can append to it could otherwise copy another device's event
    /// id into it to hide that access.
    pub(super) fn other_devices_events(&self, since: DateTime<Utc>) -> Vec<mamori_detect::Event> {
        let Some(wide) = &self.clinic_wide else { return Vec::new() };
        wide.events.iter().filter(|e| e.at >= since).cloned().collect()
    }
}

/// Whether the chain lets the access's user have made it on its device: a chart access (or
/// break-the-glass) must name a member who has held the role it claims, on a device enrolled
/// for that role. Other events (logins, failed logins naming an unknown account) are taken.
fn could_have_been_there(membership: &Membership, event: &mamori_detect::Event) -> bool {
    if event.chart_access().is_none() && !event.break_glass {
        return true;
    }
    let role = match event.role {
        mamori_detect::event::Role::Reception => Role::Reception,
        mamori_detect::event::Role::Nurse => Role::Nurse,
        mamori_detect::event::Role::Doctor => Role::Doctor,
        mamori_detect::event::Role::Admin => Role::Admin,
    };
    let held = membership.member(&event.user).is_some_and(|m| m.roles_held.contains(&role));
    let enrolled = membership.devices().get(&event.device).is_some_and(|d| d.roles.contains(&role));
    held && enrolled
}
