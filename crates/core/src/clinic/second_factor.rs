//! The second factor at login: the TOTP secret from the user's own sealed entry, checked and
//! used up under the key file's lock (two processes cannot both accept one code; parallel
//! guesses cannot lose a count). A second-factor reset is redeemed here too: the administrator's
//! signed link names the hash of a one-time code; typed where the one-time code goes, it lets
//! the user in once and enrolls a new authenticator in their own session.

use super::Clinic;
use crate::audit::NewEvent;
use crate::auth::guard::LoginGuard;
use crate::auth::{self, Enrollment, SecondFactor};
use crate::log::LoginName;
use crate::log_safe;
use crate::secret::Key32;
use crate::vault::{keyfile, DeviceSecretStore, KeyFile};
use crate::{Error, Result};

impl Clinic {
    /// A second factor this user enrolled at this login (by redeeming a reset code): shown to
    /// them once, then gone.
    pub fn take_new_second_factor(&mut self) -> Option<Enrollment> {
        self.new_second_factor.take()
    }

    /// Checks `factor`; returns the audit events the login records with it (failures the guard
    /// kept while the database was closed; a redeemed reset).
    pub(super) fn check_second_factor(
        &mut self,
        secrets: &dyn DeviceSecretStore,
        factor: &SecondFactor,
    ) -> Result<Vec<NewEvent>> {
        let now = self.now();
        let user = self.user.name.clone();
        let path = self.dir.key_file();
        let reset = self.keys()?.membership.member(&user).and_then(|m| m.second_factor_reset);
        let kek = Key32::from_bytes(*self.keys()?.kek.as_ref().ok_or(Error::SessionLocked)?.expose());
        let kek = &kek;
        let lock = keyfile::lock(&path)?;
        let guard = LoginGuard::new(secrets, &self.device_id);
        let mut key_file = KeyFile::load(&path)?;
        let mut entry = key_file.open_with_kek(&user, kek)?;
        let mut state = entry.second_factor.take().ok_or(Error::SecondFactorNotEnrolled)?;
        let checked = auth::verify(&mut state, &user, factor, now);
        let redeemed = match (&checked, factor, reset) {
            (Err(_), SecondFactor::RecoveryCode(typed), Some((seq, hash)))
                if seq > entry.pins.second_factor_reset_redeemed && auth::reset_hash(&user, typed) == hash =>
            {
                Some(seq)
            }
            _ => None,
        };
        let mut events = Vec::new();
        match (checked, redeemed) {
            (Ok(()), _) => entry.second_factor = Some(state),
            (Err(_), Some(seq)) => {
                let (enrollment, new_state) = auth::enroll(&user)?;
                entry.second_factor = Some(new_state);
                entry.pins.second_factor_reset_redeemed = seq;
                self.new_second_factor = Some(enrollment);
                log_safe!(info, "second factor reset redeemed", user = LoginName::of(&self.user));
                events.push(NewEvent::admin("redeemed a second-factor reset and enrolled a new authenticator"));
            }
            (Err(error), None) => {
                log_safe!(warn, "login failed: second factor refused", user = LoginName::of(&self.user), code = error);
                guard.failed(&user, now, None)?;
                drop(lock);
                self.record(vec![NewEvent::failed_login(&user, "wrong one-time code")])?;
                return Err(error);
            }
        }
        key_file.reseal(&user, kek, &entry)?;
        key_file.save(&path)?;
        // Failures that happened while the database was closed are audited with this login; the
        // keyring forgets them only once that audit is written (`forget_audited_failures`).
        let kept = guard.pending()?;
        drop(lock);
        let failures =
            kept.iter().map(|f| NewEvent::failed_login(&f.user, format!("{} at {}", f.reason, f.at.to_rfc3339())));
        let events = failures.chain(events).collect();
        self.kept_failures = kept;
        Ok(events)
    }

    /// After the login's audit is written: the keyring clears this user's failures and forgets
    /// the pending ones that audit holds.
    pub(super) fn forget_audited_failures(&mut self, secrets: &dyn DeviceSecretStore) -> Result<()> {
        let kept = std::mem::take(&mut self.kept_failures);
        let _lock = keyfile::lock(&self.dir.key_file())?;
        LoginGuard::new(secrets, &self.device_id).audited(&self.user.name, &kept)
    }
}
