//! A password changed on another device, taken up here (DESIGN.md, "User key"): when a sync
//! brings a newer vault record of a user who has an entry on this computer, the session that took
//! it leaves, in `keys.json`, the record and the database key sealed to that user's X25519 key.
//! At the user's next login here, a password the entry refuses is tried on the record with their
//! Secret Key (kept here under the device secret): if it opens, and its key opens the database
//! key, the entry is sealed again under the new password. Until then the old password still opens
//! this computer.
//!
//! What this adds for someone holding the OS account and keyring: the Secret Key, with which a
//! vault record can be guessed at offline — no more than the local entry already allows (both
//! need the password; see docs/security-model.md).

use serde::{Deserialize, Serialize};

use std::path::Path;

use super::keyfile::{KeyFile, Opened};
use super::pins::{ChainPin, Pins};
use super::section_key::{unwrap_database_key, WrappedDatabaseKey};
use super::vault_record::{RecordKey, SecretKey, VaultRecord};
use super::EntrySecrets;
use crate::crypto::{self, Sealed, NONCE_LEN};
use crate::secret::{Key32, Password};
use crate::{Error, Result};

/// A user's Secret Key, sealed under a key from the device secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSecretKey {
    pub user: String,
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub sealed: Vec<u8>,
}

/// A local user's newer vault record and the database key sealed to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordUpdate {
    pub user: String,
    #[serde(with = "hex::serde")]
    pub record: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub signature: Vec<u8>,
    pub database_key: WrappedDatabaseKey,
    /// The chain head the session that left it had verified: the user's new pin.
    pub pin: ChainPin,
}

fn secret_key_key(device_secret: &Key32, device_id: &str, user: &str) -> Result<Key32> {
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(b"mamori secret key at rest v1"), device_secret.expose())
        .expand(format!("{device_id}\0{user}").as_bytes(), &mut key)
        .map_err(|_| crate::Error::InvalidState("a key could not be derived"))?;
    Ok(Key32::from_bytes(key))
}

impl KeyFile {
    /// Keeps `user`'s Secret Key here, sealed under the device secret (replacing one kept before).
    pub fn keep_secret_key(&mut self, user: &str, secret_key: &SecretKey, device_secret: &Key32) -> Result<()> {
        let key = secret_key_key(device_secret, &self.device_id, user)?;
        let sealed = crypto::seal(&key, secret_key.expose(), user.as_bytes())?;
        self.secret_keys.retain(|k| k.user != user);
        self.secret_keys.push(SealedSecretKey {
            user: user.to_owned(),
            nonce: sealed.nonce,
            sealed: sealed.ciphertext,
        });
        Ok(())
    }

    /// Keeps the Secret Key `entry` holds under the device secret too, if it is not kept yet
    /// (and saves the file at `path`), so a password changed elsewhere can be taken up here
    /// without it being typed again.
    pub fn keep_secret_key_once(
        &mut self,
        path: &Path,
        user: &str,
        entry: &EntrySecrets,
        device_secret: &Key32,
    ) -> Result<()> {
        let Some(secret_key) = entry.secret_key.as_ref() else { return Ok(()) };
        if self.secret_keys.iter().any(|k| k.user == user) {
            return Ok(());
        }
        self.keep_secret_key(user, secret_key, device_secret)?;
        self.save(path)
    }

    /// [`KeyFile::open`]; when the password is refused, [`KeyFile::take_password_update`] with it
    /// (saving the file at `path`) and the entry opened again.
    pub fn open_taking_password_update(
        &mut self,
        path: &Path,
        user: &str,
        password: &Password,
        device_secret: &Key32,
    ) -> Result<Opened> {
        let first = self.open(user, password, device_secret);
        if !matches!(first, Err(Error::WrongPassword)) || !self.take_password_update(user, password, device_secret)? {
            return first;
        }
        self.save(path)?;
        crate::log_safe!(info, "a password changed on another device was taken up");
        self.open(user, password, device_secret)
    }

    fn secret_key(&self, user: &str, device_secret: &Key32) -> Option<SecretKey> {
        let kept = self.secret_keys.iter().find(|k| k.user == user)?;
        let key = secret_key_key(device_secret, &self.device_id, user).ok()?;
        let sealed = Sealed { nonce: kept.nonce, ciphertext: kept.sealed.clone() };
        let bytes = crypto::open(&key, &sealed, user.as_bytes())?;
        Some(SecretKey::from_bytes(bytes.as_slice().try_into().ok()?))
    }

    /// Leaves `update` for its user's next login here (replacing an older one).
    pub fn add_password_update(&mut self, update: PasswordUpdate) {
        self.password_updates.retain(|u| u.user != update.user);
        self.password_updates.push(update);
    }

    /// Tries `password` on the password update left for `user`: if it opens their newer vault
    /// record (with their Secret Key kept here) and the record's key opens the database key,
    /// their entry is sealed again under it and `true` is returned. `false` when there is no
    /// update or the password does not open it. Call under the key file's lock, then save.
    pub fn take_password_update(&mut self, user: &str, password: &Password, device_secret: &Key32) -> Result<bool> {
        let Some(update) = self.password_updates.iter().find(|u| u.user == user).cloned() else { return Ok(false) };
        let Some(secret_key) = self.secret_key(user, device_secret) else { return Ok(false) };
        let Ok(record) = VaultRecord::from_parts(update.record.clone(), &update.signature) else { return Ok(false) };
        if record.user() != user {
            return Ok(false);
        }
        // Who signed it is checked against the chain once the database is open (the login
        // verifies the user key); here the record must at least be its own key's, and that key
        // must open the database key a session of this clinic sealed to the user.
        let Ok(opened) = record.open_self_signed(password, &secret_key) else { return Ok(false) };
        let Some(dek) = unwrap_database_key(&update.database_key, &self.device_id, &opened.user_key) else {
            return Ok(false);
        };
        let entry = EntrySecrets {
            dek,
            user_key: opened.user_key,
            second_factor: opened.second_factor,
            pins: Pins { chain: Some(update.pin.clone()), ..Pins::default() },
            clinical_keys: opened.clinical_keys,
            record_key: Some(RecordKey::derive(user, password, &secret_key)?),
            secret_key: Some(secret_key),
        };
        self.change_password(user, password, device_secret, &entry)?;
        self.password_updates.retain(|u| u.user != user);
        Ok(true)
    }
}
