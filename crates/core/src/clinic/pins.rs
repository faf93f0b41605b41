//! What a user has verified on this device, pinned in their own sealed key-file entry: the
//! device's audit signing key and the audit chain's head. Checked at each login, moved forward at
//! each login, lock and logout. A log rewritten or cut below any user's pin is reported to that
//! user at their next login and raised as an alert; the pin itself cannot be moved back without
//! their password (only by restoring an older copy of the whole key file: see
//! docs/security-model.md).

use super::Clinic;
use crate::audit::{self, NewEvent, PinBreak};
use crate::log::LoginName;
use crate::secret::Key32;
use crate::vault::{keyfile, AuditPin, ChainPin, Pins};
use crate::{Error, Result};

impl Clinic {
    /// What the checks of this user's pins found at their login; empty when all held.
    pub fn tampering_found_at_login(&self) -> &[PinBreak] {
        &self.tampering_found
    }

    /// Checks the log against the user's pins; returns the alerts to record with the login.
    pub(super) fn check_pins(&mut self, pins: &Pins) -> Result<Vec<NewEvent>> {
        self.tampering_found.clear();
        let Some(pin) = &pins.audit else {
            return Ok(Vec::new());
        };
        let started = std::time::Instant::now();
        let key = self.keys()?.identity.verifying_key();
        let found = audit::check_pin(self.conn()?, &key, &pin.verifying_key, pin.seq, &pin.hash)?;
        crate::log_safe!(info, "audit pin checked", through = pin.seq, elapsed_ms = started.elapsed());
        let Some(found) = found else {
            return Ok(Vec::new());
        };
        let user = self.user.name.clone();
        crate::log_safe!(
            error,
            "audit log changed below a user's pin",
            user = LoginName::of(&self.user),
            pinned = pin.seq
        );
        let reason = match &found {
            PinBreak::KeyReplaced => {
                "the audit signing key is not the one pinned at the last login, lock or logout".to_string()
            }
            PinBreak::Truncated { events, .. } => format!(
                "the audit log ends at event {events}, before the event {} pinned at the last login, lock or logout",
                pin.seq
            ),
            PinBreak::Rewritten { seq } => {
                format!("the audit log was changed at or below event {seq}, pinned at the last login, lock or logout")
            }
        };
        self.tampering_found.push(found);
        Ok(vec![NewEvent::tampering(&user, reason)])
    }

    /// Pins the membership chain's and the audit chain's heads as this session verified them, in
    /// the user's sealed entry.
    pub(super) fn save_pins(&self) -> Result<()> {
        let keys = self.keys()?;
        let Some(kek) = &keys.kek else {
            return Ok(());
        };
        self.note_own_changes()?;
        let audit = audit::head(keys.store.conn())?.map(|(seq, hash)| AuditPin {
            verifying_key: keys.identity.verifying_key().to_bytes(),
            seq,
            hash,
        });
        let (seq, hash) = keys.membership.head();
        let chain = Some(ChainPin { root: *keys.membership.root(), seq, hash });
        keyfile::update(&self.dir.key_file(), |file| {
            let mut entry = file.open_with_kek(&self.user.name, kek)?;
            let new_keys: Vec<u32> = keys.section.iter().map(|(epoch, _)| epoch).collect();
            let kept_keys: Vec<u32> = entry.clinical_keys.iter().map(|(epoch, _)| epoch).collect();
            if entry.pins.audit == audit && entry.pins.chain == chain && new_keys == kept_keys {
                return Ok(());
            }
            entry.pins.audit = audit;
            entry.pins.chain = chain;
            entry.clinical_keys = Default::default();
            for (epoch, key) in keys.section.iter() {
                entry.clinical_keys.insert(epoch, Key32::from_bytes(*key.expose()));
            }
            file.reseal(&self.user.name, kek, &entry)?;
            // New clinical keys roam: the user's next vault record carries them to their other
            // devices (sealed under the record key their entry keeps).
            if new_keys != kept_keys {
                if let Some(record) = self.next_record(&entry)? {
                    self.keep_own_record(&record)?;
                }
            }
            Ok(())
        })
        .map_err(|error| match error {
            Error::WrongPassword => Error::InvalidState("your key-file entry was replaced while you were logged in"),
            other => other,
        })
    }
}
