//! Accounts and keys from the command line: inviting users who then set their own password and
//! authenticator, passing the clinical key on, second-factor resets and password changes, what
//! a login says when the audit log was rolled back under the user's pin, and a process that
//! keeps its memory to itself.

use crate::support::*;

#[test]
fn the_admin_manages_users_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "3");
    let admin = "demo-admin-password\n";
    let out =
        mamori(&dir, &["user", "--user", "admin", "--password-stdin", "add", "clerk", "--role", "reception"], admin);
    assert!(out.status.success(), "{}", stderr(&out));
    let code = stdout(&out).lines().find_map(|l| l.trim().strip_prefix("invitation code: ").map(str::to_string));
    let code = code.expect("the invitation code is shown to the admin");
    assert!(!stdout(&out).contains("otpauth://"), "the admin never sees the new user's authenticator");
    // The clerk's first login: the code, then her own password; her authenticator is shown to her.
    let wrong = mamori(
        &dir,
        &["accept-invitation", "--user", "clerk", "--stdin"],
        "AAAAA-BBBBB-CCCCC-DDDDD\nclerk-password-1\n",
    );
    assert!(stderr(&wrong).contains("Wrong user name or password"), "{}", stderr(&wrong));
    let accepted =
        mamori(&dir, &["accept-invitation", "--user", "clerk", "--stdin"], &format!("{code}\nclerk-password-1\n"));
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let secret =
        stdout(&accepted).lines().find_map(|l| l.strip_prefix("Or enter the secret by hand: ").map(str::to_string));
    remember_secret(&dir, "clerk", &secret.expect("her own authenticator secret is shown to her"));
    let again =
        mamori(&dir, &["accept-invitation", "--user", "clerk", "--stdin"], &format!("{code}\nclerk-password-2\n"));
    assert!(!again.status.success(), "an invitation is used once");

    let listed = mamori(&dir, &["user", "--user", "admin", "--password-stdin", "list"], admin);
    assert!(stdout(&listed).lines().any(|l| l.starts_with("clerk") && l.contains("reception") && l.contains("active")));
    let search = mamori(&dir, &["patient", "search", "1", "--user", "clerk", "--password-stdin"], "clerk-password-1\n");
    assert!(search.status.success(), "the new user logs in: {}", stderr(&search));

    let to_nursing = mamori(&dir, &["user", "--user", "admin", "--password-stdin", "role", "clerk", "nurse"], admin);
    assert!(stdout(&to_nursing).contains("clerk is now nurse."), "{}", stdout(&to_nursing));
    assert!(
        stdout(&to_nursing)
            .contains("can read clinical sections after a doctor or nurse who already can confirms them"),
        "the admin learns that the clinical key is still to be passed on: {}",
        stdout(&to_nursing)
    );

    // The new nurse reads her key fingerprint off her own screen; the doctor sees her waiting,
    // and confirms her only with that fingerprint.
    let own = mamori(
        &dir,
        &["key", "--user", "clerk", "--password-stdin", "pending"],
        "clerk-password-1
",
    );
    let fingerprint =
        stdout(&own).lines().find_map(|l| l.strip_prefix("Your key fingerprint: ").map(str::to_string)).expect("shown");
    let doctor = format!("{DOCTOR}\n");
    let waiting = mamori(&dir, &["key", "--user", "doctor", "--password-stdin", "pending"], &doctor);
    assert!(stdout(&waiting).lines().any(|l| l.starts_with("clerk") && l.contains("nurse") && l.ends_with("admin")));
    let wrong = mamori(
        &dir,
        &["key", "--user", "doctor", "--password-stdin", "confirm", "clerk", "--fingerprint", "0000 0000"],
        &doctor,
    );
    assert!(stderr(&wrong).contains("fingerprint"), "{}", stderr(&wrong));
    let confirmed = mamori(
        &dir,
        &["key", "--user", "doctor", "--password-stdin", "confirm", "clerk", "--fingerprint", &fingerprint],
        &doctor,
    );
    assert!(stdout(&confirmed).contains("clerk is confirmed"), "{}", stderr(&confirmed));
    let nobody = mamori(&dir, &["key", "--user", "doctor", "--password-stdin", "pending"], &doctor);
    assert!(stdout(&nobody).contains("Nobody is waiting"), "{}", stdout(&nobody));

    // She changes her own password; the old one stops working.
    let changed =
        mamori(&dir, &["passwd", "--user", "clerk", "--password-stdin"], "clerk-password-1\nclerk-password-new\n");
    assert!(stdout(&changed).contains("password is changed"), "{}", stderr(&changed));
    let old = mamori(&dir, &["patient", "search", "1", "--user", "clerk", "--password-stdin"], "clerk-password-1\n");
    assert!(stderr(&old).contains("Wrong user name or password"), "{}", stderr(&old));

    // She lost her phone: the admin's reset code, typed where the one-time code goes, lets her
    // in once and shows her (not the admin) a new authenticator.
    let reset = mamori(&dir, &["user", "--user", "admin", "--password-stdin", "reset2fa", "clerk"], admin);
    let reset_code = stdout(&reset).lines().find_map(|l| l.trim().strip_prefix("reset code: ").map(str::to_string));
    let reset_code = reset_code.unwrap_or_else(|| panic!("the reset code is shown to the admin: {}", stderr(&reset)));
    assert!(!stdout(&reset).contains("otpauth://"));
    let redeemed = mamori(
        &dir,
        &["patient", "search", "1", "--user", "clerk", "--password-stdin", "--recovery-code", &reset_code],
        "clerk-password-new\n",
    );
    assert!(stdout(&redeemed).contains("Set up your new authenticator"), "{}", stderr(&redeemed));
    let new_secret =
        stdout(&redeemed).lines().find_map(|l| l.strip_prefix("Or enter the secret by hand: ").map(str::to_string));
    remember_secret(&dir, "clerk", &new_secret.expect("shown to her"));

    let disabled = mamori(&dir, &["user", "--user", "admin", "--password-stdin", "disable", "clerk"], admin);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let refused =
        mamori(&dir, &["patient", "search", "1", "--user", "clerk", "--password-stdin"], "clerk-password-new\n");
    assert!(stderr(&refused).contains("disabled"), "{}", stderr(&refused));

    let doctor = mamori(&dir, &["user", "--user", "doctor", "--password-stdin", "list"], &format!("{DOCTOR}\n"));
    assert!(stderr(&doctor).contains("may not read administration"), "{}", stderr(&doctor));
    let bad_role = mamori(&dir, &["user", "--user", "admin", "--password-stdin", "role", "clerk", "wizard"], admin);
    assert!(stderr(&bad_role).contains("possible values: reception, nurse, doctor, admin"), "{}", stderr(&bad_role));
}

/// The insider restores an older copy of the database (no SQL needed) to erase a colleague's
/// session from the audit log; the colleague's next command says so before anything else.
#[test]
fn a_database_rolled_back_under_a_doctors_pin_is_reported_at_his_next_login() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let saved = tmp.path().join("saved");
    std::fs::create_dir_all(&saved).expect("mkdir");
    let database_files = || {
        std::fs::read_dir(&dir)
            .expect("data folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("chart.db")))
            .collect::<Vec<_>>()
    };
    for file in database_files() {
        std::fs::copy(&file, saved.join(file.file_name().expect("name"))).expect("copy");
    }
    let doctor = |locale: &str| {
        mamori_in_locale(
            &dir,
            &["patient", "search", "1", "--user", "doctor", "--password-stdin"],
            &format!("{DOCTOR}\n"),
            &[("LANG", locale)],
        )
    };
    let first = doctor("C");
    assert!(first.status.success() && !stderr(&first).contains("audit log"), "{}", stderr(&first));
    for file in database_files() {
        std::fs::remove_file(&file).expect("remove");
    }
    for file in std::fs::read_dir(&saved).expect("saved").map(|e| e.expect("entry").path()) {
        std::fs::copy(&file, dir.join(file.file_name().expect("name"))).expect("restore");
    }
    let next = doctor("ja_JP.UTF-8");
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(stderr(&next).contains("監査ログがイベント"), "{}", stderr(&next));
    // Reported once; the doctor's pin now covers the log as it is (with the alert in it).
    let after = doctor("C");
    assert!(!stderr(&after).contains("audit log"), "{}", stderr(&after));
}

/// While it waits for a password, the `mamori` process already keeps its memory to itself: a
/// crash writes no core dump with keys in it.
#[cfg(target_os = "linux")]
#[test]
fn the_cli_writes_no_core_dump() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "1");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["patient", "search", "1", "--user", "doctor", "--password-stdin", "--totp", "123456"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // It reads the password from stdin, which stays open: poll until the limits are set (the
    // soft limit may already be 0 by inheritance; the hard limit is what only the CLI lowers).
    let limits = std::path::PathBuf::from(format!("/proc/{}/limits", child.id()));
    let mut core = String::new();
    for _ in 0..200 {
        core = std::fs::read_to_string(&limits)
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap_or_default()
            .to_string();
        if core.split_whitespace().nth(5) == Some("0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(fields.get(4..6), Some(&["0", "0"][..]), "soft and hard limit: {core}");
}
