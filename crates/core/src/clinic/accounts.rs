//! Accounts, as an administrator manages them and as each user keeps their own: inviting a user
//! (a signed link and a one-time code; the user sets their own password, authenticator and key at
//! their first login), a second-factor reset (a signed link naming a code's hash), lifting a
//! lockout, and changing one's own password. The administrator never types, sees or holds
//! another user's password, TOTP secret or key.

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::auth::guard::LoginGuard;
use crate::auth::{self, Invitation, SecondFactorReset};
use crate::chain::Statement;
use crate::changelog::OpenBody;
use crate::domain::user::check_password_strength;
use crate::domain::User;
use crate::log::LoginName;
use crate::log_safe;
use crate::policy::{Access, Section};
use crate::secret::{Key32, Password};
use crate::vault::device_secret::load_required;
use crate::vault::{keyfile, DeviceSecretStore, EntrySecrets, Pins, UserKeyPair};
use crate::{Error, Result};

impl Clinic {
    /// Invites a user (admin only): their account and role are a signed link; the returned
    /// one-time code, handed to them in person, lets them log in once to set their own password,
    /// enroll their own authenticator and make their own key.
    pub fn invite_user(&mut self, secrets: &dyn DeviceSecretStore, user: &User) -> Result<Invitation> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        // Someone who has their own entry on this computer is not invited again by mistake; a
        // user whose entry was lost, or whose invitation was withdrawn, is (their old keys then
        // lose all power until they accept).
        let path = self.dir.key_file();
        let has_entry = keyfile::KeyFile::load(&path)?.users.iter().any(|u| u.user == user.name);
        let accepted = self.keys()?.membership.member(&user.name).is_some_and(|m| m.accepted());
        if has_entry && accepted {
            return Err(Error::UserExists(user.name.clone()));
        }
        let code = auth::new_code()?;
        let invite_key = auth::invitation_key(&user.name, &code).verifying_key().to_bytes();
        let next = self.next_link(Statement::InviteUser {
            user: user.name.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            invite_key,
        })?;
        // What the code opens: the database key and where the chain stood. The user key in it
        // is a placeholder; the user makes their own when they accept.
        let entry = EntrySecrets {
            dek: Key32::from_bytes(*self.keys()?.dek.expose()),
            user_key: UserKeyPair::generate()?,
            second_factor: None,
            pins: Pins { chain: Some(next.pin()), ..Pins::default() },
            clinical_keys: Default::default(),
            secret_key: None,
            record_key: None,
        };
        keyfile::update(&path, |key_file| {
            let device_secret = load_required(secrets, &key_file.device_id, self.dir.root())?;
            key_file.remove_user(&user.name);
            key_file.disabled.retain(|d| *d != user.name);
            key_file.add_invitation(&user.name, &auth::invitation_password(&code), &device_secret, &entry)
        })?;
        let known = self.keys()?.membership.member(&user.name).is_some();
        let body = if known { OpenBody::UserUpdated(user.clone()) } else { OpenBody::UserAdded(user.clone()) };
        let recorded = self.commit_one_then(body, |tx| Ok((next.store(tx)?, Vec::new())));
        if let Err(error) = recorded {
            keyfile::update(&path, |key_file| Ok(key_file.remove_user(&user.name)))?;
            return Err(error);
        }
        self.adopt(next);
        log_safe!(info, "user invited", user = LoginName::of(user), role = user.role, by = LoginName::of(&self.user));
        Ok(Invitation { user: user.name.clone(), code })
    }

    /// Lets a disabled user back in (admin only): a signed link, and a new invitation (their
    /// key-file entry went when they were disabled, and the database key changed), whose code
    /// is returned to hand them.
    pub fn enable_user(&mut self, secrets: &dyn DeviceSecretStore, user_name: &str) -> Result<Invitation> {
        let user = self.set_user_disabled(user_name, false)?;
        self.invite_user(secrets, &user)
    }

    /// Lifts a lockout after too many failed logins (admin only).
    pub fn unlock_account(&mut self, secrets: &dyn DeviceSecretStore, user_name: &str) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        self.keys()?
            .membership
            .member(user_name)
            .ok_or_else(|| Error::NotFound { what: "user", id: user_name.to_string() })?;
        let lock = keyfile::lock(&self.dir.key_file())?;
        LoginGuard::new(secrets, &self.device_id).release(user_name)?;
        drop(lock);
        log_safe!(info, "account unlocked by an administrator", by = LoginName::of(&self.user));
        self.record(vec![NewEvent::admin(format!("unlocked the account of {user_name}"))])
    }

    /// A second-factor reset for a user who lost their authenticator (admin only): a signed link
    /// naming the hash of the returned one-time code. Typed where the one-time code goes at their
    /// next login (with their password), it lets them in once and they enroll a new authenticator
    /// in their own session; the administrator never sees its secret.
    pub fn reset_second_factor(&mut self, user_name: &str) -> Result<SecondFactorReset> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        let member = self.keys()?.membership.member(user_name).cloned();
        if !member.is_some_and(|m| m.accepted()) {
            return Err(Error::NotFound { what: "user", id: user_name.to_string() });
        }
        let code = auth::new_code()?;
        let statement =
            Statement::ResetSecondFactor { user: user_name.to_string(), code_hash: auth::reset_hash(user_name, &code) };
        self.append_link(statement, vec![NewEvent::admin(format!("reset the second factor of {user_name}"))], |_| {
            Ok(())
        })?;
        log_safe!(info, "second factor reset", user = LoginName::listed(user_name), by = LoginName::of(&self.user));
        Ok(SecondFactorReset { user: user_name.to_string(), code })
    }

    /// Re-seals the user's own key-file entry under a new password (new salt); the database is
    /// not re-encrypted. The old password must be given again.
    pub fn change_password(&mut self, secrets: &dyn DeviceSecretStore, old: &Password, new: &Password) -> Result<()> {
        check_password_strength(new.expose())?;
        let path = self.dir.key_file();
        let user = self.user.name.clone();
        let root = self.dir.root().to_path_buf();
        let (kek, roams) = keyfile::update(&path, |key_file| {
            let device_secret = load_required(secrets, &key_file.device_id, &root)?;
            let opened = key_file.open(&user, old, &device_secret)?;
            let kek = key_file.change_password(&user, new, &device_secret, &opened.secrets)?;
            Ok((kek, opened.secrets.secret_key.is_some()))
        })?;
        self.keys.as_mut().ok_or(Error::SessionLocked)?.kek = Some(kek);
        log_safe!(info, "password changed", user = LoginName::of(&self.user));
        self.record(vec![NewEvent::allowed(Action::Admin, None, None).with_reason("changed own password")])?;
        // A user who roams gets a new vault record version under the new password, for the sync
        // to take to the clinic's other devices.
        if roams {
            self.make_vault_record(secrets, new)?;
        }
        Ok(())
    }
}
