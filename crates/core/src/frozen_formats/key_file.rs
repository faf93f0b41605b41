//! `keys.json`, v1 (`vault::keyfile`): the database key wrapped once per local user.
//!
//! ```text
//! KEK         = HKDF-SHA256(salt = device secret, ikm = Argon2id(password, kdf.salt, kdf costs, 32 bytes),
//!                           info = "mamori kek v1" 0 user)
//! wrapped_key = XChaCha20-Poly1305(KEK, nonce, DEK, ad = "mamori-keyfile v1" 0 device_id 0 user)
//! user_key    = XChaCha20-Poly1305(KEK, user_key.nonce, X25519 secret, ad = … 0 user 0 "user-key")
//! ```
//!
//! Fixture: `keys_v1.json` with two users: `doctor` with a user key, and `reception` as an entry
//! written before user keys existed (no `user_key`). Its passwords, device secret and the keys it
//! wraps are in `keys_v1_inputs.json`.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::hex_array;
use crate::secret::{Key32, Password};
use crate::vault::{KeyFile, UserKeyPair};
use crate::Error;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys_v1.json");
const INPUTS: &str = include_str!("../../tests/fixtures/keys_v1_inputs.json");

#[derive(Deserialize)]
struct Inputs {
    device_id: String,
    #[serde(deserialize_with = "hex_array")]
    device_secret: [u8; 32],
    #[serde(deserialize_with = "hex_array")]
    dek: [u8; 32],
    doctor: UserInputs,
    reception: UserInputs,
}

#[derive(Deserialize)]
struct UserInputs {
    user: String,
    password: String,
    /// The user's X25519 secret key and its public half; none for an entry without a user key.
    #[serde(default, deserialize_with = "optional_key")]
    user_secret: Option<[u8; 32]>,
    #[serde(default, deserialize_with = "optional_key")]
    user_public: Option<[u8; 32]>,
}

fn optional_key<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Option<[u8; 32]>, D::Error> {
    hex_array(deserializer).map(Some)
}

fn inputs() -> Inputs {
    serde_json::from_str(INPUTS).expect("keys_v1_inputs.json")
}

/// The v1 KEK, from the format's recipe rather than `vault::kdf`.
pub(super) fn kek_v1(password: &str, kdf: &Value, device_secret: &[u8; 32], user: &str) -> [u8; 32] {
    let cost = |name: &str| kdf[name].as_u64().and_then(|n| u32::try_from(n).ok()).expect("a cost");
    let salt = hex::decode(kdf["salt"].as_str().expect("salt")).expect("hex salt");
    let params = Params::new(cost("memory_kib"), cost("passes"), cost("lanes"), Some(32)).expect("argon2 params");
    let mut stretched = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), &salt, &mut stretched)
        .expect("argon2id");
    let mut kek = [0u8; 32];
    Hkdf::<Sha256>::new(Some(device_secret), &stretched)
        .expand(format!("mamori kek v1\0{user}").as_bytes(), &mut kek)
        .expect("32 bytes of HKDF");
    kek
}

pub(super) fn hex_field(value: &Value, name: &str) -> Vec<u8> {
    hex::decode(value[name].as_str().unwrap_or_else(|| panic!("{name} is a hex string"))).expect("hex")
}

fn seal_v1(kek: &[u8; 32], nonce: &[u8], plaintext: &[u8], aad: &str) -> Vec<u8> {
    let nonce = <[u8; 24]>::try_from(nonce).expect("a 24-byte nonce");
    XChaCha20Poly1305::new(kek.into())
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
        .expect("encryption of a key")
}

pub(super) fn open_v1(kek: &[u8; 32], sealed: &Value, nonce: &str, ciphertext: &str, aad: &str) -> Option<Vec<u8>> {
    let nonce = <[u8; 24]>::try_from(hex_field(sealed, nonce).as_slice()).ok()?;
    XChaCha20Poly1305::new(kek.into())
        .decrypt(&XNonce::from(nonce), Payload { msg: &hex_field(sealed, ciphertext), aad: aad.as_bytes() })
        .ok()
}

pub(super) fn entry<'a>(file: &'a Value, user: &str) -> &'a Value {
    file["users"].as_array().and_then(|users| users.iter().find(|u| u["user"] == user)).expect("the user's entry")
}

pub(super) fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn a_v1_key_file_opens_with_each_users_password_and_this_device_secret() {
    let inputs = inputs();
    let device = Key32::from_bytes(inputs.device_secret);
    let file = KeyFile::load(Path::new(FIXTURE)).expect("keys_v1.json loads");
    // Read as a v2 file whose entries all wait for their user's next login.
    assert_eq!((file.version, file.device_id.as_str()), (2, &*inputs.device_id));
    assert!(file.users.is_empty() && file.legacy_users.len() == 2);

    let doctor = &inputs.doctor;
    let opened = file.open(&doctor.user, &Password::new(&doctor.password), &device).expect("doctor's entry");
    assert!(opened.legacy);
    assert_eq!(opened.secrets.dek.expose(), &inputs.dek);
    assert_eq!(Some(opened.secrets.user_key.public()), doctor.user_public);
    assert_eq!(doctor.user_public, doctor.user_secret.map(|s| UserKeyPair::from_key(&Key32::from_bytes(s)).public()));
    assert!(opened.secrets.second_factor.is_none(), "a v1 user's second factor waits in the database");

    // An entry from before user keys: refused, never given a new key pair (which would lose every
    // clinical key wrapped to the old one).
    let reception = &inputs.reception;
    let refused = file.open(&reception.user, &Password::new(&reception.password), &device);
    assert!(matches!(refused, Err(Error::KeyFileInvalid { reason, .. }) if reason.contains("no user key")));

    let wrong = file.open(&doctor.user, &Password::new(&reception.password), &device);
    assert!(matches!(wrong, Err(Error::WrongPassword)));
    let elsewhere = file.open(&doctor.user, &Password::new(&doctor.password), &Key32::from_bytes([0; 32]));
    assert!(matches!(elsewhere, Err(Error::WrongPassword)));
}

#[test]
fn the_v1_recipe_gives_the_wrapped_keys_again() {
    let inputs = inputs();
    let file: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("read")).expect("JSON");
    assert_eq!(keys_of(&file), ["device_id", "format", "users", "version"]);
    for who in [&inputs.doctor, &inputs.reception] {
        let entry = entry(&file, &who.user);
        let kek = kek_v1(&who.password, &entry["kdf"], &inputs.device_secret, &who.user);
        let ad = format!("mamori-keyfile v1\0{}\0{}", inputs.device_id, who.user);
        assert_eq!(seal_v1(&kek, &hex_field(entry, "nonce"), &inputs.dek, &ad), hex_field(entry, "wrapped_key"));
        match who.user_secret {
            Some(secret) => {
                let sealed = &entry["user_key"];
                let ad = format!("{ad}\0user-key");
                assert_eq!(seal_v1(&kek, &hex_field(sealed, "nonce"), &secret, &ad), hex_field(sealed, "ciphertext"));
            }
            None => assert!(entry.get("user_key").is_none()),
        }
    }
}
