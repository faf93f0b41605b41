//! Story: the home-visit laptop's battery dies mid-sync, again and again — fifty times while
//! pushing and fifty while pulling, at random moments, over real HTTPS. When it comes back,
//! nothing it wrote or received is lost, nothing is applied twice, and it agrees with the desk.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use mamori_core::replication;
use mamori_story_tests::sync_fixture::Keys;
use mamori_sync::wire::{Frontier, PullRequest};
use mamori_sync::{Engine, Settings, Transport};
use rand::{Rng, SeedableRng};

use crate::sync_chains::chains_verify;
use crate::sync_over_http::{replica, start_server, transport};

const KILLS_PER_DEVICE: usize = 50;

#[test]
fn devices_killed_mid_push_and_mid_pull_fifty_times_each_lose_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = start_server(&runtime, &["desk", "laptop"]);
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("https://{}", server.addr);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut written = Vec::new();
    let mut killed_while_working = 0;
    for i in 0..2 * KILLS_PER_DEVICE {
        // The desk writes a lot and pushes; the laptop writes a little and mostly pulls.
        let (device, writes) = if i % 2 == 0 { ("desk", "8") } else { ("laptop", "1") };
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-client"))
            .args([dir.path().join(format!("{device}.db")).to_str().expect("utf-8"), device, &url])
            .args([&hex::encode(server.pin), writes, "2"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start sync-client");
        std::thread::sleep(Duration::from_millis(rng.random_range(30..300)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let lines: Vec<String> =
            BufReader::new(child.stdout.take().expect("stdout")).lines().map_while(Result::ok).collect();
        if !lines.is_empty() {
            killed_while_working += 1;
        }
        written.extend(lines.iter().filter_map(|l| l.strip_prefix("wrote ").map(str::to_owned)));
    }
    assert!(killed_while_working >= KILLS_PER_DEVICE, "most kills must land while the client works");

    // Power back: both sync until nothing waits.
    let keys = Keys { devices: vec!["desk".into(), "laptop".into()] };
    let (mut desk, desk_id) = replica(dir.path(), "desk");
    let (mut laptop, laptop_id) = replica(dir.path(), "laptop");
    for _ in 0..3 {
        for (conn, me) in [(&mut desk, &desk_id), (&mut laptop, &laptop_id)] {
            let engine = Engine {
                transport: transport(&server, &me.device),
                me,
                directory: &keys,
                settings: Settings::default(),
            };
            runtime.block_on(engine.round(conn, &mut |_, _| {})).expect("a clean round");
        }
    }
    let count = |conn: &rusqlite::Connection| replication::change_count(conn).expect("count");
    let in_log = |conn: &rusqlite::Connection, id: &str| -> bool {
        conn.query_row("SELECT count(*) FROM changes WHERE id = ?1", [id], |r| r.get::<_, i64>(0)).expect("query") == 1
    };
    assert!(written.len() > 100, "the clients wrote while being killed ({})", written.len());
    for id in &written {
        assert!(in_log(&desk, id) && in_log(&laptop, id), "change {id} was lost");
    }
    assert_eq!(count(&desk), count(&laptop), "both hold every change once");
    assert_eq!(replication::state_digest(&desk).expect("digest"), replication::state_digest(&laptop).expect("digest"));
    let held = runtime
        .block_on(transport(&server, "desk").pull(PullRequest { have: Frontier::default(), limit: 2000 }))
        .expect("pull everything");
    assert_eq!(held.envelopes.len() as u64, count(&desk), "the server holds every change");
    chains_verify(held.envelopes, &keys).expect("unbroken chains on the server");
    println!(
        "sync kill story: {} kills, {killed_while_working} while working, {} changes written, all present on both devices",
        2 * KILLS_PER_DEVICE,
        written.len()
    );
}
