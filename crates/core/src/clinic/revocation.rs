//! Shutting a device out (DESIGN.md, "Lost devices"): an administrator's link revokes it, naming
//! the last of its envelopes the clinic takes, and in the same transaction a new clinic data key
//! epoch starts, so nothing sealed from then on opens with any key the device held. The devices
//! still enrolled receive the new key wrapped to them at their next sync; the clinical key
//! changes at the next clinician's session (a revoked device makes a new epoch due).

use super::devices::{follow, store_data_key};
use super::Clinic;
use crate::audit::NewEvent;
use crate::chain::{data_key_commitment, Statement};
use crate::policy::{Access, Section};
use crate::secret::Key32;
use crate::{log_safe, Error, Result};

impl Clinic {
    /// Revokes `device`, taking its envelopes up to `accepted_through` (what the server held from
    /// it), and starts a new clinic data key epoch. Returns the new epoch. Administrators only;
    /// a computer does not revoke itself.
    pub fn revoke_device(&mut self, device: &str, accepted_through: u64) -> Result<u32> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        if device == self.device_id {
            return Err(Error::InvalidState("a computer cannot revoke itself; revoke it from another one"));
        }
        let revoked = self.next_link(Statement::RevokeDevice { device: device.to_owned(), accepted_through })?;
        let epoch = revoked.membership.devices().newest_data_epoch().map_or(1, |(e, _)| e + 1);
        let key = Key32::random()?;
        let statement = Statement::DataKeyEpoch { epoch, commitment: data_key_commitment(epoch, &key) };
        let rekeyed = follow(&revoked, statement, &self.keys()?.user_key.signing_key())?;
        let events = vec![
            NewEvent::admin(format!("revoked device {device}")),
            NewEvent::admin(format!("started clinic data key epoch {epoch}")),
        ];
        self.transact(true, |conn, _| {
            revoked.store(conn)?;
            rekeyed.store(conn)?;
            store_data_key(conn, epoch, &key)?;
            Ok(((), events))
        })?;
        self.adopt(rekeyed);
        log_safe!(info, "device revoked and a new data key epoch started", epoch = epoch);
        Ok(epoch)
    }
}
