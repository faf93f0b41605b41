//! Disabling is cryptographic (issue 9): the disabled user's key-file entry is removed and the
//! database key is rotated (SQLCipher re-encrypts every page), so neither her entry nor a copy of
//! `keys.json` she kept opens the database again. The new key is sealed to every remaining
//! user's X25519 key (from the chain); each takes it into their own sealed entry at their next
//! login. The clinical key moves to a new epoch through the chain (`section_keys`).

use std::time::Instant;

use super::Clinic;
use crate::audit::NewEvent;
use crate::log_safe;
use crate::secret::Key32;
use crate::vault::keyfile;
use crate::vault::section_key::wrap_database_key;
use crate::{Error, Result};

impl Clinic {
    /// Rotates the database key after `disabled` lost their account; returns the users whose
    /// open invitations were withdrawn (their code opened the old key: invite them again).
    pub(super) fn rotate_database_key(&mut self, disabled: &str) -> Result<Vec<String>> {
        let started = Instant::now();
        let new_dek = Key32::random()?;
        let me = self.user.name.clone();
        let path = self.dir.key_file();
        let membership = self.keys()?.membership.clone();
        let withdrawn = keyfile::update(&path, |file| {
            file.remove_user(disabled);
            if !file.disabled.iter().any(|d| d == disabled) {
                file.disabled.push(disabled.to_string());
            }
            let withdrawn: Vec<String> = file.invitations.drain(..).map(|i| i.user).collect();
            // An update from an earlier rotation is superseded: this one reaches everyone.
            file.database_key_updates.clear();
            let remaining: Vec<String> = file.users.iter().map(|u| u.user.clone()).collect();
            for user in remaining {
                let Some(member) = membership.member(&user).filter(|m| m.accepted() && !m.disabled) else {
                    continue;
                };
                let update = wrap_database_key(&new_dek, &file.device_id, &user, &member.x25519)?;
                file.database_key_updates.push(update);
            }
            Ok(withdrawn)
        })?;
        let statement = zeroize::Zeroizing::new(format!("PRAGMA rekey = \"x'{}'\";", new_dek.to_hex().as_str()));
        if let Err(error) = self.conn()?.execute_batch(&statement) {
            // The database keeps its key; the updates would open nothing: drop them.
            keyfile::update(&path, |file| {
                file.database_key_updates.clear();
                Ok(())
            })?;
            return Err(error.into());
        }
        // This session takes the new key into its own entry at once.
        let kek = Key32::from_bytes(*self.keys()?.kek.as_ref().ok_or(Error::SessionLocked)?.expose());
        let own_dek = Key32::from_bytes(*new_dek.expose());
        keyfile::update(&path, |file| {
            let mut entry = file.open_with_kek(&me, &kek)?;
            entry.dek = own_dek;
            file.reseal(&me, &kek, &entry)?;
            file.database_key_updates.retain(|u| u.user != me);
            Ok(())
        })?;
        self.keys.as_mut().ok_or(Error::SessionLocked)?.dek = new_dek;
        log_safe!(
            info,
            "database key rotated",
            withdrawn_invitations = withdrawn.len(),
            elapsed_ms = started.elapsed()
        );
        let mut events = vec![NewEvent::admin(format!("rotated the database key after disabling {disabled}"))];
        events.extend(withdrawn.iter().map(|user| NewEvent::admin(format!("withdrew the open invitation of {user}"))));
        self.record(events)?;
        Ok(withdrawn)
    }
}
