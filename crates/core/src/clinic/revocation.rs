//! Shutting a device out (DESIGN.md, "Lost devices"): an administrator's link revokes it, naming
//! the last of its envelopes the clinic takes, and in the same transaction a new clinic data key
//! epoch starts, so nothing sealed from then on opens with any key the device held. The devices
//! still enrolled receive the new key wrapped to them at their next sync; the clinical key
//! changes at the next clinician's session (a revoked device makes a new epoch due). A device
//! marked lost is also ordered wiped (`lost_device`), and the clinic's lease policy is set here.

use super::devices::{follow, store_data_key};
use super::membership::NextLink;
use super::Clinic;
use crate::audit::NewEvent;
use crate::chain::{data_key_commitment, LeasePolicy, Statement};
use crate::policy::{Access, Section};
use crate::secret::Key32;
use crate::{log_safe, Error, Result};

impl Clinic {
    /// Revokes `device`, taking its envelopes up to `accepted_through` (what the server held from
    /// it), and starts a new clinic data key epoch. Returns the new epoch. Administrators only;
    /// a computer does not revoke itself.
    pub fn revoke_device(&mut self, device: &str, accepted_through: u64) -> Result<u32> {
        self.shut_out(device, accepted_through, false)
    }

    /// Marks `device` lost: revokes it as [`Clinic::revoke_device`] does (unless it was revoked
    /// already) and orders it wiped, in one transaction. Returns the newest data key epoch.
    pub fn mark_device_lost(&mut self, device: &str, accepted_through: u64) -> Result<u32> {
        self.shut_out(device, accepted_through, true)
    }

    /// Whether this session may revoke `device` (an administrator, on another computer): checked
    /// again when it does, and by front ends before they ask the server for the cut-off.
    pub fn check_shut_out(&mut self, device: &str) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        if device == self.device_id {
            return Err(Error::InvalidState("a computer cannot revoke itself; revoke it from another one"));
        }
        Ok(())
    }

    fn shut_out(&mut self, device: &str, accepted_through: u64, wipe: bool) -> Result<u32> {
        self.check_shut_out(device)?;
        self.refresh_membership()?;
        let signer = self.keys()?.user_key.signing_key();
        let revoked_before = self.keys()?.membership.devices().get(device).is_some_and(|d| d.revoked_at.is_some());
        let mut links: Vec<NextLink> = Vec::new();
        let mut events = Vec::new();
        let mut new_key = None;
        if !revoked_before {
            links.push(self.next_link(Statement::RevokeDevice { device: device.to_owned(), accepted_through })?);
            let epoch = links[0].membership.devices().newest_data_epoch().map_or(1, |(e, _)| e + 1);
            let key = Key32::random()?;
            let statement = Statement::DataKeyEpoch { epoch, commitment: data_key_commitment(epoch, &key) };
            links.push(follow(&links[0], statement, &signer)?);
            events.push(NewEvent::admin(format!("revoked device {device}")));
            events.push(NewEvent::admin(format!("started clinic data key epoch {epoch}")));
            new_key = Some((epoch, key));
        }
        if wipe {
            let statement = Statement::WipeDevice { device: device.to_owned() };
            let wiped = match links.last() {
                Some(before) => follow(before, statement, &signer)?,
                None => self.next_link(statement)?,
            };
            links.push(wiped);
            events.push(NewEvent::admin(format!("marked device {device} lost and ordered it wiped")));
        }
        let Some(last) = links.last() else {
            return Err(Error::InvalidState("the device is revoked already"));
        };
        let epoch = last.membership.devices().newest_data_epoch().map_or(0, |(e, _)| e);
        self.transact(true, |conn, _| {
            for link in &links {
                link.store(conn)?;
            }
            if let Some((epoch, key)) = &new_key {
                store_data_key(conn, *epoch, key)?;
            }
            Ok(((), events))
        })?;
        if let Some(last) = links.pop() {
            self.adopt(last);
        }
        log_safe!(info, "device shut out", epoch = epoch, wipe_ordered = wipe);
        Ok(epoch)
    }

    /// Sets the clinic's offline lease policy (a link every device reads at its next sync).
    /// Administrators only.
    pub fn set_lease_policy(&mut self, policy: LeasePolicy) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let statement = Statement::LeasePolicy { lease_days: policy.lease_days, self_wipe_days: policy.self_wipe_days };
        let event = NewEvent::admin(format!(
            "set the offline lease to {} days{}",
            policy.lease_days,
            policy.self_wipe_days.map(|d| format!(", self-wipe after {d} days")).unwrap_or_default()
        ));
        self.append_link(statement, vec![event], |_| Ok(()))
    }
}
