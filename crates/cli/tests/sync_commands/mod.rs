//! The clinic's IT person sets up sync from the command line: the admin enrolls the desk (which
//! prints the clinic root), the back-office server is set up with it and started, the desk syncs
//! and remembers the server; devices and conflicts are listed. Every mistake is one clear line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::*;

/// A running `mamori server run`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["server", "run", "--dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("MAMORI_LOG_DIR", dir.join("logs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server says where it listens");
    let url = line.split_whitespace().find(|w| w.starts_with("https://")).expect("an https address").to_owned();
    Server { child, url }
}

/// The word after `label` on the line holding it.
fn after(text: &str, label: &str) -> String {
    let line = text.lines().skip_while(|l| !l.contains(label)).nth(1).expect(label);
    line.trim().to_owned()
}

#[test]
fn the_admin_enrolls_the_desk_sets_up_the_server_and_the_desk_syncs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "10");
    let admin = ["--user", "admin", "--password-stdin"];
    let enrolled = mamori(&dir, &[&["enroll"][..], &admin].concat(), "demo-admin-password\n");
    assert!(enrolled.status.success(), "{}", stderr(&enrolled));
    let root = after(&stdout(&enrolled), "Clinic root fingerprint");
    assert_eq!(root.len(), 64, "{}", stdout(&enrolled));

    let server_dir = tmp.path().join("server");
    let server_arg = server_dir.to_str().expect("utf-8");
    let init = mamori(&dir, &["server", "init", "--dir", server_arg, "--clinic-root", &root], "");
    assert!(init.status.success(), "{}", stderr(&init));
    let fingerprint = after(&stdout(&init), "Server certificate fingerprint");
    let again = mamori(&dir, &["server", "init", "--dir", server_arg, "--clinic-root", &root], "");
    assert!(!again.status.success() && stderr(&again).contains("already exists"), "{}", stderr(&again));
    let server = start_server(&server_dir);

    let doctor = ["--user", "doctor", "--password-stdin"];
    let first = mamori(
        &dir,
        &[&["sync", "--server", &server.url, "--server-fingerprint", &fingerprint][..], &doctor].concat(),
        &format!("{DOCTOR}\n"),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Synced with") && !stdout(&first).contains("sent 0 changes"), "{}", stdout(&first));
    // The server is remembered; nothing moves the second time.
    let second = mamori(&dir, &[&["sync"][..], &doctor].concat(), &format!("{DOCTOR}\n"));
    assert!(stdout(&second).contains("sent 0 changes, received 0"), "{}{}", stdout(&second), stderr(&second));

    let devices = mamori(&dir, &[&["device", "list"][..], &admin].concat(), "demo-admin-password\n");
    assert!(
        stdout(&devices).contains("(this computer)") && stdout(&devices).contains("enrolled"),
        "{}{}",
        stdout(&devices),
        stderr(&devices)
    );
    let refused = mamori(&dir, &[&["device", "list"][..], &doctor].concat(), &format!("{DOCTOR}\n"));
    assert!(!refused.status.success(), "a doctor does not list devices");
    let conflicts = mamori(&dir, &[&["conflicts"][..], &doctor].concat(), &format!("{DOCTOR}\n"));
    assert!(stdout(&conflicts).contains("No record was edited on two devices"), "{}", stdout(&conflicts));
}

#[test]
fn sync_and_server_mistakes_are_one_clear_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let server_dir = tmp.path().join("server");
    let server_arg = server_dir.to_str().expect("utf-8");
    let doctor = ["--user", "doctor", "--password-stdin"];
    let pin = "ab".repeat(32);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["server", "init", "--dir", server_arg, "--clinic-root", "abc"], "64 hex characters"),
        (vec!["server", "run", "--dir", server_arg], "run `mamori server init"),
        ([&["sync"][..], &doctor].concat(), "give --server and --server-fingerprint once"),
        (
            [&["sync", "--server", "https://127.0.0.1:9"][..], &doctor].concat(),
            "give both --server and --server-fingerprint",
        ),
        (
            [&["sync", "--server", "http://127.0.0.1:9", "--server-fingerprint", &pin][..], &doctor].concat(),
            "is an https:// address",
        ),
        (
            [&["sync", "--server", "https://127.0.0.1:9", "--server-fingerprint", &pin][..], &doctor].concat(),
            "could not be reached",
        ),
    ];
    for (args, expected) in cases {
        let out = mamori(&dir, &args, &format!("{DOCTOR}\n"));
        assert!(!out.status.success(), "{args:?} succeeded");
        let said = stderr(&out);
        assert!(said.contains(expected), "{args:?}: {said}");
        assert_eq!(said.trim_end().lines().count(), 1, "{args:?}: one line: {said}");
    }
    assert!(!server_dir.join("server.toml").exists(), "a refused init leaves nothing behind");
}

/// The line of `text` holding `marker`, trimmed.
fn line_with(text: &str, marker: &str) -> String {
    text.lines().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no {marker} in {text}")).trim().to_owned()
}

#[test]
fn the_admin_invites_the_laptop_and_the_doctor_joins_it_with_code_password_and_secret_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let desk = tmp.path().join("desk");
    let demo = mamori(&desk, &["demo", "--patients", "4", "--seed", "3", "--json"], "");
    assert!(demo.status.success(), "{}", stderr(&demo));
    remember_demo_secrets(&desk, &demo);
    let report: serde_json::Value = serde_json::from_str(&stdout(&demo)).expect("json");
    let root = report["clinic_root"].as_str().expect("root").to_owned();
    let doctor = report["users"].as_array().expect("users").iter().find(|u| u["name"] == "doctor").expect("doctor");
    let secret_key = doctor["secret_key"].as_str().expect("a Secret Key").to_owned();
    assert!(secret_key.starts_with("MSK1-"), "{secret_key}");

    let server_dir = tmp.path().join("server");
    let server_arg = server_dir.to_str().expect("utf-8");
    let init = mamori(&desk, &["server", "init", "--dir", server_arg, "--clinic-root", &root], "");
    let fingerprint = after(&stdout(&init), "Server certificate fingerprint");
    let server = start_server(&server_dir);
    let admin = ["--user", "admin", "--password-stdin"];
    let synced = mamori(
        &desk,
        &[&["sync", "--server", &server.url, "--server-fingerprint", &fingerprint][..], &admin].concat(),
        "demo-admin-password\n",
    );
    assert!(synced.status.success(), "{}", stderr(&synced));

    let invited =
        mamori(&desk, &[&["device", "invite", "home-visit-laptop"][..], &admin].concat(), "demo-admin-password\n");
    assert!(invited.status.success(), "{}", stderr(&invited));
    let code = line_with(&stdout(&invited), "MJ1-");
    assert!(stdout(&invited).contains('█'), "a QR code is shown");

    let laptop = tmp.path().join("laptop");
    let wrong = mamori(&laptop, &["join", "--user", "doctor", "--stdin"], &format!("{code}\n{DOCTOR}\nMSK1-AAAA\n"));
    assert!(!wrong.status.success() && stderr(&wrong).contains("Secret Key"), "{}", stderr(&wrong));
    let joined =
        mamori(&laptop, &["join", "--user", "doctor", "--stdin"], &format!("{code}\n{DOCTOR}\n{secret_key}\n"));
    assert!(joined.status.success(), "{}", stderr(&joined));
    assert!(stdout(&joined).contains("has joined the clinic"), "{}", stdout(&joined));
    let again = mamori(&laptop, &["join", "--user", "doctor", "--stdin"], &format!("{code}\n{DOCTOR}\n{secret_key}\n"));
    assert!(!again.status.success() && stderr(&again).contains("joins only once"), "{}", stderr(&again));

    // The doctor logs in on the laptop with her own authenticator; the laptop waits for the key
    // until the desk has synced once since.
    remember_secret(&laptop, "doctor", &secret_of(&desk, "doctor").expect("her TOTP secret"));
    let doctor_login = ["--user", "doctor", "--password-stdin"];
    let waiting = mamori(&laptop, &[&["sync"][..], &doctor_login].concat(), &format!("{DOCTOR}\n"));
    assert!(!waiting.status.success(), "{}", stdout(&waiting));
    let passed = mamori(&desk, &[&["sync"][..], &admin].concat(), "demo-admin-password\n");
    assert!(passed.status.success(), "{}", stderr(&passed));
    let received = mamori(&laptop, &[&["sync"][..], &doctor_login].concat(), &format!("{DOCTOR}\n"));
    assert!(received.status.success(), "{}", stderr(&received));
    assert!(!stdout(&received).contains("received 0"), "{}", stdout(&received));
    let devices = mamori(&desk, &[&["device", "list"][..], &admin].concat(), "demo-admin-password\n");
    assert!(line_with(&stdout(&devices), "home-visit-laptop").contains("enrolled"), "{}", stdout(&devices));
    // The laptop's audit went to the server with its sync: the admin's clinic-wide list covers
    // it (each batch checked against the laptop's key); the doctor may not ask for it.
    let wide =
        mamori(&desk, &[&["alerts", "list", "--clinic-wide", "--json"][..], &admin].concat(), "demo-admin-password\n");
    assert!(wide.status.success(), "{}", stderr(&wide));
    let covering = line_with(&stderr(&wide), "home-visit-laptop");
    assert!(covering.contains("2 devices") || covering.contains("2台"), "{}", stderr(&wide));
    let not_hers =
        mamori(&laptop, &[&["alerts", "list", "--clinic-wide"][..], &doctor_login].concat(), &format!("{DOCTOR}\n"));
    assert!(!not_hers.status.success(), "a doctor fetched the clinic-wide audit: {}", stdout(&not_hers));

    // The laptop is lost: the admin revokes it, and its next sync is refused.
    let revoked =
        mamori(&desk, &[&["device", "revoke", "home-visit-laptop"][..], &admin].concat(), "demo-admin-password\n");
    assert!(
        revoked.status.success() && stdout(&revoked).contains("is revoked"),
        "{}{}",
        stdout(&revoked),
        stderr(&revoked)
    );
    let devices = mamori(&desk, &[&["device", "list"][..], &admin].concat(), "demo-admin-password\n");
    assert!(line_with(&stdout(&devices), "home-visit-laptop").contains("revoked"), "{}", stdout(&devices));
    let shut_out = mamori(&laptop, &[&["sync"][..], &doctor_login].concat(), &format!("{DOCTOR}\n"));
    assert!(!shut_out.status.success(), "a revoked laptop synced: {}", stdout(&shut_out));

    // It was not retired but lost: the admin marks it so, and its login screen's check-in wipes it.
    let marked =
        mamori(&desk, &[&["device", "wipe", "home-visit-laptop"][..], &admin].concat(), "demo-admin-password\n");
    assert!(
        marked.status.success() && stdout(&marked).contains("marked lost"),
        "{}{}",
        stdout(&marked),
        stderr(&marked)
    );
    let devices = mamori(&desk, &[&["device", "list"][..], &admin].concat(), "demo-admin-password\n");
    assert!(line_with(&stdout(&devices), "home-visit-laptop").contains("wipe ordered"), "{}", stdout(&devices));
    let wiped = mamori(&laptop, &["check-in"], "");
    assert!(wiped.status.success() && stdout(&wiped).contains("destroyed"), "{}{}", stdout(&wiped), stderr(&wiped));
    assert!(!laptop.exists(), "the laptop's data folder survived its wipe");
    let devices = mamori(&desk, &[&["device", "list"][..], &admin].concat(), "demo-admin-password\n");
    assert!(line_with(&stdout(&devices), "home-visit-laptop").contains("wiped"), "{}", stdout(&devices));

    // The clinic shortens the lease; the desk's next check-in hears it.
    let lease = mamori(&desk, &[&["device", "lease", "--days", "7"][..], &admin].concat(), "demo-admin-password\n");
    assert!(lease.status.success() && stdout(&lease).contains("7 days"), "{}{}", stdout(&lease), stderr(&lease));
    let checked = mamori(&desk, &["check-in"], "");
    assert!(stdout(&checked).contains("offline for 7 days"), "{}{}", stdout(&checked), stderr(&checked));
    let refused = mamori(&desk, &[&["device", "lease", "--days", "400"][..], &admin].concat(), "");
    assert!(!refused.status.success() && stderr(&refused).contains("400"), "{}", stderr(&refused));
}
