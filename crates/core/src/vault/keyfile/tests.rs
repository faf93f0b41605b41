use super::*;
use crate::vault::pins::{AuditPin, Pins};
use crate::vault::UserKeyPair;

fn secrets(dek: &Key32) -> EntrySecrets {
    EntrySecrets {
        dek: Key32::from_bytes(*dek.expose()),
        user_key: UserKeyPair::generate().expect("pair"),
        second_factor: Some(crate::auth::enroll("doctor").expect("enroll").1),
        pins: Pins::default(),
        clinical_keys: Default::default(),
        secret_key: None,
        record_key: None,
    }
}

fn fixture() -> (KeyFile, Key32, Key32) {
    let mut file = KeyFile::new("device-1");
    let device_secret = Key32::random().expect("random");
    let dek = Key32::random().expect("random");
    file.add_user("doctor", &Password::new("pw-doctor"), &device_secret, &secrets(&dek)).expect("add");
    (file, device_secret, dek)
}

#[test]
fn each_user_opens_the_same_database_key_with_their_own_password() {
    let (mut file, device_secret, dek) = fixture();
    file.add_user("nurse", &Password::new("pw-nurse"), &device_secret, &secrets(&dek)).expect("add");
    for (user, pw) in [("doctor", "pw-doctor"), ("nurse", "pw-nurse")] {
        let got = file.open(user, &Password::new(pw), &device_secret).expect("open");
        assert_eq!(got.secrets.dek.expose(), dek.expose());
        assert!(got.secrets.second_factor.is_some() && !got.legacy);
    }
    assert!(matches!(file.open("nurse", &Password::new("pw-doctor"), &device_secret), Err(Error::WrongPassword)));
    assert!(matches!(file.open("nobody", &Password::new("pw-doctor"), &device_secret), Err(Error::WrongPassword)));
    assert!(matches!(
        file.add_user("nurse", &Password::new("x"), &device_secret, &secrets(&dek)),
        Err(Error::UserExists(_))
    ));
    let other_device = Key32::random().expect("random");
    assert!(matches!(file.open("doctor", &Password::new("pw-doctor"), &other_device), Err(Error::WrongPassword)));
}

#[test]
fn pins_resealed_with_the_kept_kek_come_back_and_nothing_else_changes() {
    let (mut file, device_secret, dek) = fixture();
    let opened = file.open("doctor", &Password::new("pw-doctor"), &device_secret).expect("open");
    let public = opened.secrets.user_key.public();
    let mut secrets = file.open_with_kek("doctor", &opened.kek).expect("kek opens");
    secrets.pins.audit = Some(AuditPin { verifying_key: [7; 32], seq: 42, hash: [9; 32] });
    file.reseal("doctor", &opened.kek, &secrets).expect("reseal");
    let again = file.open("doctor", &Password::new("pw-doctor"), &device_secret).expect("open");
    assert_eq!(again.secrets.pins.audit.map(|p| p.seq), Some(42));
    assert_eq!(again.secrets.user_key.public(), public);
    assert_eq!(again.secrets.dek.expose(), dek.expose());
}

/// Every field of an entry is bound: its user, this device, the password costs and the bytes.
#[test]
fn an_entry_moved_relabelled_or_edited_does_not_open() {
    let (mut file, device_secret, dek) = fixture();
    file.add_user("nurse", &Password::new("pw-doctor"), &device_secret, &secrets(&dek)).expect("add");
    let pw = Password::new("pw-doctor");
    // Same password, entries swapped between the two users.
    let (a, b) = file.users.split_at_mut(1);
    std::mem::swap(&mut a[0].sealed, &mut b[0].sealed);
    std::mem::swap(&mut a[0].nonce, &mut b[0].nonce);
    assert!(file.open("doctor", &pw, &device_secret).is_err());
    let (mut file, device_secret, _) = fixture();
    file.device_id = "device-2".into();
    assert!(file.open("doctor", &pw, &device_secret).is_err(), "another device's id");
    let (mut file, device_secret, _) = fixture();
    file.users[0].kdf.passes += 1;
    assert!(file.open("doctor", &pw, &device_secret).is_err(), "other costs");
    let (mut file, device_secret, _) = fixture();
    file.users[0].sealed[3] ^= 1;
    assert!(file.open("doctor", &pw, &device_secret).is_err(), "a flipped bit");
}

#[test]
fn changing_a_password_reseals_the_same_secrets_under_a_new_salt() {
    let (mut file, device_secret, dek) = fixture();
    let before = file.open("doctor", &Password::new("pw-doctor"), &device_secret).expect("open");
    let salt = file.users[0].kdf.salt;
    file.change_password("doctor", &Password::new("new-pw"), &device_secret, &before.secrets).expect("change");
    assert_ne!(file.users[0].kdf.salt, salt);
    assert!(file.open("doctor", &Password::new("pw-doctor"), &device_secret).is_err());
    let got = file.open("doctor", &Password::new("new-pw"), &device_secret).expect("open");
    assert_eq!(got.secrets.dek.expose(), dek.expose());
    assert_eq!(got.secrets.user_key.public(), before.secrets.user_key.public());
}

#[test]
fn save_and_load_round_trip_and_reject_other_versions_garbage_and_twin_entries() {
    let (file, device_secret, dek) = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    file.save(&path).expect("save");
    let loaded = KeyFile::load(&path).expect("load");
    let got = loaded.open("doctor", &Password::new("pw-doctor"), &device_secret).expect("open");
    assert_eq!(got.secrets.dek.expose(), dek.expose());

    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("\"version\": 2", "\"version\": 3")).expect("write");
    assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileVersion { found: 3, .. })));
    std::fs::write(&path, b"not json").expect("write");
    assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. })));
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let twin = value["users"][0].clone();
    value["users"].as_array_mut().expect("users").push(twin);
    std::fs::write(&path, value.to_string()).expect("write");
    assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. })));
}

#[test]
fn a_key_file_that_lowers_the_password_hashing_cost_is_refused() {
    let (file, _, _) = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    file.save(&path).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("\"passes\": 3", "\"passes\": 1")).expect("write");
    assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. })));
}

#[test]
fn an_invitation_opens_with_its_code_only_and_becomes_the_users_own_entry() {
    let (mut file, device_secret, dek) = fixture();
    let code = Password::new("ABCDEFGHJKLMNPQRSTUV");
    file.add_invitation("nurse", &code, &device_secret, &secrets(&dek)).expect("invite");
    assert!(file.has_user("nurse"));
    assert!(matches!(file.open("nurse", &code, &device_secret), Err(Error::WrongPassword)), "not a user entry");
    assert!(file.open_invitation("nurse", &Password::new("wrong"), &device_secret).is_err());
    let opened = file.open_invitation("nurse", &code, &device_secret).expect("code opens it");
    assert_eq!(opened.dek.expose(), dek.expose());
    // Moved into the users' list, it does not open as hers.
    let moved = file.invitations.remove(0);
    file.users.push(SealedEntry { ..moved });
    assert!(file.open("nurse", &code, &device_secret).is_err());
    file.users.pop();
    file.add_invitation("nurse", &code, &device_secret, &secrets(&dek)).expect("invite again");
    file.add_accepted("nurse", &Password::new("pw-nurse-own"), &device_secret, &opened).expect("accept");
    file.close_invitation_accepted("nurse", true);
    assert!(file.invitations.is_empty());
    assert!(file.open("nurse", &Password::new("pw-nurse-own"), &device_secret).is_ok());
}

#[test]
fn an_update_that_fails_writes_nothing() {
    let (file, device_secret, _) = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    file.save(&path).expect("save");
    let before = std::fs::read(&path).expect("read");
    let failed: Result<()> = update(&path, |file| {
        file.remove_user("doctor");
        Err(Error::WrongSecondFactor)
    });
    assert!(failed.is_err());
    assert_eq!(std::fs::read(&path).expect("read"), before);
    update(&path, |file| Ok(file.remove_user("doctor"))).expect("update");
    assert!(KeyFile::load(&path).expect("load").open("doctor", &Password::new("pw-doctor"), &device_secret).is_err());
}
