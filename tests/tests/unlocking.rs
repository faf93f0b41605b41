//! Stories about getting into the chart: the right password opens it, a wrong one does not, a
//! copied folder on another computer does not, and passwords change without re-encrypting.

use mamori_core::clinic::Clinic;
use mamori_core::domain::{Role, User};
use mamori_core::secret::Password;
use mamori_core::vault::DeviceSecretStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn unlock(dir: &std::path::Path, keyring: &dyn DeviceSecretStore, user: &str, password: &str) -> Result<Clinic, Error> {
    Clinic::unlock(&data_dir(dir), keyring, Box::new(clinic_clock()), user, &Password::new(password))
}

#[test]
fn a_wrong_password_or_unknown_user_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("wrong-password");
    drop(new_clinic(tmp.path(), &keyring));

    let wrong = unlock(tmp.path(), &keyring, "doctor", "not-the-password").err().expect("wrong password refused");
    assert!(matches!(wrong, Error::WrongPassword));
    assert_eq!(wrong.to_string(), "wrong user name or password");
    let unknown = unlock(tmp.path(), &keyring, "nobody", DOCTOR_PASSWORD).err().expect("unknown user refused");
    assert!(matches!(unknown, Error::WrongPassword), "unknown users must look like wrong passwords");

    let clinic = unlock(tmp.path(), &keyring, "doctor", DOCTOR_PASSWORD).expect("right password opens");
    assert_eq!(clinic.user().role, Role::Doctor);
}

#[test]
fn a_data_folder_copied_to_another_computer_cannot_be_opened_and_says_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("copied");
    drop(new_clinic(tmp.path(), &keyring));
    // Another computer: same files, a keyring that never held this device's secret.
    let other_computer = test_keyring("other-computer");
    let before = snapshot(tmp.path());

    let err = unlock(tmp.path(), &other_computer, "doctor", DOCTOR_PASSWORD).err().expect("must not open");
    assert!(matches!(err, Error::DeviceSecretMissing { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("keyring") && message.contains("copied from another computer"), "{message}");

    // An explained stop, never a new key: the other keyring stays empty and no file changed.
    let device = device_id(tmp.path());
    assert!(other_computer.load(&device).expect("keyring readable").is_none());
    assert_eq!(snapshot(tmp.path()), before);
    // And on the computer that made it, it still opens.
    unlock(tmp.path(), &keyring, "doctor", DOCTOR_PASSWORD).expect("opens at home");
}

#[test]
fn a_new_user_and_a_new_password_rewrap_the_key_without_touching_the_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("rewrap");
    let admin = User::build("admin", "管理 一郎", Role::Admin).expect("user");
    let mut clinic = Clinic::init(
        &data_dir(tmp.path()),
        &keyring,
        Box::new(clinic_clock()),
        &admin,
        &Password::new("admin-password-1"),
    )
    .expect("init");
    let nurse = User::build("nurse", "看護 花子", Role::Nurse).expect("user");
    clinic.add_user(&keyring, &nurse, &Password::new("nurse-password-1")).expect("add nurse");
    assert!(matches!(clinic.add_user(&keyring, &nurse, &Password::new("nurse-password-2")), Err(Error::UserExists(_))));
    drop(clinic);

    let mut as_nurse = unlock(tmp.path(), &keyring, "nurse", "nurse-password-1").expect("nurse opens");
    assert_eq!(as_nurse.user().role, Role::Nurse);
    // SQLCipher keeps its random salt in the first 16 bytes; re-encrypting would replace it.
    let salt = |dir: &std::path::Path| std::fs::read(data_dir(dir).database()).expect("db")[..16].to_vec();
    let salt_before = salt(tmp.path());
    as_nurse
        .change_password(&keyring, &Password::new("nurse-password-1"), &Password::new("nurse-password-new"))
        .expect("change");
    assert!(as_nurse
        .change_password(&keyring, &Password::new("wrong-old-password"), &Password::new("whatever-123"))
        .is_err());
    drop(as_nurse);

    assert_eq!(salt(tmp.path()), salt_before, "the database must not be re-encrypted");
    assert!(unlock(tmp.path(), &keyring, "nurse", "nurse-password-1").is_err());
    unlock(tmp.path(), &keyring, "nurse", "nurse-password-new").expect("new password opens");
    unlock(tmp.path(), &keyring, "admin", "admin-password-1").expect("the admin is unaffected");
}

#[test]
fn a_missing_key_file_or_a_second_init_is_an_explained_stop() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("setup");
    assert!(matches!(unlock(tmp.path(), &keyring, "doctor", DOCTOR_PASSWORD), Err(Error::NotInitialized(_))));
    drop(new_clinic(tmp.path(), &keyring));
    let again = Clinic::init(
        &data_dir(tmp.path()),
        &keyring,
        Box::new(clinic_clock()),
        &doctor(),
        &Password::new(DOCTOR_PASSWORD),
    );
    assert!(matches!(again, Err(Error::AlreadyInitialized(_))));
    std::fs::remove_file(data_dir(tmp.path()).key_file()).expect("remove key file");
    assert!(matches!(unlock(tmp.path(), &keyring, "doctor", DOCTOR_PASSWORD), Err(Error::IncompleteSetup(_))));
}

#[test]
fn a_weak_first_password_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("weak");
    let result =
        Clinic::init(&data_dir(tmp.path()), &keyring, Box::new(clinic_clock()), &doctor(), &Password::new("short"));
    assert!(matches!(result, Err(Error::Invalid(_))));
    assert!(files_under(tmp.path()).is_empty());
}

fn device_id(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(data_dir(dir).key_file()).expect("key file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["device_id"].as_str().expect("device id").to_string()
}

fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f, bytes)
        })
        .collect()
}
