//! The offline lease from an open session (DESIGN.md, "Offline lease"): at every unlock the
//! device keeps in its standing record what a locked device needs later (the clinic root it
//! verified, the chain's lease policy, its clock's highest reading), and an enrolled device whose
//! lease ran out refuses to open until it has reached the server. A device past the clinic's
//! self-wipe limit (a policy that is off unless the clinic turns it on) wipes itself instead.

use super::{Clinic, DataDir};
use crate::lost_device::{self, LeaseVerdict, Standing};
use crate::vault::DeviceSecretStore;
use crate::{log_safe, Error, Result};

/// How far the clock must have risen before an unlock writes its new reading to the keyring
/// (winding the clock back gains less than this).
const CLOCK_KEPT_EVERY_SECS: i64 = 60 * 60;

impl Clinic {
    /// [`Clinic::check_lease`]; a device due to wipe itself closes its store and wipes.
    pub(super) fn admit_by_lease(&mut self, secrets: &dyn DeviceSecretStore) -> Result<()> {
        match self.check_lease(secrets) {
            Err(Error::DeviceWiped) => {
                self.keys = None;
                lost_device::wipe(&self.dir, secrets, &self.device_id)?;
                Err(Error::DeviceWiped)
            }
            other => other,
        }
    }

    /// Refreshes the standing record and judges the lease, once the password opened the store
    /// and the chain verified. `Err(DeviceWiped)` asks the caller to close the store and wipe.
    pub(super) fn check_lease(&self, secrets: &dyn DeviceSecretStore) -> Result<()> {
        let keys = self.keys()?;
        let now = self.now().timestamp();
        let loaded = Standing::load(secrets, &self.device_id)?;
        let mut standing = loaded.clone();
        standing.observe_clock(now);
        standing.root = Some(*keys.membership.root());
        // The chain this login verified (from the user's own pins) counts as the device's from
        // now on, unless a check-in since verified a longer one.
        let head = keys.membership.head();
        if standing.chain_head.is_none_or(|(seq, _)| head.0 >= seq) {
            standing.chain_head = Some(head);
            standing.policy = keys.membership.devices().lease_policy();
        }
        let enrolled = keys.membership.devices().get(&self.device_id).is_some_and(|d| d.invite_key.is_none());
        let verdict = if enrolled {
            if standing.lease_received_at.is_none() {
                // Enrolled before leases existed, or the record was lost: the lease starts now.
                standing.take_lease(now);
            }
            LeaseVerdict::of(&standing, standing.policy, now)
        } else {
            LeaseVerdict::Open { days_left: i64::MAX }
        };
        // The keyring is written only when something changed beyond the clock's own advance of
        // less than an hour (every unlock reads the keyring; few need to write it).
        let clock_only = Standing { clock_high: loaded.clock_high, ..standing.clone() } == loaded;
        if !clock_only || standing.clock_high - loaded.clock_high >= CLOCK_KEPT_EVERY_SECS {
            standing.store(secrets, &self.device_id)?;
        }
        match verdict {
            LeaseVerdict::Open { .. } => Ok(()),
            LeaseVerdict::Expired { days_away, lease_days } => {
                log_safe!(warn, "unlock refused: the offline lease ran out", days_away = days_away);
                Err(Error::LeaseExpired { days_away, lease_days })
            }
            LeaseVerdict::SelfWipe { .. } => Err(Error::DeviceWiped),
        }
    }

    /// How many changes this device has written itself (less what the server acknowledged, the
    /// changes waiting to be sent: `lost_device::Standing::own_acknowledged`).
    pub fn own_change_count(&self) -> Result<u64> {
        let count: i64 = self.conn()?.query_row(
            "SELECT count(*) FROM changes WHERE device = ?1 AND signed IS NOT NULL",
            [&self.device_id],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Counts this device's own changes for a locked device's wipe report.
    pub(super) fn note_own_changes(&self) -> Result<()> {
        lost_device::note_own_changes(&self.dir, self.own_change_count()?)
    }
}

/// Before a password is tried: a device past the self-wipe limit its last verified chain set
/// wipes itself. Nothing happens where there is no chart or no record yet.
pub(super) fn self_wipe_if_due(dir: &DataDir, secrets: &dyn DeviceSecretStore, now: i64) -> Result<()> {
    let Ok(device) = lost_device::device_id_of(dir) else { return Ok(()) };
    let standing = Standing::load(secrets, &device)?;
    if let LeaseVerdict::SelfWipe { days_away } = LeaseVerdict::of(&standing, standing.policy, now) {
        log_safe!(warn, "the device stayed away past the clinic's self-wipe limit", days_away = days_away);
        lost_device::wipe(dir, secrets, &device)?;
        return Err(Error::DeviceWiped);
    }
    Ok(())
}
