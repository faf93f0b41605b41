//! Entries of key file v1 (`frozen_formats::key_file`): the database key and the user's X25519
//! secret, each sealed under the user's KEK. Read only; each is re-sealed as a v2 entry at its
//! user's next login. A v1 entry without a user key is refused: a new key pair would silently
//! lose every clinical key wrapped to the old one (the issue 9 review), so the user is invited
//! again instead.

use serde::{Deserialize, Serialize};

use super::entry::EntrySecrets;
use super::kdf::KdfParams;
use super::pins::Pins;
use super::section_key::UserKeyPair;
use crate::crypto::{self, Sealed, NONCE_LEN};
use crate::secret::Key32;
use crate::{Error, Result};

const AD_PREFIX: &str = "mamori-keyfile v1";

/// One v1 entry, as written.
#[derive(Debug, Serialize, Deserialize)]
pub struct LegacyEntry {
    pub user: String,
    pub kdf: KdfParams,
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub wrapped_key: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<LegacyUserKey>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LegacyUserKey {
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub ciphertext: Vec<u8>,
}

#[derive(Deserialize)]
struct FileV1 {
    device_id: String,
    users: Vec<LegacyEntry>,
}

/// A v1 file as a v2 file whose users all wait to be re-sealed.
pub(super) fn load(value: serde_json::Value) -> std::result::Result<super::KeyFile, serde_json::Error> {
    let file: FileV1 = serde_json::from_value(value)?;
    let mut converted = super::KeyFile::new(file.device_id);
    converted.legacy_users = file.users;
    Ok(converted)
}

impl LegacyEntry {
    /// The entry's keys, as v2 secrets with no second factor (it waits in the database) and no
    /// pins yet.
    pub(super) fn open(&self, device_id: &str, kek: &Key32) -> Result<EntrySecrets> {
        let ad = format!("{AD_PREFIX}\0{device_id}\0{}", self.user);
        let sealed = Sealed { nonce: self.nonce, ciphertext: self.wrapped_key.clone() };
        let plain = crypto::open(kek, &sealed, ad.as_bytes()).ok_or(Error::WrongPassword)?;
        let dek = Key32::from_slice(&plain).ok_or(Error::WrongPassword)?;
        let invalid = |reason: &str| Error::KeyFileInvalid {
            path: std::path::PathBuf::from("keys.json"),
            reason: format!("the entry of {} {reason}; an administrator must invite this user again", self.user),
        };
        let wrapped = self.user_key.as_ref().ok_or_else(|| invalid("has no user key"))?;
        let sealed = Sealed { nonce: wrapped.nonce, ciphertext: wrapped.ciphertext.clone() };
        let plain = crypto::open(kek, &sealed, format!("{ad}\0user-key").as_bytes())
            .ok_or_else(|| invalid("holds a user key its password does not open"))?;
        let key = Key32::from_slice(&plain).ok_or_else(|| invalid("holds a damaged user key"))?;
        Ok(EntrySecrets {
            dek,
            user_key: UserKeyPair::from_key(&key),
            second_factor: None,
            pins: Pins::default(),
            clinical_keys: Default::default(),
            secret_key: None,
            record_key: None,
        })
    }
}
