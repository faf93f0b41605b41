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
