//! Story: the laptop's battery dies (here: SIGKILL) in the middle of a stream of writes. Every
//! change that was reported as saved is still there, and the database is intact.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use mamori_story_tests::*;

#[test]
fn a_process_killed_mid_write_loses_no_committed_change() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring_service = format!("mamori-test-crash-{}", std::process::id());
    let site = Site::new(tmp.path(), mamori_core::vault::KeyringStore::new(keyring_service.clone()));
    let dir = &site.dir;

    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(dir.root())
            .arg(&keyring_service)
            .arg(site.totp_secret("doctor"))
            .arg(round.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start writer");
        writeln!(child.stdin.take().expect("stdin"), "{}", site.password("doctor")).expect("password");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut committed = Vec::new();
        // Kill after a different number of writes each round, while more are in flight.
        while committed.len() < 15 + round * 7 {
            committed.push(lines.next().expect("writer is still writing").expect("line"));
        }
        // The kill makes gnome-keyring clean up whatever the writer left open; a keyring call
        // from another story at that moment can crash the daemon (gnome-keyring 42). So the kill
        // happens inside the keyring's cross-process turn, with a moment for the cleanup.
        let turn = mamori_story_tests::keyring_turn();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(turn);

        // The nurse checks: the doctor's one-time codes belong to the writer.
        let clinic = site.login("nurse");
        assert!(clinic.check_integrity().expect("check").is_empty(), "integrity_check must be ok");
        for id in &committed {
            let found: i64 = clinic
                .raw_sql_for_inspection()
                .expect("an unlocked session")
                .query_row("SELECT count(*) FROM patients WHERE id = ?1", [id.as_str()], |r| r.get(0))
                .expect("query");
            assert_eq!(found, 1, "a committed patient survives the crash");
        }
        let count: i64 = clinic
            .raw_sql_for_inspection()
            .expect("an unlocked session")
            .query_row("SELECT count(*) FROM patients", [], |r| r.get(0))
            .expect("count");
        let logged = clinic.change_count().expect("changes");
        assert_eq!(
            u64::try_from(count).expect("count") + 3,
            logged,
            "state and log agree (one change per patient plus the three users)"
        );
    }
}
