//! What one user's sealed key-file entry holds once their password has opened it: the database
//! key, their user key seed, their second factor, their pins and (for clinicians) the clinical
//! key epochs they accepted. One AEAD seals all of it, so no part can be swapped, dropped or
//! rolled forward without the user's password.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::kdf::KdfParams;
use super::pins::Pins;
use super::section_key::{SectionKeys, UserKeyPair};
use super::vault_record::{RecordKey, SecretKey};
use crate::auth::SecondFactorState;
use crate::secret::Key32;
use crate::{Error, Result};

/// The opened entry. Secrets are wiped when it drops.
#[derive(Debug)]
pub struct EntrySecrets {
    pub dek: Key32,
    pub user_key: UserKeyPair,
    /// `None` only while an administrator's reset (or an entry from key file v1) waits in the
    /// database to be taken up at the user's next login.
    pub second_factor: Option<SecondFactorState>,
    pub pins: Pins,
    /// The clinical section keys this clinician accepted (each checked against its epoch's
    /// signed commitment when taken up), so deleting their wraps from the database takes
    /// nothing from them.
    pub clinical_keys: SectionKeys,
    /// The user's Secret Key, once they have one: mixed with their password into the key of
    /// their vault record (`vault_record.rs`), which lets them log in on other devices.
    pub secret_key: Option<SecretKey>,
    /// The key their vault record is sealed under (from password and Secret Key).
    pub record_key: Option<RecordKey>,
}

/// One accepted clinical key in the sealed plaintext.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct PlainClinicalKey {
    epoch: u32,
    key: String,
}

/// The sealed plaintext: JSON, secrets as hex, wiped on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Plain {
    dek: String,
    user_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second_factor: Option<SecondFactorState>,
    #[zeroize(skip)]
    #[serde(default)]
    pins: Pins,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    clinical_keys: Vec<PlainClinicalKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
    #[zeroize(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_key: Option<PlainRecordKey>,
}

/// The record key in the sealed plaintext.
#[derive(Serialize, Deserialize)]
struct PlainRecordKey {
    key: String,
    kdf: KdfParams,
}

impl Drop for PlainRecordKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl EntrySecrets {
    pub(super) fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let plain = Plain {
            dek: self.dek.to_hex().to_string(),
            user_key: self.user_key.secret_key().to_hex().to_string(),
            second_factor: self.second_factor.as_ref().map(SecondFactorState::duplicate),
            pins: self.pins.clone(),
            clinical_keys: self
                .clinical_keys
                .iter()
                .map(|(epoch, key)| PlainClinicalKey { epoch, key: key.to_hex().to_string() })
                .collect(),
            secret_key: self.secret_key.as_ref().map(|k| hex::encode(k.expose())),
            record_key: self
                .record_key
                .as_ref()
                .map(|k| PlainRecordKey { key: k.key.to_hex().to_string(), kdf: k.kdf.clone() }),
        };
        serde_json::to_vec(&plain)
            .map(Zeroizing::new)
            .map_err(|_| Error::InvalidState("a key-file entry could not be encoded"))
    }

    /// `None` when the bytes are not an entry (they opened, so only a bug or a newer writer).
    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut plain: Plain = serde_json::from_slice(bytes).ok()?;
        let key = |text: &str| hex::decode(text).ok().map(Zeroizing::new).and_then(|b| Key32::from_slice(&b));
        let dek = key(&plain.dek)?;
        let user_key = UserKeyPair::from_key(&key(&plain.user_key)?);
        let mut clinical_keys = SectionKeys::default();
        for accepted in &plain.clinical_keys {
            clinical_keys.insert(accepted.epoch, key(&accepted.key)?);
        }
        let secret_key = match &plain.secret_key {
            None => None,
            Some(text) => {
                let bytes = Zeroizing::new(hex::decode(text).ok()?);
                Some(SecretKey::from_bytes(bytes.as_slice().try_into().ok()?))
            }
        };
        let record_key = match plain.record_key.take() {
            None => None,
            Some(kept) => Some(RecordKey { key: key(&kept.key)?, kdf: kept.kdf.clone() }),
        };
        Some(Self {
            dek,
            user_key,
            second_factor: plain.second_factor.take(),
            pins: std::mem::take(&mut plain.pins),
            clinical_keys,
            secret_key,
            record_key,
        })
    }
}
