//! The clinical section key (CSK): clinic-wide, by epoch, it seals every clinical record. It is
//! wrapped only to clinical users' X25519 public keys, never to a device or a non-clinical role,
//! with HPKE (RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305;
//! the `hpke` crate). Wraps made before it (an ephemeral X25519 agreement, HKDF-SHA256 and
//! XChaCha20-Poly1305, written out here) are still read. See docs/section-keys.md.

use std::collections::BTreeMap;

use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::crypto::{self, Sealed};
use crate::secret::Key32;
use crate::{Error, Result};

const WRAP_INFO: &[u8] = b"mamori csk wrap v1";

/// A user's X25519 key pair. The secret half lives only in the key file, sealed under the user's
/// KEK, and in the memory of their unlocked session.
pub struct UserKeyPair {
    secret: StaticSecret,
}

impl UserKeyPair {
    pub fn generate() -> Result<Self> {
        Ok(Self::from_key(&Key32::random()?))
    }

    pub fn from_key(key: &Key32) -> Self {
        Self { secret: StaticSecret::from(*key.expose()) }
    }

    /// The secret half, for sealing into the key file.
    pub fn secret_key(&self) -> Key32 {
        Key32::from_bytes(self.secret.to_bytes())
    }

    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.secret).to_bytes()
    }

    /// The user's Ed25519 key, derived from the same seed: it signs the links and changes they
    /// author.
    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        let seed = zeroize::Zeroizing::new(self.secret.to_bytes());
        let mut okm = zeroize::Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, seed.as_ref())
            .expand(b"mamori user signing key v1", okm.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        ed25519_dalek::SigningKey::from_bytes(&okm)
    }

    pub fn signing_public(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }
}

impl std::fmt::Debug for UserKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserKeyPair([redacted])")
    }
}

/// The section keys a clinical session holds, by epoch. New records are sealed under the newest.
#[derive(Debug, Default)]
pub struct SectionKeys {
    epochs: BTreeMap<u32, Key32>,
}

impl SectionKeys {
    pub fn insert(&mut self, epoch: u32, key: Key32) {
        self.epochs.insert(epoch, key);
    }

    pub fn current(&self) -> Option<(u32, &Key32)> {
        self.epochs.iter().next_back().map(|(epoch, key)| (*epoch, key))
    }

    pub fn get(&self, epoch: u32) -> Option<&Key32> {
        self.epochs.get(&epoch)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Key32)> {
        self.epochs.iter().map(|(epoch, key)| (*epoch, key))
    }

    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }
}

/// One epoch's CSK sealed to one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedSectionKey {
    pub epoch: u32,
    pub ephemeral_public: [u8; 32],
    pub sealed: Sealed,
}

/// Seals `key` so that only the holder of `recipient_public`'s secret half can open it.
pub fn wrap(key: &Key32, epoch: u32, recipient: &str, recipient_public: &[u8; 32]) -> Result<WrappedSectionKey> {
    let (ephemeral_public, sealed) = seal_to(WRAP_INFO, key, &associated_data(recipient, epoch), recipient_public)?;
    Ok(WrappedSectionKey { epoch, ephemeral_public, sealed })
}

/// Opens a wrap made for `user`; `None` when it was made for someone else or was altered.
pub fn unwrap(wrapped: &WrappedSectionKey, user: &str, pair: &UserKeyPair) -> Option<Key32> {
    let ad = associated_data(user, wrapped.epoch);
    open_from(WRAP_INFO, &wrapped.ephemeral_public, &wrapped.sealed, &ad, pair)
}

type Kem = hpke::kem::X25519HkdfSha256;

/// An HPKE wrap keeps the sealed value's nonce all zero (HPKE derives its own); a wrap of the
/// earlier construction carries a random one. That is how the two are told apart when read.
const HPKE_NONCE: [u8; crate::crypto::NONCE_LEN] = [0; crate::crypto::NONCE_LEN];

/// Seals `key` to `recipient_public` with HPKE (`info`, `ad`): the encapsulated key and the
/// sealed key.
pub(crate) fn seal_to(info: &[u8], key: &Key32, ad: &[u8], recipient_public: &[u8; 32]) -> Result<([u8; 32], Sealed)> {
    use hpke::{Deserializable, Serializable};
    let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient_public)
        .map_err(|_| Error::InvalidState("a user's public key is not a valid X25519 key"))?;
    let (encapped, ciphertext) = hpke::single_shot_seal::<hpke::aead::ChaCha20Poly1305, hpke::kdf::HkdfSha256, Kem>(
        &hpke::OpModeS::Base,
        &recipient,
        info,
        key.expose(),
        ad,
    )
    .map_err(|_| Error::SealFailed)?;
    let encapped: [u8; 32] = encapped.to_bytes().as_slice().try_into().map_err(|_| Error::SealFailed)?;
    Ok((encapped, Sealed { nonce: HPKE_NONCE, ciphertext }))
}

/// Opens what [`seal_to`] (or the earlier construction) sealed to `pair`'s public key; `None`
/// when not theirs or altered.
pub(crate) fn open_from(
    info: &[u8],
    ephemeral_public: &[u8; 32],
    sealed: &Sealed,
    ad: &[u8],
    pair: &UserKeyPair,
) -> Option<Key32> {
    use hpke::Deserializable;
    if sealed.nonce != HPKE_NONCE {
        return open_from_v1(info, ephemeral_public, sealed, ad, pair);
    }
    let secret = zeroize::Zeroizing::new(pair.secret.to_bytes());
    let recipient = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret.as_ref()).ok()?;
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(ephemeral_public).ok()?;
    let plain = hpke::single_shot_open::<hpke::aead::ChaCha20Poly1305, hpke::kdf::HkdfSha256, Kem>(
        &hpke::OpModeR::Base,
        &recipient,
        &encapped,
        info,
        &sealed.ciphertext,
        ad,
    )
    .ok()
    .map(zeroize::Zeroizing::new)?;
    Key32::from_slice(&plain)
}

/// The construction before HPKE: an ephemeral X25519 agreement, HKDF-SHA256 (`info`; salt: both
/// public keys) and XChaCha20-Poly1305. Read, never written.
fn open_from_v1(
    info: &[u8],
    ephemeral_public: &[u8; 32],
    sealed: &Sealed,
    ad: &[u8],
    pair: &UserKeyPair,
) -> Option<Key32> {
    let shared = pair.secret.diffie_hellman(&PublicKey::from(*ephemeral_public));
    if !shared.was_contributory() {
        return None;
    }
    let wrapping = wrapping_key_for(info, shared.as_bytes(), ephemeral_public, &pair.public()).ok()?;
    let plain = crypto::open(&wrapping, sealed, ad)?;
    Key32::from_slice(&plain)
}

fn wrapping_key_for(
    info: &[u8],
    shared: &[u8; 32],
    ephemeral_public: &[u8; 32],
    recipient_public: &[u8; 32],
) -> Result<Key32> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral_public);
    salt[32..].copy_from_slice(recipient_public);
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), shared).expand(info, &mut okm).map_err(|e| Error::Kdf(e.to_string()))?;
    Ok(Key32::from_bytes(okm))
}

const DEK_WRAP_INFO: &[u8] = b"mamori dek wrap v1";

/// A new database key sealed to one user's X25519 key, after the key was rotated (someone was
/// disabled): their next login opens it with their user key and re-seals their own entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrappedDatabaseKey {
    pub user: String,
    /// Which database key this is (a hash prefix, not the key): a failed rotation removes only
    /// its own updates, a completed one those it supersedes.
    pub key_id: String,
    #[serde(with = "hex::serde")]
    pub ephemeral_public: [u8; 32],
    #[serde(with = "hex::serde")]
    pub nonce: [u8; crate::crypto::NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub ciphertext: Vec<u8>,
}

fn dek_associated_data(device_id: &str, user: &str) -> Vec<u8> {
    format!("mamori-dek-wrap v1\0{device_id}\0{user}").into_bytes()
}

/// Seals `dek` so that only `user`, holding `recipient_public`'s secret half, opens it.
pub fn wrap_database_key(
    dek: &Key32,
    device_id: &str,
    user: &str,
    recipient_public: &[u8; 32],
) -> Result<WrappedDatabaseKey> {
    let ad = dek_associated_data(device_id, user);
    let (ephemeral_public, sealed) = seal_to(DEK_WRAP_INFO, dek, &ad, recipient_public)?;
    Ok(WrappedDatabaseKey {
        user: user.to_string(),
        key_id: database_key_id(dek),
        ephemeral_public,
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
    })
}

/// A database key's id: the first 8 bytes of a domain-separated SHA-256, in hex.
pub fn database_key_id(dek: &Key32) -> String {
    use sha2::Digest;
    let digest = Sha256::new().chain_update(b"mamori database key id v1\0").chain_update(dek.expose()).finalize();
    hex::encode(&digest[..8])
}

/// Opens a database key sealed to `pair`'s user; `None` when it is not theirs or was altered.
pub fn unwrap_database_key(wrapped: &WrappedDatabaseKey, device_id: &str, pair: &UserKeyPair) -> Option<Key32> {
    let sealed = Sealed { nonce: wrapped.nonce, ciphertext: wrapped.ciphertext.clone() };
    let ad = dek_associated_data(device_id, &wrapped.user);
    open_from(DEK_WRAP_INFO, &wrapped.ephemeral_public, &sealed, &ad, pair)
}

fn associated_data(user: &str, epoch: u32) -> Vec<u8> {
    format!("mamori-csk-wrap v1\0{user}\0{epoch}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_section_key_opens_only_for_its_user_and_epoch() {
        let doctor = UserKeyPair::generate().expect("pair");
        let nurse = UserKeyPair::generate().expect("pair");
        let csk = Key32::random().expect("key");
        let wrapped = wrap(&csk, 3, "doctor", &doctor.public()).expect("wrap");

        let opened = unwrap(&wrapped, "doctor", &doctor).expect("doctor opens it");
        assert_eq!(opened.expose(), csk.expose());
        assert!(unwrap(&wrapped, "doctor", &nurse).is_none(), "another user's secret key");
        assert!(unwrap(&wrapped, "nurse", &doctor).is_none(), "wrap relabelled for another user");
        let mut other_epoch = wrapped.clone();
        other_epoch.epoch = 4;
        assert!(unwrap(&other_epoch, "doctor", &doctor).is_none(), "wrap relabelled for another epoch");
        let mut flipped = wrapped.clone();
        flipped.sealed.ciphertext[0] ^= 1;
        assert!(unwrap(&flipped, "doctor", &doctor).is_none(), "altered ciphertext");
    }

    /// A wrap of the construction before HPKE, made by its recipe here, still opens.
    #[test]
    fn a_wrap_made_before_hpke_still_opens_and_new_ones_are_hpke() {
        let doctor = UserKeyPair::generate().expect("pair");
        let csk = Key32::random().expect("key");
        let ephemeral = StaticSecret::from([5u8; 32]);
        let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
        let shared = ephemeral.diffie_hellman(&PublicKey::from(doctor.public()));
        let wrapping =
            wrapping_key_for(WRAP_INFO, shared.as_bytes(), &ephemeral_public, &doctor.public()).expect("kdf");
        let sealed = crypto::seal(&wrapping, csk.expose(), &associated_data("doctor", 1)).expect("seal");
        let old = WrappedSectionKey { epoch: 1, ephemeral_public, sealed };
        assert_eq!(unwrap(&old, "doctor", &doctor).map(|k| *k.expose()), Some(*csk.expose()));
        let new = wrap(&csk, 1, "doctor", &doctor.public()).expect("wrap");
        assert_eq!(new.sealed.nonce, HPKE_NONCE, "new wraps are HPKE");
        assert_eq!(new.sealed.ciphertext.len(), 32 + 16, "the key and ChaCha20-Poly1305's tag");
    }

    #[test]
    fn a_rotated_database_key_opens_only_for_its_user_on_its_device() {
        let nurse = UserKeyPair::generate().expect("pair");
        let dek = Key32::random().expect("key");
        let wrapped = wrap_database_key(&dek, "device-1", "nurse", &nurse.public()).expect("wrap");
        assert_eq!(unwrap_database_key(&wrapped, "device-1", &nurse).map(|k| *k.expose()), Some(*dek.expose()));
        assert!(unwrap_database_key(&wrapped, "device-2", &nurse).is_none(), "another device");
        assert!(unwrap_database_key(&wrapped, "device-1", &UserKeyPair::generate().expect("pair")).is_none());
        let mut relabelled = wrapped.clone();
        relabelled.user = "doctor".into();
        assert!(unwrap_database_key(&relabelled, "device-1", &nurse).is_none(), "relabelled for another user");
    }

    #[test]
    fn a_user_key_pair_survives_being_stored_as_its_secret_key() {
        let pair = UserKeyPair::generate().expect("pair");
        let again = UserKeyPair::from_key(&pair.secret_key());
        assert_eq!(pair.public(), again.public());
        assert_eq!(format!("{pair:?}"), "UserKeyPair([redacted])");
    }

    #[test]
    fn the_signing_key_follows_from_the_seed_and_differs_from_the_agreement_key() {
        let pair = UserKeyPair::generate().expect("pair");
        let again = UserKeyPair::from_key(&pair.secret_key());
        assert_eq!(pair.signing_public(), again.signing_public());
        assert_ne!(pair.signing_public(), pair.public());
        assert_ne!(pair.signing_public(), UserKeyPair::generate().expect("pair").signing_public());
    }

    #[test]
    fn the_newest_epoch_is_current() {
        let mut keys = SectionKeys::default();
        assert!(keys.current().is_none());
        keys.insert(2, Key32::from_bytes([2; 32]));
        keys.insert(1, Key32::from_bytes([1; 32]));
        assert_eq!(keys.current().map(|(epoch, key)| (epoch, key.expose()[0])), Some((2, 2)));
        assert_eq!(keys.get(1).map(|key| key.expose()[0]), Some(1));
    }
}
