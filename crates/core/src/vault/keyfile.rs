//! The key file beside the database (`keys.json`, v2): one sealed entry per local user. Each
//! entry is one XChaCha20-Poly1305 ciphertext under that user's KEK (password + device secret)
//! holding the database key, the user's key seed, their second factor and their pins
//! (`vault::entry`); the file's format, version, device id, the user's name and the password
//! hashing costs are its associated data. Nothing in it is usable, or can be edited unnoticed,
//! without both a user's password and this computer's device secret.
//!
//! Entries written by key file v1 (`vault::keyfile_v1`) are still read; each is re-sealed as a
//! v2 entry at its user's next login.
//!
//! Every change goes through [`update`], which holds an exclusive lock on `keys.json.lock` from
//! reading to writing, so two processes (the desktop app and the CLI) never lose each other's
//! changes and never both accept one one-time code.

use std::fs::File;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::entry::EntrySecrets;
use super::kdf::{derive_kek, KdfParams};
use super::keyfile_v1::LegacyEntry;
use super::password_updates::{PasswordUpdate, SealedSecretKey};
use super::section_key::WrappedDatabaseKey;
use crate::crypto::{self, Sealed, NONCE_LEN};
use crate::secret::{Key32, Password};
use crate::{fsutil, Error, Result};

pub const FORMAT: &str = "mamori-keyfile";
pub const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    pub version: u32,
    /// Names the device secret in the keyring. Not secret; bound into every entry.
    pub device_id: String,
    pub users: Vec<SealedEntry>,
    /// Entries written by key file v1, waiting for their user's next login.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legacy_users: Vec<LegacyEntry>,
    /// Open invitations: the database key and the chain pin, sealed under a KEK from the
    /// invitation code (instead of a password); replaced by the user's own entry when accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<SealedEntry>,
    /// After the database key was rotated (someone was disabled): the new key sealed to each
    /// remaining user's X25519 key; their next login takes it into their own entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub database_key_updates: Vec<WrappedDatabaseKey>,
    /// Users disabled on this device (their entries were removed): only so their login says
    /// "disabled" rather than "wrong password". Not trusted for anything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    /// Local users' Secret Keys, sealed under the device secret (`password_updates.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_keys: Vec<SealedSecretKey>,
    /// Local users' newer vault records from other devices, waiting for their next login here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_updates: Vec<PasswordUpdate>,
}

/// One user's sealed entry.
#[derive(Debug, Serialize, Deserialize)]
pub struct SealedEntry {
    pub user: String,
    pub kdf: KdfParams,
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub sealed: Vec<u8>,
}

/// What a password opens: the entry's secrets, and the KEK that re-seals them (kept by the
/// session so that pins move at lock and logout without asking for the password again).
#[derive(Debug)]
pub struct Opened {
    pub kek: Key32,
    pub secrets: EntrySecrets,
    /// The entry was written by key file v1 and is re-sealed as v2 at this login.
    pub legacy: bool,
}

impl KeyFile {
    pub fn new(device_id: impl Into<String>) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            device_id: device_id.into(),
            users: Vec::new(),
            legacy_users: Vec::new(),
            invitations: Vec::new(),
            database_key_updates: Vec::new(),
            disabled: Vec::new(),
            secret_keys: Vec::new(),
            password_updates: Vec::new(),
        }
    }

    /// Reads a v2 file, or a v1 file whose entries become legacy entries.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        let invalid = |reason: String| Error::KeyFileInvalid { path: path.to_path_buf(), reason };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not JSON ({e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(invalid("it does not say it is a Mamori key file".into()));
        }
        let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        let file = match found {
            1 => super::keyfile_v1::load(value).map_err(|e| invalid(e.to_string()))?,
            2 => serde_json::from_value::<KeyFile>(value).map_err(|e| invalid(e.to_string()))?,
            _ => {
                return Err(Error::KeyFileVersion {
                    path: path.to_path_buf(),
                    found: u32::try_from(found).unwrap_or(u32::MAX),
                    supported: VERSION,
                })
            }
        };
        for kdf in file.users.iter().map(|u| &u.kdf).chain(file.legacy_users.iter().map(|u| &u.kdf)) {
            kdf.check().map_err(invalid)?;
        }
        for kdf in file.invitations.iter().map(|u| &u.kdf) {
            kdf.check().map_err(invalid)?;
        }
        let mut names: Vec<&str> = file
            .users
            .iter()
            .map(|u| u.user.as_str())
            .chain(file.legacy_users.iter().map(|u| u.user.as_str()))
            .collect();
        let mut invited: Vec<&str> = file.invitations.iter().map(|u| u.user.as_str()).collect();
        names.sort_unstable();
        invited.sort_unstable();
        if names.windows(2).chain(invited.windows(2)).any(|pair| pair[0] == pair[1]) {
            return Err(invalid("a user has two entries".into()));
        }
        Ok(file)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::KeyFileInvalid { path: path.to_path_buf(), reason: e.to_string() })?;
        fsutil::write_atomically(path, &json)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.users
            .iter()
            .map(|u| u.user.as_str())
            .chain(self.legacy_users.iter().map(|u| u.user.as_str()))
            .chain(self.invitations.iter().map(|u| u.user.as_str()))
    }

    /// True when `user` has an entry (their own, or an open invitation).
    pub fn has_user(&self, user: &str) -> bool {
        self.names().any(|name| name == user)
    }

    /// Seals an invitation for `user` under a KEK from the invitation code.
    pub fn add_invitation(
        &mut self,
        user: &str,
        code: &Password,
        device_secret: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<()> {
        if self.has_user(user) {
            return Err(Error::UserExists(user.to_string()));
        }
        let kdf = KdfParams::recommended()?;
        let kek = derive_kek(code, &kdf, device_secret, user)?;
        let entry = self.seal_as(INVITATION, user, kdf, &kek, secrets)?;
        self.invitations.push(entry);
        Ok(())
    }

    /// Opens `user`'s open invitation with its code (the same cost whether there is one or not).
    pub fn open_invitation(&self, user: &str, code: &Password, device_secret: &Key32) -> Result<EntrySecrets> {
        let Some(entry) = self.invitations.iter().find(|u| u.user == user) else {
            derive_kek(code, &KdfParams::recommended()?, device_secret, user)?;
            return Err(Error::WrongPassword);
        };
        let kek = derive_kek(code, &entry.kdf, device_secret, user)?;
        self.open_as(INVITATION, entry, &kek)
    }

    /// Adds `user`'s own entry, under the password they chose, beside their open invitation;
    /// returns its KEK. [`KeyFile::close_invitation_accepted`] then keeps one of the two.
    pub fn add_accepted(
        &mut self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<Key32> {
        if !self.invitations.iter().any(|u| u.user == user) || self.users.iter().any(|u| u.user == user) {
            return Err(Error::NotFound { what: "user", id: user.to_string() });
        }
        let (entry, kek) = self.seal_under_password(user, password, device_secret, secrets)?;
        self.users.push(entry);
        Ok(kek)
    }

    /// Once the acceptance has committed (`accepted`), drops the invitation; otherwise drops the
    /// new entry and keeps the invitation for another try.
    pub fn close_invitation_accepted(&mut self, user: &str, accepted: bool) {
        if accepted {
            self.invitations.retain(|u| u.user != user);
        } else {
            self.users.retain(|u| u.user != user);
        }
    }

    /// Seals a new user's entry under their password; returns their KEK.
    pub fn add_user(
        &mut self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<Key32> {
        if self.has_user(user) {
            return Err(Error::UserExists(user.to_string()));
        }
        let (entry, kek) = self.seal_under_password(user, password, device_secret, secrets)?;
        self.users.push(entry);
        Ok(kek)
    }

    /// Opens `user`'s entry with their password. Unknown users cost the same time as known ones,
    /// so the answer does not tell which user names exist.
    pub fn open(&self, user: &str, password: &Password, device_secret: &Key32) -> Result<Opened> {
        if let Some(entry) = self.users.iter().find(|u| u.user == user) {
            let kek = derive_kek(password, &entry.kdf, device_secret, user)?;
            let secrets = self.open_entry(entry, &kek)?;
            return Ok(Opened { kek, secrets, legacy: false });
        }
        if let Some(entry) = self.legacy_users.iter().find(|u| u.user == user) {
            let kek = derive_kek(password, &entry.kdf, device_secret, user)?;
            let secrets = entry.open(&self.device_id, &kek)?;
            return Ok(Opened { kek, secrets, legacy: true });
        }
        let decoy = KdfParams::recommended()?;
        derive_kek(password, &decoy, device_secret, user)?;
        Err(if self.disabled.iter().any(|d| d == user) { Error::AccountDisabled } else { Error::WrongPassword })
    }

    /// Opens `user`'s v2 entry with a KEK their session kept.
    pub fn open_with_kek(&self, user: &str, kek: &Key32) -> Result<EntrySecrets> {
        let entry = self.users.iter().find(|u| u.user == user).ok_or(Error::InvalidState(
            "your key-file entry is gone from keys.json; this session cannot save what it verified",
        ))?;
        self.open_entry(entry, kek)
    }

    /// Replaces `user`'s entry (v2 or legacy) with `secrets` sealed under `kek`, keeping the
    /// password hashing parameters the KEK was derived with.
    pub fn reseal(&mut self, user: &str, kek: &Key32, secrets: &EntrySecrets) -> Result<()> {
        let kdf = match (self.users.iter().find(|u| u.user == user), self.legacy_users.iter().find(|u| u.user == user))
        {
            (Some(entry), _) => entry.kdf.clone(),
            (None, Some(legacy)) => legacy.kdf.clone(),
            (None, None) => return Err(Error::NotFound { what: "user", id: user.to_string() }),
        };
        let entry = self.seal(user, kdf, kek, secrets)?;
        self.legacy_users.retain(|u| u.user != user);
        match self.users.iter_mut().find(|u| u.user == user) {
            Some(slot) => *slot = entry,
            None => self.users.push(entry),
        }
        Ok(())
    }

    /// Seals `secrets` under a new password (new salt); returns the new KEK.
    pub fn change_password(
        &mut self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<Key32> {
        if !self.users.iter().any(|u| u.user == user) {
            return Err(Error::NotFound { what: "user", id: user.to_string() });
        }
        let (entry, kek) = self.seal_under_password(user, password, device_secret, secrets)?;
        if let Some(slot) = self.users.iter_mut().find(|u| u.user == user) {
            *slot = entry;
        }
        Ok(kek)
    }

    /// Removes `user`'s entry or invitation; true when there was one.
    pub fn remove_user(&mut self, user: &str) -> bool {
        let count = |f: &Self| f.users.len() + f.legacy_users.len() + f.invitations.len();
        let before = count(self);
        self.users.retain(|u| u.user != user);
        self.legacy_users.retain(|u| u.user != user);
        self.invitations.retain(|u| u.user != user);
        before != count(self)
    }

    /// Seals `secrets` under a KEK from `password` with fresh Argon2 costs and salt.
    fn seal_under_password(
        &self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<(SealedEntry, Key32)> {
        let kdf = KdfParams::recommended()?;
        let kek = derive_kek(password, &kdf, device_secret, user)?;
        let entry = self.seal(user, kdf, &kek, secrets)?;
        Ok((entry, kek))
    }

    fn seal(&self, user: &str, kdf: KdfParams, kek: &Key32, secrets: &EntrySecrets) -> Result<SealedEntry> {
        self.seal_as(USER, user, kdf, kek, secrets)
    }

    fn seal_as(
        &self,
        kind: &str,
        user: &str,
        kdf: KdfParams,
        kek: &Key32,
        secrets: &EntrySecrets,
    ) -> Result<SealedEntry> {
        let sealed = crypto::seal(kek, &secrets.encode()?, &associated_data(kind, &self.device_id, user, &kdf))?;
        Ok(SealedEntry { user: user.to_string(), kdf, nonce: sealed.nonce, sealed: sealed.ciphertext })
    }

    fn open_entry(&self, entry: &SealedEntry, kek: &Key32) -> Result<EntrySecrets> {
        self.open_as(USER, entry, kek)
    }

    fn open_as(&self, kind: &str, entry: &SealedEntry, kek: &Key32) -> Result<EntrySecrets> {
        let sealed = Sealed { nonce: entry.nonce, ciphertext: entry.sealed.clone() };
        let plain = crypto::open(kek, &sealed, &associated_data(kind, &self.device_id, &entry.user, &entry.kdf))
            .ok_or(Error::WrongPassword)?;
        EntrySecrets::decode(&plain).ok_or_else(|| Error::KeyFileInvalid {
            path: std::path::PathBuf::from("keys.json"),
            reason: format!("the entry of {} opens but is not readable by this version", entry.user),
        })
    }
}

/// A user's own entry, and an invitation's: each kind's associated data says which it is, so an
/// invitation cannot be moved into the users' list or back.
const USER: &str = "";
const INVITATION: &str = " invitation";

/// Binds an entry to its file format and version, its kind, this device, its user and its
/// password costs.
fn associated_data(kind: &str, device_id: &str, user: &str, kdf: &KdfParams) -> Vec<u8> {
    let salt = hex::encode(kdf.salt);
    format!(
        "{FORMAT} v{VERSION}{kind}\0{device_id}\0{user}\0argon2id m={} t={} p={} salt={salt}",
        kdf.memory_kib, kdf.passes, kdf.lanes
    )
    .into_bytes()
}

/// Reads `keys.json`, lets `change` edit it, and writes it back, all under an exclusive lock that
/// every Mamori process on this computer takes. Nothing is written when `change` fails.
pub fn update<T>(path: &Path, change: impl FnOnce(&mut KeyFile) -> Result<T>) -> Result<T> {
    let _lock = lock(path)?;
    let mut file = KeyFile::load(path)?;
    let value = change(&mut file)?;
    file.save(path)?;
    Ok(value)
}

/// Holds the key file's lock until dropped (for reading and deciding under one lock).
pub struct KeyFileLock {
    _file: File,
}

pub fn lock(path: &Path) -> Result<KeyFileLock> {
    let lock_path = path.with_extension("json.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(Error::io("open", &lock_path))?;
    file.lock().map_err(Error::io("lock", &lock_path))?;
    Ok(KeyFileLock { _file: file })
}

#[cfg(test)]
mod tests;
