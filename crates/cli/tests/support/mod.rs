//! Helpers for the CLI tests: running `mamori` with a pinned clock and fresh one-time codes,
//! and looking at data folders.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

pub const DOCTOR: &str = "demo-doctor-password";

/// Every invocation runs one TOTP step (30 s) after the previous one, on a pinned clock
/// (MAMORI_TEST_NOW, honoured by debug builds only), so each login can present a fresh code.
static STEP: AtomicI64 = AtomicI64::new(0);
pub const FIRST_SECOND: i64 = 1_795_000_000; // 2026-11-19

/// TOTP secrets by (data folder, user), learnt from `demo --json` and `init`.
static SECRETS: Mutex<Vec<(PathBuf, String, String)>> = Mutex::new(Vec::new());

pub fn remember_secret(dir: &Path, user: &str, secret: &str) {
    SECRETS.lock().expect("lock").push((dir.to_path_buf(), user.to_string(), secret.to_string()));
}

pub fn secret_of(dir: &Path, user: &str) -> Option<String> {
    SECRETS.lock().expect("lock").iter().find(|(d, u, _)| d == dir && u == user).map(|(_, _, s)| s.clone())
}

/// Runs `mamori --data-dir DIR ARGS` with `stdin`; when ARGS log in as a known user, appends
/// `--totp` with the code an authenticator app would show at that moment.
pub fn mamori(dir: &Path, args: &[&str], stdin: &str) -> Output {
    mamori_in_locale(dir, args, stdin, &[])
}

/// [`mamori`] under the locale `vars` set (LANG, LC_MESSAGES, LC_ALL); with none set it runs in
/// English, whatever the locale of the machine running the tests.
pub fn mamori_in_locale(dir: &Path, args: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Output {
    let now = FIRST_SECOND + 30 * STEP.fetch_add(1, Ordering::SeqCst);
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let at = args.iter().position(|a| a == "--user");
    let user = at.and_then(|i| args.get(i + 1)).cloned();
    if let (Some(at), Some(secret)) = (at, user.as_deref().and_then(|u| secret_of(dir, u))) {
        if !args.iter().any(|a| a == "--totp" || a == "--recovery-code") {
            // Right after `--user NAME`, where the login flags belong.
            args.insert(at + 2, code_at(&secret, now));
            args.insert(at + 2, "--totp".into());
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .arg("--data-dir")
        .arg(dir)
        .args(&args)
        .env("MAMORI_TEST_NOW", chrono::DateTime::from_timestamp(now, 0).expect("time").to_rfc3339())
        .env("MAMORI_LOG_DIR", log_dir(dir))
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C")
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mamori starts");
    // A command that fails before reading its password closes stdin early; that is fine.
    if let Err(e) = child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
    }
    child.wait_with_output().expect("mamori finishes")
}

/// Where the tests' `mamori` writes its log files: beside the data folder, never in it.
pub fn log_dir(dir: &Path) -> PathBuf {
    dir.with_extension("logs")
}

pub fn code_at(secret: &str, unix_seconds: i64) -> String {
    let app =
        totp_rs::Totp::from_url(format!("otpauth://totp/Mamori:x?secret={secret}&issuer=Mamori")).expect("secret");
    app.generate(u64::try_from(unix_seconds).expect("positive")).to_string()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn demo_clinic(tmp: &Path, patients: &str) -> PathBuf {
    let dir = tmp.join("clinic");
    let out = mamori(&dir, &["demo", "--patients", patients, "--seed", "9", "--json"], "");
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    remember_demo_secrets(&dir, &out);
    dir
}

pub fn remember_demo_secrets(dir: &Path, out: &Output) {
    let report: serde_json::Value = serde_json::from_str(&stdout(out)).expect("demo --json prints JSON");
    for user in report["users"].as_array().expect("users") {
        remember_secret(dir, user["name"].as_str().expect("name"), user["totp_secret"].as_str().expect("secret"));
    }
}

pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|entries| entries.map(|e| e.expect("entry").path()).collect()).unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f, bytes)
        })
        .collect()
}

/// Files by name with a fingerprint of their bytes (short enough to print in a failure).
pub fn fingerprint(dir: &Path) -> Vec<(String, u64)> {
    use std::hash::{Hash, Hasher};
    snapshot(dir)
        .into_iter()
        .map(|(path, bytes)| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), hasher.finish())
        })
        .collect()
}

/// The chart as the core sees it: state digest and length of the change log. A successful
/// login appends to the audit log, so commands that fail after logging in are compared here.
pub fn chart_state(dir: &Path) -> (String, u64) {
    let clinic = login(dir, "admin", "demo-admin-password");
    (clinic.state_digest().expect("digest"), clinic.change_count().expect("count"))
}

/// Logs `user` in through the core, as the desktop app would, one TOTP step after the last
/// command (for what the CLI cannot do, such as breaking the glass).
pub fn login(dir: &Path, user: &str, password: &str) -> mamori_core::clinic::Clinic {
    use mamori_core::clinic::{Clinic, DataDir};
    let now = FIRST_SECOND + 30 * STEP.fetch_add(1, Ordering::SeqCst);
    let code = code_at(&secret_of(dir, user).expect("a known user's secret"), now);
    let clock = mamori_core::clock::ManualClock::at(chrono::DateTime::from_timestamp(now, 0).expect("time"));
    Clinic::unlock(
        &DataDir::new(dir),
        &mamori_core::vault::KeyringStore::default(),
        Box::new(clock),
        user,
        &mamori_core::secret::Password::new(password),
        &mamori_core::auth::SecondFactor::Totp(code),
    )
    .unwrap_or_else(|e| panic!("unlock as {user}: {e}"))
}

/// `mamori` with one extra environment variable (for --password-env).
pub fn mamori_env(dir: &Path, args: &[&str], stdin: &str, (key, value): (&str, &str)) -> Output {
    std::env::set_var(key, value);
    mamori(dir, args, stdin)
}
