//! `keys.json`, v2 (`vault::keyfile`): one sealed entry per local user.
//!
//! ```text
//! KEK    = as in v1
//! sealed = XChaCha20-Poly1305(KEK, nonce, JSON {dek, user_key, second_factor?, pins},
//!          ad = "mamori-keyfile v2" 0 device_id 0 user 0 "argon2id m=… t=… p=… salt=<hex>")
//! ```
//!
//! Fixture: `keys_v2.json`, written once by `keys_v2_writer.py` (the recipe in Python, apart from
//! this code): `doctor` with a second factor and an audit pin, `reception` with neither. Its
//! inputs are in `keys_v2_inputs.json`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::hex_array;
use super::key_file::{entry, hex_field, kek_v1, keys_of, open_v1};
use crate::auth::SecondFactor;
use crate::secret::{Key32, Password};
use crate::vault::{EntrySecrets, KeyFile, Pins, UserKeyPair};
use crate::Error;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys_v2.json");
const INPUTS: &str = include_str!("../../tests/fixtures/keys_v2_inputs.json");

#[derive(Deserialize)]
struct Inputs {
    device_id: String,
    #[serde(deserialize_with = "hex_array")]
    device_secret: [u8; 32],
    #[serde(deserialize_with = "hex_array")]
    dek: [u8; 32],
    doctor: Doctor,
    reception: Reception,
}

#[derive(Deserialize)]
struct Doctor {
    user: String,
    password: String,
    #[serde(deserialize_with = "hex_array")]
    user_secret: [u8; 32],
    #[serde(deserialize_with = "hex_array")]
    totp_secret: [u8; 20],
    last_step: i64,
    pinned_seq: u64,
}

#[derive(Deserialize)]
struct Reception {
    user: String,
    password: String,
    #[serde(deserialize_with = "hex_array")]
    user_secret: [u8; 32],
}

fn inputs() -> Inputs {
    serde_json::from_str(INPUTS).expect("keys_v2_inputs.json")
}

fn ad_v2(device_id: &str, user: &str, kdf: &Value) -> String {
    let cost = |name: &str| kdf[name].as_u64().expect("a cost");
    format!(
        "mamori-keyfile v2\0{device_id}\0{user}\0argon2id m={} t={} p={} salt={}",
        cost("memory_kib"),
        cost("passes"),
        cost("lanes"),
        kdf["salt"].as_str().expect("salt")
    )
}

/// Opens an entry by the recipe alone and returns its plaintext JSON.
fn open_by_recipe(file: &Value, user: &str, password: &str, device_secret: &[u8; 32]) -> Value {
    let entry = entry(file, user);
    let kek = kek_v1(password, &entry["kdf"], device_secret, user);
    let device_id = file["device_id"].as_str().expect("device id");
    let plain =
        open_v1(&kek, entry, "nonce", "sealed", &ad_v2(device_id, user, &entry["kdf"])).expect("the recipe opens it");
    serde_json::from_slice(&plain).expect("the plaintext is JSON")
}

#[test]
fn a_v2_key_file_opens_with_each_users_password_and_holds_their_factor_and_pins() {
    let inputs = inputs();
    let device = Key32::from_bytes(inputs.device_secret);
    let file = KeyFile::load(Path::new(FIXTURE)).expect("keys_v2.json loads");
    assert_eq!((file.version, file.device_id.as_str(), file.users.len()), (2, &*inputs.device_id, 2));

    let doctor = &inputs.doctor;
    let opened = file.open(&doctor.user, &Password::new(&doctor.password), &device).expect("doctor's entry");
    assert!(!opened.legacy);
    assert_eq!(opened.secrets.dek.expose(), &inputs.dek);
    let seed = Key32::from_bytes(doctor.user_secret);
    assert_eq!(opened.secrets.user_key.public(), UserKeyPair::from_key(&seed).public());
    let pin = opened.secrets.pins.audit.clone().expect("an audit pin");
    assert_eq!((pin.seq, pin.verifying_key, pin.hash), (doctor.pinned_seq, [0xab; 32], [0xcd; 32]));
    // The factor is the RFC 6238 secret: its code one step after the last accepted one works.
    let mut factor = opened.secrets.second_factor.expect("a second factor");
    let at = (doctor.last_step + 1) * 30;
    let code = totp_rs::Builder::new()
        .with_secret(doctor.totp_secret.to_vec())
        .build_noncompliant()
        .generate(u64::try_from(at).expect("positive"));
    let now = chrono::DateTime::from_timestamp(at, 0).expect("time");
    crate::auth::verify(&mut factor, &doctor.user, &SecondFactor::Totp(code.to_string()), now).expect("code");

    let reception = &inputs.reception;
    let opened = file.open(&reception.user, &Password::new(&reception.password), &device).expect("reception's entry");
    assert!(opened.secrets.second_factor.is_none() && opened.secrets.pins == Pins::default());
    let wrong = file.open(&doctor.user, &Password::new(&reception.password), &device);
    assert!(matches!(wrong, Err(Error::WrongPassword)));
}

#[test]
fn todays_writer_writes_what_the_v2_recipe_opens() {
    let inputs = inputs();
    let reception = &inputs.reception;
    let mut file = KeyFile::new(inputs.device_id.clone());
    let secrets = EntrySecrets {
        dek: Key32::from_bytes(inputs.dek),
        user_key: UserKeyPair::from_key(&Key32::from_bytes(reception.user_secret)),
        second_factor: None,
        pins: Pins::default(),
        clinical_keys: Default::default(),
        secret_key: None,
        record_key: None,
    };
    let device = Key32::from_bytes(inputs.device_secret);
    file.add_user(&reception.user, &Password::new(&reception.password), &device, &secrets).expect("add");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    file.save(&path).expect("save");

    let written: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    assert_eq!(keys_of(&written), ["device_id", "format", "users", "version"]);
    assert_eq!((&written["format"], &written["version"]), (&Value::from("mamori-keyfile"), &Value::from(2)));
    assert_eq!(keys_of(entry(&written, &reception.user)), ["kdf", "nonce", "sealed", "user"]);
    let plain = open_by_recipe(&written, &reception.user, &reception.password, &inputs.device_secret);
    assert_eq!(keys_of(&plain), ["dek", "pins", "user_key"]);
    assert_eq!(hex::decode(plain["dek"].as_str().expect("dek")).expect("hex"), inputs.dek);
    assert_eq!(hex::decode(plain["user_key"].as_str().expect("seed")).expect("hex"), reception.user_secret);

    // And the fixture opens by the recipe too, with the same fields.
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("read")).expect("JSON");
    let doctor = open_by_recipe(&fixture, &inputs.doctor.user, &inputs.doctor.password, &inputs.device_secret);
    assert_eq!(keys_of(&doctor), ["dek", "pins", "second_factor", "user_key"]);
    assert_eq!(keys_of(&doctor["second_factor"]), ["last_step", "recovery_hashes", "recovery_salt", "secret"]);
    assert_eq!(keys_of(&doctor["pins"]["audit"]), ["hash", "seq", "verifying_key"]);
    assert_eq!(hex_field(&doctor["second_factor"], "secret"), inputs.doctor.totp_secret);
}
