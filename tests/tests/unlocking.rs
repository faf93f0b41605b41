//! Stories about getting into the chart: password and one-time code open it, anything less does
//! not; a copied folder on another computer does not; passwords change without re-encrypting.

use mamori_core::audit::{Action, Filter};
use mamori_core::auth::SecondFactor;
use mamori_core::clinic::Clinic;
use mamori_core::domain::{Role, User};
use mamori_core::secret::Password;
use mamori_core::vault::DeviceSecretStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn code(site: &Site<impl DeviceSecretStore>, user: &str) -> SecondFactor {
    SecondFactor::Totp(totp_code(&site.totp_secret(user), mamori_core::clock::Clock::now(&site.clock)))
}

#[test]
fn a_wrong_password_or_unknown_user_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("wrong-password"));
    let wrong =
        site.login_with("doctor", "not-the-password", code(&site, "doctor")).expect_err("wrong password refused");
    assert!(matches!(wrong, Error::WrongPassword));
    assert_eq!(wrong.to_string(), "wrong user name or password");
    let unknown = site.login_with("nobody", &site.password("doctor"), code(&site, "doctor")).expect_err("refused");
    assert!(matches!(unknown, Error::WrongPassword), "unknown users must look like wrong passwords");
    assert_eq!(site.login("doctor").user().role, Role::Doctor);
}

/// People type passwords (and patients' names) into the user field. Such a name is counted and
/// audited as one unknown user: neither the keyring's login-guard record nor the audit log, which
/// every login that opens the database can read with raw SQL, ever holds what was typed.
#[test]
fn a_password_typed_as_the_user_name_is_kept_nowhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("typed-as-user"));
    let password = site.password("nurse");
    for typed in [password.as_str(), "山田花子", &"x".repeat(100_000)] {
        let refused = site.login_with(typed, &password, code(&site, "nurse")).expect_err("no such user");
        assert!(matches!(refused, Error::WrongPassword), "{refused:?}");
        site.clock.advance(chrono::Duration::minutes(5));
    }
    let device = mamori_core::vault::KeyFile::load(&site.dir.key_file()).expect("key file").device_id;
    let guard = site.keyring.load_record(&device, "login-guard").expect("keyring").expect("a guard record");
    let guard = String::from_utf8(guard).expect("JSON");
    assert!(guard.len() < 2_000, "typing long names does not grow the record ({} bytes)", guard.len());
    for typed in [password.as_str(), "山田花子", "xxxxxxxxxx"] {
        assert!(!guard.contains(typed), "the guard record keeps {typed:?}");
    }

    let mut admin = site.login("admin");
    let events = admin.audit_events(&Filter::All).expect("events");
    let failed: Vec<_> = events.iter().filter(|e| e.action == Action::LoginFailed).collect();
    assert_eq!(failed.len(), 3, "each attempt is still audited");
    assert!(failed.iter().all(|e| e.subject.as_deref() == Some(mamori_core::clinic::UNKNOWN_USER)), "{failed:?}");
    let exported = serde_json::to_string(&events).expect("json");
    for typed in [password.as_str(), "山田花子", "xxxxxxxxxx"] {
        assert!(!exported.contains(typed), "the audit log keeps {typed:?}");
    }

    // Failures under names that are no account's never lock a real account, nor themselves.
    for _ in 0..12 {
        site.clock.advance(chrono::Duration::hours(1));
        let refused = site.login_with("no-such-user", "wrong-password-1", code(&site, "nurse"));
        assert!(matches!(refused, Err(Error::WrongPassword)), "{refused:?}");
    }
    assert_eq!(site.login("nurse").user().role, Role::Nurse);
}

#[test]
fn a_wrong_or_replayed_one_time_code_is_refused_and_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("totp"));
    let wrong = site.login_with("doctor", &site.password("doctor"), SecondFactor::Totp("123456".into()));
    assert!(matches!(wrong, Err(Error::WrongSecondFactor)), "{wrong:?}");
    // Past the login guard's delay after one failure, and into a TOTP step not used yet (the
    // site's set-up logged the doctor in).
    site.clock.advance(chrono::Duration::seconds(30));

    let used = code(&site, "doctor");
    let SecondFactor::Totp(digits) = &used else { unreachable!() };
    let digits = digits.clone();
    site.login_with("doctor", &site.password("doctor"), used).expect("the current code opens");
    let replay = site.login_with("doctor", &site.password("doctor"), SecondFactor::Totp(digits));
    assert!(matches!(replay, Err(Error::WrongSecondFactor)), "a code is accepted only once");

    let mut admin = site.login("admin");
    let failures = admin.audit_events(&Filter::User("doctor".into())).expect("events");
    assert_eq!(failures.iter().filter(|e| e.action == Action::LoginFailed).count(), 2);
}

#[test]
fn a_data_folder_copied_to_another_computer_cannot_be_opened_and_says_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("copied"));
    // Another computer: same files, a keyring that never held this device's secret.
    let other_computer = test_keyring("other-computer");
    let before = snapshot(tmp.path());

    let err = Clinic::unlock(
        &site.dir,
        &other_computer,
        Box::new(site.clock.clone()),
        "doctor",
        &Password::new(site.password("doctor")),
        &code(&site, "doctor"),
    )
    .expect_err("must not open");
    assert!(matches!(err, Error::DeviceSecretMissing { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("keyring") && message.contains("copied from another computer"), "{message}");

    // An explained stop, never a new key: the other keyring stays empty and no file changed.
    let device = device_id(tmp.path());
    assert!(other_computer.load(&device).expect("keyring readable").is_none());
    assert_eq!(snapshot(tmp.path()), before);
    // And on the computer that made it, it still opens.
    site.login("doctor");
}

#[test]
fn a_new_user_and_a_new_password_rewrap_the_key_without_touching_the_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("rewrap"));
    let mut admin = site.login("admin");
    let nurse = User::build("nurse", "看護 花子", Role::Nurse).expect("user");
    assert!(matches!(admin.invite_user(&site.keyring, &nurse), Err(Error::UserExists(_))));
    let mut doctor = site.login("doctor");
    let clerk = User::build("clerk", "受付 二郎", Role::Reception).expect("user");
    assert!(matches!(doctor.invite_user(&site.keyring, &clerk), Err(Error::Denied { .. })));
    drop((admin, doctor));

    // SQLCipher keeps its random salt in the first 16 bytes; re-encrypting would replace it.
    let salt = || std::fs::read(site.dir.database()).expect("db")[..16].to_vec();
    let salt_before = salt();
    let mut as_nurse = site.login("nurse");
    as_nurse
        .change_password(&site.keyring, &Password::new(site.password("nurse")), &Password::new("nurse-password-new"))
        .expect("change");
    assert!(as_nurse
        .change_password(&site.keyring, &Password::new("wrong-old-password"), &Password::new("whatever-123"))
        .is_err());
    drop(as_nurse);

    assert_eq!(salt(), salt_before, "the database must not be re-encrypted");
    assert!(site.login_with("nurse", &site.password("nurse"), code(&site, "nurse")).is_err());
    site.clock.advance(chrono::Duration::seconds(30));
    site.login_with("nurse", "nurse-password-new", code(&site, "nurse")).expect("new password opens");
    site.login("doctor");
}

#[test]
fn a_missing_key_file_or_a_second_init_is_an_explained_stop() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("setup");
    let dir = data_dir(tmp.path());
    let attempt = || {
        Clinic::unlock(
            &dir,
            &keyring,
            Box::new(clinic_clock()),
            "doctor",
            &Password::new("x"),
            &SecondFactor::Totp("0".into()),
        )
    };
    assert!(matches!(attempt(), Err(Error::NotInitialized(_))));
    let doctor = User::build("doctor", "守 太郎", Role::Doctor).expect("user");
    drop(
        Clinic::init(&dir, &keyring, Box::new(clinic_clock()), &doctor, &Password::new("doctor-password-1"))
            .expect("init"),
    );
    let again = Clinic::init(&dir, &keyring, Box::new(clinic_clock()), &doctor, &Password::new("doctor-password-1"));
    assert!(matches!(again, Err(Error::AlreadyInitialized(_))));
    std::fs::remove_file(dir.key_file()).expect("remove key file");
    assert!(matches!(attempt(), Err(Error::IncompleteSetup(_))));
}

#[test]
fn a_weak_first_password_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("weak");
    let doctor = User::build("doctor", "守 太郎", Role::Doctor).expect("user");
    let result =
        Clinic::init(&data_dir(tmp.path()), &keyring, Box::new(clinic_clock()), &doctor, &Password::new("short"));
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

#[test]
fn repeated_failures_slow_down_then_lock_the_account_until_an_admin_unlocks_it() {
    use mamori_core::auth::guard::{delay_after, LOCKOUT_THRESHOLD};
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("lockout"));
    // The folder as it was before the attack, to roll it back later.
    let pristine = snapshot(tmp.path());

    for n in 1..=LOCKOUT_THRESHOLD {
        let attempt = site.login_with("nurse", "guessing-password", code(&site, "nurse"));
        assert!(matches!(attempt, Err(Error::WrongPassword)), "attempt {n}: {attempt:?}");
        if n < LOCKOUT_THRESHOLD {
            let hurried = site.login_with("nurse", "guessing-password", code(&site, "nurse"));
            assert!(matches!(hurried, Err(Error::Throttled { .. })), "attempt {n} must wait: {hurried:?}");
            site.clock.advance(chrono::Duration::seconds(delay_after(n)));
        }
    }
    site.clock.advance(chrono::Duration::hours(8));
    let right = site.login_with("nurse", &site.password("nurse"), code(&site, "nurse"));
    assert!(matches!(right, Err(Error::LockedOut)), "even the right password is refused: {right:?}");

    // Restoring every file of the data folder does not reset the counter (it is in the keyring),
    // and neither does a new process (a new session object reads the same keyring).
    for (file, bytes) in &pristine {
        std::fs::write(file, bytes).expect("restore");
    }
    let again = site.login_with("nurse", &site.password("nurse"), code(&site, "nurse"));
    assert!(matches!(again, Err(Error::LockedOut)), "{again:?}");

    let mut admin = site.login("admin");
    admin.unlock_account(&site.keyring, "nurse").expect("admin unlocks");
    site.login("nurse");
    let failures = admin.audit_events(&Filter::All).expect("events");
    let recorded: Vec<_> = failures.iter().filter(|e| e.action == Action::LoginFailed).collect();
    assert_eq!(recorded.len(), LOCKOUT_THRESHOLD as usize, "each wrong password was audited at the next login");
    assert!(
        recorded.iter().all(|e| e.subject.as_deref() == Some("nurse") && e.user == "admin"),
        "each names the account tried, though the admin's login recorded it"
    );
    let on_her_account = admin.audit_events(&Filter::User("nurse".into())).expect("the nurse's report");
    assert_eq!(
        on_her_account.iter().filter(|e| e.action == Action::LoginFailed).count(),
        LOCKOUT_THRESHOLD as usize,
        "the nurse's own report shows the attempts on her account"
    );
    assert!(matches!(admin.verify_audit().expect("verify"), mamori_core::audit::Verdict::Intact { .. }));
}
