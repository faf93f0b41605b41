//! Sync throughput: a front-desk device writes N changes (~300-byte appointment records, N/10
//! patients), seals them, pushes them over HTTPS to the clinic server, and a fresh laptop pulls
//! and applies them — on the SQLite server, then on PostgreSQL when one answers. Beside it, in the
//! same run, pouchdb-server + PouchDB replicate the same records (`benches/pouchdb/`), and the
//! cost of each cryptographic step is measured in micro-loops over the same changes, to print
//! its share of the per-change cost. Prints figures; asserts nothing about timings.
//!
//!     scripts/bench-sync                  (= cargo bench -p mamori-story-tests --bench sync_throughput)
//!
//! Environment: MAMORI_BENCH_CHANGES (default 100000); MAMORI_TEST_POSTGRES (libpq style, default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`); MAMORI_BENCH_CHART = `app` (default),
//! `no-memory-security` (SQLCipher with `cipher_memory_security = OFF`) or `plain` (no SQLCipher),
//! to see what each costs; MAMORI_BENCH_NO_POUCHDB=1 skips the PouchDB side.
//!
//! The devices' chart databases are opened as the app opens them (SQLCipher with a raw key and
//! `cipher_memory_security = ON`, WAL, synchronous = FULL, 64 MiB cache, secure_delete;
//! `crates/core/src/store/open.rs`). The clinic server runs in a process of its own (this binary,
//! started again), as in a clinic. Writing the changes is not timed (it happens once, into a
//! template copied for each backend).
//!
//! This file: the environment and the run in order; each module beside it does one job.

mod crypto;
mod fixtures;
mod postgres;
mod pouch;
mod report;
mod run;
mod server_process;
mod timed;

use std::time::Instant;

use uuid::Uuid;

use crate::crypto::crypto_costs;
use crate::fixtures::{write_template, Chart};
use crate::postgres::{postgres_config, DropSchema};
use crate::pouch::pouchdb;
use crate::report::report;
use crate::run::run_backend;
use crate::server_process::{serve_process, ServerProcess, SERVE_ENV};

const WRITER: &str = "desk";
const READER: &str = "laptop";
const PAGE: usize = 500;
/// Envelopes the crypto micro-loops run over (at most N).
const CRYPTO_SAMPLE: usize = 10_000;

fn main() {
    if let Ok(spec) = std::env::var(SERVE_ENV) {
        return serve_process(&spec);
    }
    let n = env_number("MAMORI_BENCH_CHANGES", 100_000).max(1);
    let chart = Chart::from_env();
    let tmp = tempfile::tempdir().expect("a temporary folder for the databases");
    let template = tmp.path().join("template.db");

    println!("sync throughput: {n} changes, pages of {PAGE}, chart databases {}", chart.describe());
    let started = Instant::now();
    // Memory security (process-wide once on) changes nothing in the file: the template is written
    // without it, which is much faster, and the runs below switch it on as the app does.
    let records = write_template(&template, n, if chart == Chart::App { Chart::NoMemorySecurity } else { chart });
    let record_bytes = records.iter().map(String::len).sum::<usize>() as f64 / n as f64;
    println!(
        "wrote {n} changes ({record_bytes:.0}-byte records) in {:.1} s (not timed as sync)",
        started.elapsed().as_secs_f64()
    );

    let mut backends = Vec::new();
    let sqlite_dir = tmp.path().join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).expect("a folder for the SQLite run");
    let mut server = ServerProcess::start(&format!("sqlite:{}", sqlite_dir.join("server.db").display()));
    let figures = runtime().block_on(run_backend(&mut server, &template, &sqlite_dir, n, chart));
    drop(server);
    backends.push(("SQLite", Some(figures)));

    match postgres_config() {
        Ok(config) => {
            let pg_dir = tmp.path().join("postgres");
            std::fs::create_dir_all(&pg_dir).expect("a folder for the PostgreSQL run");
            let schema = format!("mamori_bench_{}", Uuid::new_v4().simple());
            // Dropped after the server process (and its pool) is gone, also if the run panics.
            let _schema = DropSchema { config: config.clone(), schema: schema.clone() };
            let mut server = ServerProcess::start(&format!("postgres:{schema}:{config}"));
            let figures = runtime().block_on(run_backend(&mut server, &template, &pg_dir, n, chart));
            drop(server);
            backends.push(("PostgreSQL", Some(figures)));
        }
        Err(why) => {
            println!("SKIPPED PostgreSQL backend: {why}");
            backends.push(("PostgreSQL", None));
        }
    }

    let crypto = crypto_costs(&template, n.min(CRYPTO_SAMPLE), chart);

    let pouch = if std::env::var("MAMORI_BENCH_NO_POUCHDB").is_ok_and(|v| v == "1") {
        Err("MAMORI_BENCH_NO_POUCHDB=1".to_owned())
    } else {
        let path = tmp.path().join("records.jsonl");
        std::fs::write(&path, records.join("\n") + "\n").expect("write the records for PouchDB");
        drop(records);
        pouchdb(&path)
    };
    if let Err(why) = &pouch {
        println!("SKIPPED PouchDB side (no ratios): {why}");
    }

    report(n, record_bytes, chart, &backends, &crypto, pouch.as_ref().ok());
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}
