//! One backend's run: the desk seals and pushes every change, a fresh laptop pulls and applies them.

use std::path::Path;
use std::time::Instant;

use mamori_core::replication;
use mamori_story_tests::sync_fixture::device_key;
use mamori_sync::http::HttpTransport;
use mamori_sync::local;
use mamori_sync::{Engine, Settings};

use crate::fixtures::{chart_db, copy_template, identity, keys, Chart};
use crate::server_process::ServerProcess;
use crate::timed::{parts_since, TimedTransport};
use crate::{PAGE, READER, WRITER};

/// What one backend's run measured.
pub struct Figures {
    pub seal_s: f64,
    pub push_s: f64,
    pub pull_s: f64,
    pub envelope_bytes: f64,
    pub push_parts: Parts,
    pub pull_parts: Parts,
    /// One `local::frontier` read on the laptop once it holds every envelope (the engine reads the
    /// frontier for every page it pulls or pushes).
    pub frontier_s: f64,
}

/// Where a phase's wall time went, in seconds.
#[derive(Default, Clone, Copy)]
pub struct Parts {
    /// The engine waiting on the transport (HTTPS + server).
    pub transport: f64,
    /// The server in its storage: appends (push) or pages (pull).
    pub storage_main: f64,
    /// The server in its storage otherwise: state, frontier, request counters.
    pub storage_other: f64,
}

pub async fn run_backend(server: &mut ServerProcess, template: &Path, dir: &Path, n: usize, chart: Chart) -> Figures {
    let (base, pin) = (format!("https://{}", server.addr), server.pin);
    let directory = keys();
    let settings = Settings { pull_page: PAGE as u32, push_page: PAGE, ..Settings::default() };

    // Seal: every pending change into envelopes, as a round does before it pushes.
    let writer_path = dir.join("writer.db");
    copy_template(template, &writer_path);
    let mut writer = chart_db(&writer_path, chart);
    let desk = identity(WRITER);
    local::prepare(&writer).expect("sync tables");
    let started = Instant::now();
    let mut sealed = 0;
    loop {
        let batch = local::seal_pending(&mut writer, &desk, settings.seal_batch).expect("seal");
        if batch == 0 {
            break;
        }
        sealed += batch;
    }
    let seal_s = started.elapsed().as_secs_f64();
    assert_eq!(sealed, n, "every change was sealed");
    let envelope_bytes: f64 = writer
        .query_row("SELECT avg(length(bytes)) FROM sync_envelopes", [], |row| row.get(0))
        .expect("envelope sizes");

    // Push: one engine round sends every envelope, pages of 500.
    let transport = TimedTransport::new(HttpTransport::new(&base, pin, WRITER, device_key(WRITER)).expect("client"));
    let engine = Engine { transport: &transport, me: &desk, directory: &directory, settings };
    let before = server.counters();
    let started = Instant::now();
    let pushed = engine.round(&mut writer, &mut |_, _| {}).await.expect("push round");
    let push_s = started.elapsed().as_secs_f64();
    assert_eq!((pushed.pushed, pushed.waiting), (n as u64, 0), "every envelope reached the server");
    let push_parts = parts_since(before, server.counters(), transport.take(), true);

    // Pull and apply: a fresh laptop takes everything, pages of 500, each applied in one transaction.
    let reader_path = dir.join("reader.db");
    let mut reader = chart_db(&reader_path, chart);
    let laptop = identity(READER);
    let transport = TimedTransport::new(HttpTransport::new(&base, pin, READER, device_key(READER)).expect("client"));
    let engine = Engine { transport: &transport, me: &laptop, directory: &directory, settings };
    let before = server.counters();
    let started = Instant::now();
    let pulled = engine.round(&mut reader, &mut |_, _| {}).await.expect("pull round");
    let pull_s = started.elapsed().as_secs_f64();
    assert_eq!(pulled.pulled.applied, n as u64, "every change was applied");
    let pull_parts = parts_since(before, server.counters(), transport.take(), false);
    assert_eq!(
        replication::state_digest(&reader).expect("digest"),
        replication::state_digest(&writer).expect("digest"),
        "the laptop holds what the desk wrote"
    );
    let started = Instant::now();
    local::frontier(&reader).expect("frontier");
    let frontier_s = started.elapsed().as_secs_f64();
    Figures { seal_s, push_s, pull_s, envelope_bytes, push_parts, pull_parts, frontier_s }
}
