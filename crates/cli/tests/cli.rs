//! The `mamori` command as a newcomer and an IT person use it. Runs the real binary against the
//! real Secret Service (the test command runs everything inside one, see scripts/test).

mod accounts_and_keys;
mod alerts_scan;
mod shell_and_output;
mod support;
mod sync_commands;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use support::*;

#[test]
fn the_demo_prints_a_login_per_role_and_its_patients_can_be_found_and_opened() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("clinic");
    let out = mamori(&dir, &["demo", "--patients", "30", "--json"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "no progress bar when standard error is not a terminal: {:?}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("demo --json prints JSON");
    remember_demo_secrets(&dir, &out);
    assert!(report["users"][1]["otpauth_uri"].as_str().expect("uri").starts_with("otpauth://totp/Mamori:doctor"));
    let roles: Vec<&str> =
        report["users"].as_array().expect("users").iter().map(|u| u["role"].as_str().expect("role")).collect();
    assert_eq!(roles, ["admin", "doctor", "nurse", "reception"]);
    assert_eq!(report["users"][1]["password"], DOCTOR);

    let found = mamori(
        &dir,
        &["patient", "search", "1", "--user", "doctor", "--password-stdin", "--json"],
        &format!("{DOCTOR}\n"),
    );
    assert!(found.status.success(), "{}", stderr(&found));
    let hits: serde_json::Value = serde_json::from_str(&stdout(&found)).expect("json");
    assert_eq!(hits[0]["chart_no"], "000001");
    let id = hits[0]["id"].as_str().expect("id");
    let name = hits[0]["name"].as_str().expect("name").split(' ').next().expect("family name").to_string();

    let shown = mamori(&dir, &["patient", "show", id, "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).contains(&name) && stdout(&shown).contains("カルテ番号 000001"));

    let rebuilt = mamori(&dir, &["store", "rebuild", "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert!(stdout(&rebuilt).contains("identical"), "{}", stdout(&rebuilt));
    assert!(stderr(&rebuilt).is_empty(), "no progress bar in a pipe: {:?}", stderr(&rebuilt));
    let checked =
        mamori(&dir, &["store", "check", "--user", "reception", "--password-stdin"], "demo-reception-password\n");
    assert!(stdout(&checked).contains("Integrity check ok"), "{}", stderr(&checked));
}

#[test]
fn every_invalid_input_is_one_clear_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "10");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let state_before = chart_state(&dir);
    let unknown_id = "01900000-0000-7000-8000-000000000000";
    let cases: Vec<(Vec<&str>, String, &str)> = vec![
        (
            vec!["init", "--user", "admin2", "--password-stdin"],
            "long-enough-password\n".into(),
            "already holds Mamori data",
        ),
        (vec!["demo", "--patients", "5"], String::new(), "already holds Mamori data"),
        (
            vec!["patient", "search", "山田", "--user", "doctor", "--password-stdin"],
            "wrong-password\n".into(),
            "Wrong user name or password",
        ),
        (
            vec!["patient", "search", "山田", "--user", "ghost", "--password-stdin", "--totp", "000000"],
            format!("{DOCTOR}\n"),
            "Wrong user name or password",
        ),
        (
            vec!["patient", "search", " ", "--user", "doctor", "--password-stdin"],
            format!("{DOCTOR}\n"),
            "Search: Enter a name",
        ),
        (
            vec!["patient", "search", "山田", "--user", "doctor", "--password-stdin"],
            String::new(),
            "no password on standard input",
        ),
        (
            vec!["patient", "show", "not-an-id", "--user", "doctor", "--password-stdin"],
            format!("{DOCTOR}\n"),
            "not a valid id",
        ),
        (
            vec!["patient", "show", unknown_id, "--user", "doctor", "--password-stdin"],
            format!("{DOCTOR}\n"),
            "was not found",
        ),
        (
            vec!["store", "rebuild", "--user", "doctor", "--password-stdin"],
            "nope\n".into(),
            "Wrong user name or password",
        ),
        (vec!["store", "check", "--user", "nurse", "--password-stdin"], "nope\n".into(), "Wrong user name or password"),
    ];
    // A login re-seals only its own user's entry (what they verified, the code they used).
    let others = |user: &str| -> Vec<serde_json::Value> {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("keys.json")).expect("key file")).expect("json");
        file["users"].as_array().expect("users").iter().filter(|e| e["user"] != user).cloned().collect()
    };
    for (args, stdin, expected) in cases {
        let before = fingerprint(&dir);
        let user = args.iter().position(|a| *a == "--user").map_or("", |i| args[i + 1]);
        let others_before = others(user);
        let out = mamori(&dir, &args, &stdin);
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(lines.len(), 1, "{args:?}: one line expected, got {err:?}");
        assert!(lines[0].starts_with("mamori: error: ") && lines[0].contains(expected), "{args:?}: {err:?}");
        let after = fingerprint(&dir);
        assert_eq!(others(user), others_before, "{args:?} changed another user's key-file entry in {dir_arg}");
        if stderr(&out).contains("Wrong user name or password") {
            assert_eq!(after, before, "{args:?} failed before logging in, yet changed {dir_arg}");
        }
        assert_eq!(chart_state(&dir), state_before, "{args:?} changed the chart in {dir_arg}");
    }
}

#[test]
fn invalid_setup_arguments_create_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("new-clinic");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["init", "--user", "dr", "--role", "wizard", "--password-stdin"], "long-enough-password\n", "role"),
        (vec!["init", "--user", "Dr Who", "--password-stdin"], "long-enough-password\n", "user name"),
        (vec!["init", "--user", "dr", "--password-stdin"], "short\n", "password"),
        (
            vec!["patient", "search", "山田", "--user", "dr", "--password-stdin"],
            "long-enough-password\n",
            "mamori init",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = mamori(&dir, &args, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).to_lowercase().contains(expected), "{args:?}: {}", stderr(&out));
        assert!(!dir.exists() || snapshot(&dir).is_empty(), "{args:?} left files behind");
    }
    let png = tmp.path().join("dr-qr.png");
    let created = mamori(
        &dir,
        &["init", "--user", "dr", "--role", "doctor", "--password-stdin", "--qr-png", png.to_str().expect("path")],
        "long-enough-password\n",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    let secret = text.lines().find_map(|l| l.strip_prefix("Or enter the secret by hand: ")).expect("secret shown");
    assert!(text.contains("otpauth://totp/Mamori:dr?") && text.contains('█'), "URI and terminal QR shown");
    assert!(std::fs::read(&png).expect("png written").starts_with(b"\x89PNG"));
    // No phone at hand: a printed recovery code typed where the one-time code goes also logs in.
    let mut lines = text.lines().skip_while(|l| !l.starts_with("One-time recovery codes"));
    let recovery = lines.nth(1).expect("recovery codes listed").trim();
    // The clinic's root key is printed once, for the recovery kit, and kept nowhere.
    let root_key = text.lines().find_map(|l| l.trim().strip_prefix("root key: ")).expect("recovery kit shown");
    assert_eq!(root_key.split('-').count(), 8, "{root_key}");
    let compact: String = root_key.chars().filter(|c| *c != '-').collect();
    let holds = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for (file, bytes) in snapshot(&dir) {
        for form in [compact.clone(), compact.to_lowercase()] {
            assert!(!holds(&bytes, form.as_bytes()), "{} holds the root key", file.display());
        }
    }
    let by_recovery = mamori(
        &dir,
        &["patient", "search", "山田", "--user", "dr", "--password-stdin"],
        &format!("long-enough-password\n{recovery}\n"),
    );
    assert_eq!(stdout(&by_recovery).trim(), "No patients found.", "{}", stderr(&by_recovery));
    remember_secret(&dir, "dr", secret);
    let empty =
        mamori(&dir, &["patient", "search", "山田", "--user", "dr", "--password-stdin"], "long-enough-password\n");
    assert_eq!(stdout(&empty).trim(), "No patients found.");
}

#[test]
fn a_data_folder_copied_to_another_computer_stops_with_an_explanation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let copy = tmp.path().join("copied");
    std::fs::create_dir(&copy).expect("mkdir");
    for (file, bytes) in snapshot(&dir) {
        std::fs::write(copy.join(file.file_name().expect("name")), bytes).expect("copy");
    }
    // Another computer: a separate Secret Service with its own, empty keyring.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib/with-secret-service");
    let other_keyring = tmp.path().join("other-computer-keyring");
    let out = Command::new(script)
        .env_remove("MAMORI_IN_SECRET_SERVICE")
        .env("MAMORI_KEYRING_HOME", &other_keyring)
        .arg(env!("CARGO_BIN_EXE_mamori"))
        .args([
            "--data-dir",
            copy.to_str().expect("path"),
            "patient",
            "search",
            "山",
            "--user",
            "doctor",
            "--password-stdin",
            "--totp",
            "000000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(format!("{DOCTOR}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("run on the other computer");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("keyring holds no key") && err.contains("copied from another computer"), "{err}");

    // On this computer, the copy opens (same keyring): the stop was about the keyring only.
    remember_secret(&copy, "doctor", &secret_of(&dir, "doctor").expect("doctor's secret"));
    let here =
        mamori(&copy, &["patient", "search", "1", "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert!(here.status.success(), "{}", stderr(&here));
}

#[test]
fn the_admin_verifies_and_exports_the_audit_log_and_a_doctor_may_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let search =
        mamori(&dir, &["patient", "search", "1", "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert!(search.status.success(), "{}", stderr(&search));

    let admin = "demo-admin-password\n";
    let verified = mamori(&dir, &["audit", "verify", "--user", "admin", "--password-stdin"], admin);
    assert!(stdout(&verified).contains("Audit log intact"), "{}", stderr(&verified));

    let export = mamori(&dir, &["audit", "export", "--format", "jsonl", "--user", "admin", "--password-stdin"], admin);
    assert!(export.status.success(), "{}", stderr(&export));
    let lines: Vec<serde_json::Value> =
        stdout(&export).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    let fields =
        ["id", "at", "user", "role", "device", "patient", "section", "action", "outcome", "reason", "break_glass"];
    for line in &lines {
        for field in fields {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
    }
    assert!(lines.iter().any(|l| l["user"] == "doctor" && l["action"] == "search"));

    let report = mamori(
        &dir,
        &["audit", "report", "--of-user", "doctor", "--format", "csv", "--user", "admin", "--password-stdin"],
        admin,
    );
    assert!(
        stdout(&report).starts_with("seq,at,user,role,patient,section,action,outcome,reason"),
        "{}",
        stdout(&report)
    );

    let refused = mamori(&dir, &["audit", "verify", "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("may not read administration"), "{}", stderr(&refused));
}

#[test]
fn commands_log_to_the_log_folder_without_the_names_or_passwords_they_were_given() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let args = ["patient", "search", "山田", "--user", "doctor", "--password-stdin"];
    let found = mamori(&dir, &args, &format!("{DOCTOR}\n"));
    assert!(found.status.success(), "{}", stderr(&found));
    let wrong = mamori(&dir, &args, "not-the-doctors-password\n");
    assert!(!wrong.status.success());

    let files: Vec<_> =
        std::fs::read_dir(log_dir(&dir)).expect("a log folder").map(|e| e.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "one file a day: {files:?}");
    let name = files[0].file_name().expect("name").to_string_lossy().into_owned();
    assert!(name.starts_with("mamori-cli.") && name.ends_with(".log"), "{name}");
    let text = std::fs::read_to_string(&files[0]).expect("read");
    for expected in
        ["logging started level=info program=mamori-cli", "demo clinic created patients=5", "unlocked user=doctor"]
    {
        assert!(text.contains(expected), "no \"{expected}\" in:\n{text}");
    }
    assert!(text.contains("login failed: wrong password or unknown user known=true user=doctor"), "{text}");
    for typed in ["山田", DOCTOR, "not-the-doctors-password"] {
        assert!(!text.contains(typed), "the log holds {typed:?}");
    }
    assert!(!dir.join(&name).exists(), "logs stay out of the data folder");
}

#[test]
fn errors_are_printed_in_japanese_under_a_japanese_locale_and_in_english_otherwise() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "3");
    let blank_search = ["patient", "search", " ", "--user", "doctor", "--password-stdin"];
    let run = |locale: &[(&str, &str)]| {
        let out = mamori_in_locale(&dir, &blank_search, &format!("{DOCTOR}\n"), locale);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stderr(&out)
    };

    let japanese = run(&[("LANG", "ja_JP.UTF-8")]);
    assert_eq!(
        japanese.trim_end(),
        "mamori: error: 入力内容を確認してください。検索語：氏名・カナ・カルテ番号・電話番号・生年月日のいずれかを入力してください。"
    );
    let english = run(&[("LANG", "C")]);
    assert_eq!(
        english.trim_end(),
        "mamori: error: Please check the input. Search: Enter a name, kana reading, chart number, phone number or \
         birth date."
    );
    // LC_ALL outranks LANG, as in every POSIX program.
    assert_eq!(run(&[("LANG", "ja_JP.UTF-8"), ("LC_ALL", "C")]), english);
    assert_eq!(run(&[("LANG", "C"), ("LC_MESSAGES", "ja_JP.UTF-8")]), japanese);

    let wrong = ["patient", "search", "1", "--user", "doctor", "--password-stdin"];
    let refused = mamori_in_locale(&dir, &wrong, "not-the-password\n", &[("LANG", "ja_JP.UTF-8")]);
    assert!(stderr(&refused).contains("ユーザー名またはパスワードが違います。"), "{}", stderr(&refused));
}
