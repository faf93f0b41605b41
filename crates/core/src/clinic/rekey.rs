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
use crate::vault::section_key::{database_key_id, wrap_database_key};
use crate::{Error, Result};

impl Clinic {
    /// Removes `disabled`'s key-file entry and rotates the database key (before the link that
    /// disables them); returns the users whose open invitations were withdrawn (their code opened
    /// the old key: invite them again). Safe to run again after an interruption.
    pub(super) fn rotate_database_key(&mut self, disabled: &str) -> Result<Vec<String>> {
        let started = Instant::now();
        // Recorded first, in this administrator's own sealed entry (which nobody else can edit):
        // an interrupted disable is finished at their next login, and nobody sends her a key.
        self.mark_pending_disable(disabled, true)?;
        let new_dek = Key32::random()?;
        let me = self.user.name.clone();
        let path = self.dir.key_file();
        let membership = self.keys()?.membership.clone();
        let new_id = database_key_id(&new_dek);
        // First her entry goes, and the new key is sealed to everyone else beside any earlier
        // updates (which stay until this rotation has completed).
        keyfile::update(&path, |file| {
            file.remove_user(disabled);
            if !file.disabled.iter().any(|d| d == disabled) {
                file.disabled.push(disabled.to_string());
            }
            let remaining: Vec<String> =
                file.users.iter().map(|u| u.user.clone()).filter(|u| !file.disabled.contains(u)).collect();
            for user in remaining {
                let Some(member) = membership.member(&user).filter(|m| m.accepted() && !m.disabled) else {
                    continue;
                };
                let update = wrap_database_key(&new_dek, &file.device_id, &user, &member.x25519)?;
                file.database_key_updates.push(update);
            }
            Ok(())
        })?;
        let statement = zeroize::Zeroizing::new(format!("PRAGMA rekey = \"x'{}'\";", new_dek.to_hex().as_str()));
        if let Err(error) = self.conn()?.execute_batch(&statement) {
            // The database keeps its key: drop only this rotation's updates (her entry stays gone).
            keyfile::update(&path, |file| {
                file.database_key_updates.retain(|u| u.key_id != new_id);
                Ok(())
            })?;
            log_safe!(error, "database key rotation failed; the disable can be run again");
            return Err(error.into());
        }
        // Completed: earlier updates are superseded, and open invitations (whose code opened the
        // old key) are withdrawn.
        let withdrawn = keyfile::update(&path, |file| {
            file.database_key_updates.retain(|u| u.key_id == new_id);
            Ok(file.invitations.drain(..).map(|i| i.user).collect::<Vec<String>>())
        })?;
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

impl Clinic {
    /// Seals the current database key to `user` again (admin only): for a user whose pending key
    /// update was lost (deleted from `keys.json`), so they can log in after a rotation.
    pub fn resend_database_key(&mut self, user: &str) -> Result<()> {
        self.authorize(crate::policy::Section::Administration, crate::policy::Access::Write, None)?;
        self.refresh_membership()?;
        let member = self.keys()?.membership.member(user).filter(|m| m.accepted() && !m.disabled).cloned();
        let member = member.ok_or_else(|| Error::NotFound { what: "user", id: user.to_string() })?;
        let kek = Key32::from_bytes(*self.keys()?.kek.as_ref().ok_or(Error::SessionLocked)?.expose());
        let pending =
            keyfile::KeyFile::load(&self.dir.key_file())?.open_with_kek(&self.user.name, &kek)?.pins.pending_disables;
        if pending.iter().any(|p| p == user) {
            return Err(Error::AccountDisabled);
        }
        let dek = Key32::from_bytes(*self.keys()?.dek.expose());
        keyfile::update(&self.dir.key_file(), |file| {
            if !file.users.iter().any(|u| u.user == user) {
                return Err(Error::NotFound { what: "user", id: user.to_string() });
            }
            // The chain says she is enabled (checked above): a tombstone here is stale or planted.
            file.disabled.retain(|d| d != user);
            let update = wrap_database_key(&dek, &file.device_id, user, &member.x25519)?;
            file.database_key_updates.retain(|u| u.user != user || u.key_id != update.key_id);
            file.database_key_updates.push(update);
            Ok(())
        })?;
        log_safe!(info, "database key sent again", user = crate::log::LoginName::listed(user));
        self.record(vec![NewEvent::admin(format!("sent the database key again to {user}"))])
    }
}

impl Clinic {
    /// Adds (`begun`) or removes `user` in this administrator's pending disables.
    pub(super) fn mark_pending_disable(&mut self, user: &str, begun: bool) -> Result<()> {
        let me = self.user.name.clone();
        let kek = Key32::from_bytes(*self.keys()?.kek.as_ref().ok_or(Error::SessionLocked)?.expose());
        keyfile::update(&self.dir.key_file(), |file| {
            let mut entry = file.open_with_kek(&me, &kek)?;
            entry.pins.pending_disables.retain(|p| p != user);
            if begun {
                entry.pins.pending_disables.push(user.to_string());
            }
            file.reseal(&me, &kek, &entry)
        })
    }

    /// At an administrator's login: finishes the disables they began and could not sign (as
    /// their entry, opened at this login, lists them).
    pub(super) fn finish_pending_disables(&mut self, pending: &[String]) -> Result<()> {
        for user in pending {
            log_safe!(warn, "finishing an interrupted disable", user = crate::log::LoginName::listed(user));
            self.set_user_disabled(user, true)?;
            self.record(vec![NewEvent::admin(format!("finished the interrupted disable of {user}"))])?;
        }
        Ok(())
    }
}
