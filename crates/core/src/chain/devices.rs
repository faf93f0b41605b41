//! Devices and clinic data key epochs, as the verified chain says: which devices are enrolled
//! (and with which keys), which are revoked, and which data key epochs exist. The server and every
//! replica learn devices from here only, so a server cannot enroll a device of its own.

use std::collections::BTreeMap;

use super::statement::Hex32;
use crate::domain::Role;

/// A device as the chain says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub name: String,
    /// Roles that may log in there.
    pub roles: Vec<Role>,
    /// Zero until the device accepted its invitation.
    pub signing_key: Hex32,
    pub x25519: Hex32,
    /// While invited and not yet accepted: the key the enrollment code derives.
    pub invite_key: Option<Hex32>,
    pub invited_by: String,
    pub invited_at: u64,
    /// The link that revoked it, if one has.
    pub revoked_at: Option<u64>,
    /// Once revoked: the last of its envelopes' sequence the clinic takes.
    pub accepted_through: Option<u64>,
    /// The link that accepted its enrollment.
    pub accepted_at: u64,
    /// Whether the administrator vouched for the history it held when invited.
    pub vouched_history: bool,
    /// The link that marked it lost and ordered it wiped, if one has.
    pub wipe_ordered_at: Option<u64>,
}

impl DeviceRecord {
    /// The earliest link a change it sends may name: any, for a computer whose history an
    /// administrator vouched for; else the one that accepted its enrollment (it held nothing
    /// before).
    pub fn earliest_link(&self) -> u64 {
        if self.vouched_history {
            0
        } else {
            self.accepted_at
        }
    }
}

impl DeviceRecord {
    /// Enrolled (accepted) and not revoked: its requests and envelopes count.
    pub fn is_active(&self) -> bool {
        self.invite_key.is_none() && self.revoked_at.is_none()
    }

    /// Whether its envelope `seq` counts: every one while it is enrolled; once revoked, those up
    /// to the cut-off the revoking link names.
    pub fn takes_envelope(&self, seq: u64) -> bool {
        self.invite_key.is_none() && self.accepted_through.is_none_or(|last| seq <= last)
    }
}

/// A clinic data key epoch as the chain records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataEpochRecord {
    pub commitment: Hex32,
    pub started_by: String,
    pub at_seq: u64,
}

/// How long a device may stay away from the server (DESIGN.md, "Offline lease").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeasePolicy {
    /// Days since its last lease after which a device refuses to unlock until it syncs.
    pub lease_days: u32,
    /// Days after which it wipes itself, if the clinic turned that on (never by default:
    /// changes it had not sent would be lost).
    pub self_wipe_days: Option<u32>,
}

impl LeasePolicy {
    /// Two weeks: a home-visit round trip with room to spare.
    pub const DEFAULT_LEASE_DAYS: u32 = 14;
    /// The longest lease a clinic may set (a year): past it, "lost" would mean nothing.
    pub const MAX_DAYS: u32 = 366;
}

impl Default for LeasePolicy {
    fn default() -> Self {
        Self { lease_days: Self::DEFAULT_LEASE_DAYS, self_wipe_days: None }
    }
}

/// The chain's devices, data key epochs and lease policy.
#[derive(Clone, Debug, Default)]
pub struct Devices {
    devices: BTreeMap<String, DeviceRecord>,
    data_epochs: BTreeMap<u32, DataEpochRecord>,
    lease_policy: LeasePolicy,
}

impl Devices {
    pub fn get(&self, name: &str) -> Option<&DeviceRecord> {
        self.devices.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &DeviceRecord> {
        self.devices.values()
    }

    pub fn data_epoch(&self, epoch: u32) -> Option<&DataEpochRecord> {
        self.data_epochs.get(&epoch)
    }

    pub fn lease_policy(&self) -> LeasePolicy {
        self.lease_policy
    }

    /// The enrolled device whose signing key is `key` (a locked device finds itself by the key its
    /// keyring secret derives, not by a name a file says).
    pub fn with_signing_key(&self, key: &Hex32) -> Option<&DeviceRecord> {
        self.devices.values().find(|d| d.invite_key.is_none() && &d.signing_key == key)
    }

    pub fn newest_data_epoch(&self) -> Option<(u32, &DataEpochRecord)> {
        self.data_epochs.iter().next_back().map(|(e, r)| (*e, r))
    }

    pub(super) fn invite(
        &mut self,
        name: String,
        roles: Vec<Role>,
        invite_key: Hex32,
        by: String,
        seq: u64,
    ) -> Result<(), &'static str> {
        if name.is_empty() || name.len() > 64 {
            return Err("a device name is 1 to 64 bytes");
        }
        if let Some(known) = self.devices.get(&name) {
            return Err(if known.revoked_at.is_some() {
                "a revoked device's name is not given again (its envelopes keep it)"
            } else {
                "the device is already enrolled or invited"
            });
        }
        if roles.is_empty() {
            return Err("a device admits at least one role");
        }
        let record = DeviceRecord {
            name: name.clone(),
            roles,
            signing_key: [0; 32],
            x25519: [0; 32],
            invite_key: Some(invite_key),
            invited_by: by,
            invited_at: seq,
            revoked_at: None,
            accepted_through: None,
            accepted_at: 0,
            vouched_history: false,
            wipe_ordered_at: None,
        };
        self.devices.insert(name, record);
        Ok(())
    }

    pub(super) fn accept(
        &mut self,
        name: &str,
        signer: &Hex32,
        (signing_key, x25519): (Hex32, Hex32),
        seq: u64,
    ) -> Result<(), &'static str> {
        let taken = self
            .devices
            .values()
            .any(|d| d.invite_key.is_none() && (d.signing_key == signing_key || d.x25519 == x25519));
        let device = self.devices.get_mut(name).ok_or("the link names no device of this clinic")?;
        if device.invite_key != Some(*signer) || device.revoked_at.is_some() {
            return Err("only the holder of the device's open enrollment code accepts it");
        }
        if taken {
            return Err("another device already has these keys");
        }
        if ed25519_dalek::VerifyingKey::from_bytes(&signing_key).is_err() || signing_key == [0; 32] || x25519 == [0; 32]
        {
            return Err("the device's keys are not valid");
        }
        device.signing_key = signing_key;
        device.x25519 = x25519;
        device.invite_key = None;
        device.accepted_at = seq;
        Ok(())
    }

    pub(super) fn vouch_history(&mut self, name: &str) {
        if let Some(device) = self.devices.get_mut(name) {
            device.vouched_history = true;
        }
    }

    pub(super) fn revoke(&mut self, name: &str, seq: u64, accepted_through: u64) -> Result<(), &'static str> {
        let device = self.devices.get_mut(name).ok_or("the link names no device of this clinic")?;
        if device.revoked_at.is_some() {
            return Err("the device is already revoked");
        }
        device.revoked_at = Some(seq);
        device.accepted_through = Some(accepted_through);
        Ok(())
    }

    /// Orders a revoked device wiped. A device still enrolled is revoked first (in the link
    /// before), so its requests and envelopes stop counting before it is told to wipe.
    pub(super) fn order_wipe(&mut self, name: &str, seq: u64) -> Result<(), &'static str> {
        let device = self.devices.get_mut(name).ok_or("the link names no device of this clinic")?;
        if device.invite_key.is_some() {
            return Err("a device that never accepted its enrollment holds nothing to wipe");
        }
        if device.revoked_at.is_none() {
            return Err("a device is revoked before it is ordered wiped");
        }
        if device.wipe_ordered_at.is_some() {
            return Err("the device is already ordered wiped");
        }
        device.wipe_ordered_at = Some(seq);
        Ok(())
    }

    pub(super) fn set_lease_policy(&mut self, policy: LeasePolicy) -> Result<(), &'static str> {
        if policy.lease_days > LeasePolicy::MAX_DAYS {
            return Err("a lease is at most 366 days");
        }
        if let Some(days) = policy.self_wipe_days {
            if days <= policy.lease_days || days > LeasePolicy::MAX_DAYS {
                return Err("a self-wipe comes after the lease ends, within 366 days");
            }
        }
        self.lease_policy = policy;
        Ok(())
    }

    pub(super) fn start_data_epoch(
        &mut self,
        epoch: u32,
        commitment: Hex32,
        by: String,
        seq: u64,
    ) -> Result<(), &'static str> {
        if self.newest_data_epoch().is_some_and(|(newest, _)| epoch <= newest) {
            return Err("a data key epoch must be newer than the last");
        }
        self.data_epochs.insert(epoch, DataEpochRecord { commitment, started_by: by, at_seq: seq });
        Ok(())
    }
}
