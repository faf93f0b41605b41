//! A user's vault record: what lets them log in on any enrolled device — their user key seed and
//! their second factor — sealed under a key that only their password *and* their Secret Key make
//! (1Password's two-secret design), and signed by their user key. The server and every colleague
//! may hold it: without the Secret Key (128 random bits, printed on the user's kit and typed once
//! on each new device) nobody can guess the password from it offline.
//!
//! Format 1 (`bytes`, which the signature covers after [`SIGN_DOMAIN`]):
//! `[0x01] [user: u8 length + UTF-8] [version u64] [Argon2id memory KiB u32, passes u32, lanes u32,
//! salt 16] [nonce 24] [ciphertext length u32] [XChaCha20-Poly1305 ciphertext]`, the ciphertext's
//! associated data being every byte before it. Inside: JSON `{user_key, second_factor,
//! clinical_keys}`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::kdf::{derive_kek, KdfParams};
use super::section_key::{SectionKeys, UserKeyPair};
use crate::auth::SecondFactorState;
use crate::secret::{fill_random, Key32, Password};
use crate::{Error, Result};

const FORMAT: u8 = 1;
/// What a user key's signature on a vault record covers first.
pub const SIGN_DOMAIN: &[u8] = b"mamori-vault-record-v1/sign\0";
/// Largest record accepted (a second factor with its recovery hashes fits in far less).
pub const MAX_RECORD_BYTES: usize = 8 * 1024;

/// A user's Secret Key: 16 random bytes, shown as `MSK1-` and 26 base32 characters in groups.
pub struct SecretKey(Zeroizing<[u8; 16]>);

impl SecretKey {
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 16]);
        fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// Reads a Secret Key as printed: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self> {
        let cleaned: String =
            text.trim().to_ascii_uppercase().chars().filter(|c| !matches!(c, '-' | ' ')).collect::<String>();
        let body = cleaned.strip_prefix("MSK1").ok_or(Error::SecretKeyInvalid)?;
        let decoded = data_encoding::BASE32_NOPAD.decode(body.as_bytes()).map_err(|_| Error::SecretKeyInvalid)?;
        let bytes: [u8; 16] = decoded.as_slice().try_into().map_err(|_| Error::SecretKeyInvalid)?;
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// As printed on the user's kit.
    pub fn to_text(&self) -> Zeroizing<String> {
        let body = data_encoding::BASE32_NOPAD.encode(self.0.as_ref());
        let groups: Vec<&str> = body.as_bytes().chunks(6).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        Zeroizing::new(format!("MSK1-{}", groups.join("-")))
    }

    pub(crate) fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn expose(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32 bytes mixed into the record key (the KDF's salt slot takes a 32-byte key).
    fn as_key(&self) -> Key32 {
        let digest: [u8; 32] =
            Sha256::new().chain_update(b"mamori secret key v1\0").chain_update(*self.0).finalize().into();
        Key32::from_bytes(digest)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// The key a user's records are sealed under, with the password hashing costs that made it from
/// their password and Secret Key. Kept in their sealed key-file entry, so their session can seal
/// a new version (new clinical keys) without asking for the password.
pub struct RecordKey {
    pub key: Key32,
    pub kdf: KdfParams,
}

impl RecordKey {
    pub fn derive(user: &str, password: &Password, secret_key: &SecretKey) -> Result<Self> {
        let kdf = KdfParams::recommended()?;
        let key = derive_kek(password, &kdf, &secret_key.as_key(), user)?;
        Ok(Self { key, kdf })
    }

    pub fn duplicate(&self) -> Self {
        Self { key: Key32::from_bytes(*self.key.expose()), kdf: self.kdf.clone() }
    }
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(…)")
    }
}

/// What a vault record opens to.
pub struct VaultSecrets {
    pub user_key: UserKeyPair,
    pub second_factor: Option<SecondFactorState>,
    /// The clinical section keys a clinician had accepted when the record was sealed (each is
    /// checked again against its epoch's signed commitment when taken up on a device).
    pub clinical_keys: SectionKeys,
}

#[derive(Serialize, Deserialize)]
struct Plain {
    user_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second_factor: Option<SecondFactorState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    clinical_keys: Vec<(u32, String)>,
}

/// A sealed, signed vault record, as exact bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRecord {
    bytes: Vec<u8>,
    signature: [u8; 64],
    user: String,
    version: u64,
    params: KdfParams,
    nonce: [u8; 24],
    body_at: usize,
}

impl VaultRecord {
    /// Seals `secrets` for `user` as `version` under `password` and `secret_key`, signed by the
    /// user key inside.
    pub fn seal(
        user: &str,
        version: u64,
        secrets: &VaultSecrets,
        password: &Password,
        secret_key: &SecretKey,
    ) -> Result<Self> {
        Self::seal_under(user, version, secrets, &RecordKey::derive(user, password, secret_key)?)
    }

    /// [`VaultRecord::seal`] under a record key already derived.
    pub fn seal_under(user: &str, version: u64, secrets: &VaultSecrets, record_key: &RecordKey) -> Result<Self> {
        let (key, params) = (&record_key.key, &record_key.kdf);
        let mut nonce = [0u8; 24];
        fill_random(&mut nonce)?;
        let mut bytes = header(user, version, params, &nonce)?;
        let plain = Plain {
            user_key: secrets.user_key.secret_key().to_hex().to_string(),
            second_factor: secrets.second_factor.as_ref().map(SecondFactorState::duplicate),
            clinical_keys: secrets.clinical_keys.iter().map(|(epoch, key)| (epoch, key.to_hex().to_string())).collect(),
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&plain).map_err(|_| Error::InvalidState("a vault record could not be encoded"))?,
        );
        let cipher = XChaCha20Poly1305::new(key.expose().into());
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: &json, aad: &bytes })
            .map_err(|_| Error::InvalidState("a vault record could not be sealed"))?;
        bytes.extend_from_slice(&u32::try_from(sealed.len()).unwrap_or(u32::MAX).to_be_bytes());
        bytes.extend_from_slice(&sealed);
        let signature = secrets.user_key.signing_key().sign(&signed_message(&bytes)).to_bytes();
        Self::from_parts(bytes, &signature)
    }

    /// Reads a record from its bytes and signature (checks the form, not the signature).
    pub fn from_parts(bytes: Vec<u8>, signature: &[u8]) -> Result<Self> {
        let bad = || Error::VaultRecordInvalid;
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(bad());
        }
        let signature: [u8; 64] = signature.try_into().map_err(|_| bad())?;
        let mut r = Reader { bytes: &bytes, at: 0 };
        if r.take(1)? != [FORMAT] {
            return Err(bad());
        }
        let user_len = usize::from(r.take(1)?[0]);
        let user = std::str::from_utf8(r.take(user_len)?).map_err(|_| bad())?.to_owned();
        let version = u64::from_be_bytes(r.array()?);
        // Versions are kept as SQL integers everywhere: one out of their range is malformed.
        if i64::try_from(version).is_err() {
            return Err(bad());
        }
        let memory_kib = u32::from_be_bytes(r.array()?);
        let passes = u32::from_be_bytes(r.array()?);
        let lanes = u32::from_be_bytes(r.array()?);
        let salt: [u8; 16] = r.array()?;
        let nonce: [u8; 24] = r.array()?;
        let body_at = r.at;
        let length = u32::from_be_bytes(r.array()?) as usize;
        r.take(length)?;
        if r.at != bytes.len() || user.is_empty() {
            return Err(bad());
        }
        let params = KdfParams { memory_kib, passes, lanes, salt };
        params.check().map_err(|_| bad())?;
        Ok(Self { bytes, signature, user, version, params, nonce, body_at })
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// Whether `signing_key` (the user's key, from the verified chain) signed these exact bytes.
    pub fn signed_by(&self, signing_key: &[u8; 32]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(signing_key) else { return false };
        key.verify(&signed_message(&self.bytes), &Signature::from_bytes(&self.signature)).is_ok()
    }

    /// Opens the record with the user's password and Secret Key. It counts only if the key
    /// inside is `signing_key` (the user's key in the verified chain) and that key signed it:
    /// a record sealed by someone else, or for someone else, is refused.
    pub fn open(&self, password: &Password, secret_key: &SecretKey, signing_key: &[u8; 32]) -> Result<VaultSecrets> {
        if !self.signed_by(signing_key) {
            return Err(Error::VaultRecordInvalid);
        }
        let opened = self.decrypt(password, secret_key)?;
        if opened.user_key.signing_public() != *signing_key {
            return Err(Error::VaultRecordInvalid);
        }
        Ok(opened)
    }

    /// Opens the record where the chain is not at hand yet (a login before the database is
    /// open): it must be signed by the key inside it; the caller checks that key against the
    /// chain as soon as it can.
    pub fn open_self_signed(&self, password: &Password, secret_key: &SecretKey) -> Result<VaultSecrets> {
        let opened = self.decrypt(password, secret_key)?;
        if !self.signed_by(&opened.user_key.signing_public()) {
            return Err(Error::VaultRecordInvalid);
        }
        Ok(opened)
    }

    fn decrypt(&self, password: &Password, secret_key: &SecretKey) -> Result<VaultSecrets> {
        let key = derive_kek(password, &self.params, &secret_key.as_key(), &self.user)?;
        let cipher = XChaCha20Poly1305::new(key.expose().into());
        let aad = &self.bytes[..self.body_at];
        let sealed = &self.bytes[self.body_at + 4..];
        let json = Zeroizing::new(
            cipher
                .decrypt(&XNonce::from(self.nonce), Payload { msg: sealed, aad })
                .map_err(|_| Error::WrongPassword)?,
        );
        let plain: Plain = serde_json::from_slice(&json).map_err(|_| Error::VaultRecordInvalid)?;
        let seed = Zeroizing::new(hex::decode(&plain.user_key).map_err(|_| Error::VaultRecordInvalid)?);
        let user_key = UserKeyPair::from_key(&Key32::from_slice(&seed).ok_or(Error::VaultRecordInvalid)?);
        let mut clinical_keys = SectionKeys::default();
        for (epoch, key) in &plain.clinical_keys {
            let bytes = Zeroizing::new(hex::decode(key).map_err(|_| Error::VaultRecordInvalid)?);
            clinical_keys.insert(*epoch, Key32::from_slice(&bytes).ok_or(Error::VaultRecordInvalid)?);
        }
        Ok(VaultSecrets { user_key, second_factor: plain.second_factor, clinical_keys })
    }
}

/// Reads the record's fields in order; any shortfall is a malformed record.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let part = self.bytes.get(self.at..self.at + n).ok_or(Error::VaultRecordInvalid)?;
        self.at += n;
        Ok(part)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| Error::VaultRecordInvalid)
    }
}

fn header(user: &str, version: u64, params: &KdfParams, nonce: &[u8; 24]) -> Result<Vec<u8>> {
    let name = u8::try_from(user.len()).map_err(|_| Error::VaultRecordInvalid)?;
    let mut out = vec![FORMAT, name];
    out.extend_from_slice(user.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    for n in [params.memory_kib, params.passes, params.lanes] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(&params.salt);
    out.extend_from_slice(nonce);
    Ok(out)
}

fn signed_message(bytes: &[u8]) -> Vec<u8> {
    let mut message = SIGN_DOMAIN.to_vec();
    message.extend_from_slice(bytes);
    message
}

#[cfg(test)]
mod tests;
