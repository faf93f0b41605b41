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

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ed25519_dalek::{Signer, VerifyingKey};
use mamori_core::domain::{Appointment, Role};
use mamori_core::replication::{self, AuthorKeys, Hlc, SignedChange, VerifiedChange};
use mamori_core::OpenBody;
use mamori_server::http::{self, App, Backend};
use mamori_server::storage::postgres::PostgresStorage;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::storage::{
    AuditEntry, AuditStorage, ChainStorage, Incoming, RequestCounters, Storage, Stored, StoredLink,
};
use mamori_server::{ClinicServer, DeviceRegistry};
use mamori_story_tests::sync_fixture::{data_key, device_key, user_key, Keys, CLINIC, USERS};
use mamori_sync::http::HttpTransport;
use mamori_sync::local;
use mamori_sync::wire::{
    genesis_prev, AuditOutcome, Envelope, Frontier, Hash32, Header, PullRequest, PullResponse, PushRequest,
    PushResponse, ServerState,
};
use mamori_sync::{DeviceIdentity, Engine, Settings, Transport};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde_json::{json, Value};
use uuid::Uuid;

const WRITER: &str = "desk";
const READER: &str = "laptop";
const PAGE: usize = 500;
const DEFAULT_POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";
/// The chart databases' raw SQLCipher key (a fixed test key).
const CHART_KEY: [u8; 32] = [0x4B; 32];
/// Envelopes the crypto micro-loops run over (at most N).
const CRYPTO_SAMPLE: usize = 10_000;

/// Set in the server process this benchmark starts (itself again): `sqlite:PATH` or
/// `postgres:SCHEMA:CONFIG`.
const SERVE_ENV: &str = "MAMORI_BENCH_SERVE";

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

/// How the devices' chart databases are opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chart {
    /// As the app opens them (`crates/core/src/store/open.rs`).
    App,
    /// SQLCipher without `cipher_memory_security` (which locks and wipes every allocation).
    NoMemorySecurity,
    /// Plain SQLite, no cipher.
    Plain,
}

impl Chart {
    fn from_env() -> Self {
        match std::env::var("MAMORI_BENCH_CHART").as_deref() {
            Ok("plain") => Chart::Plain,
            Ok("no-memory-security") => Chart::NoMemorySecurity,
            _ => Chart::App,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Chart::App => "as the app opens them (SQLCipher with cipher_memory_security, WAL, synchronous=FULL)",
            Chart::NoMemorySecurity => {
                "SQLCipher WITHOUT cipher_memory_security (not the app's setting), WAL, synchronous=FULL"
            }
            Chart::Plain => "PLAIN SQLite (no SQLCipher; not the app's setting), WAL, synchronous=FULL",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Chart::App => "app",
            Chart::NoMemorySecurity => "no-memory-security",
            Chart::Plain => "plain",
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}

/// A device's chart database, configured as `mamori_core`'s store opens it.
fn chart_db(path: &Path, chart: Chart) -> Connection {
    let mut conn = Connection::open(path).expect("open a chart database");
    if chart != Chart::Plain {
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(CHART_KEY))).expect("key");
        let memory_security = if chart == Chart::App { "ON" } else { "OFF" };
        conn.execute_batch(&format!(
            "PRAGMA cipher_log_level = NONE; PRAGMA cipher_memory_security = {memory_security};"
        ))
        .expect("cipher settings");
    }
    let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).expect("WAL");
    assert!(journal.eq_ignore_ascii_case("wal"), "the chart database is in WAL mode");
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;",
    )
    .expect("chart settings");
    replication::testing::migrate(&mut conn).expect("chart schema");
    conn
}

fn identity(device: &str) -> DeviceIdentity {
    DeviceIdentity {
        clinic: CLINIC,
        device: device.into(),
        signing_key: device_key(device),
        data_keys: vec![data_key(1)],
    }
}

/// The fixture's clinic (users, roles, devices: `sync_fixture`) with every public key derived once,
/// as the app's directory (the verified membership chain) holds them: the fixture's `Keys`
/// derives a public key from its seed at every lookup (≈ 20 µs), which would be counted as sync.
#[derive(Clone)]
struct Directory {
    users: Vec<(String, Role, Hash32)>,
    devices: Vec<(String, Hash32)>,
}

fn keys() -> Directory {
    let fixture = Keys { devices: vec![WRITER.to_owned(), READER.to_owned()] };
    Directory {
        users: USERS
            .iter()
            .map(|(user, role)| (user.to_string(), *role, user_key(user).verifying_key().to_bytes()))
            .collect(),
        devices: fixture
            .devices
            .iter()
            .map(|d| (d.clone(), mamori_sync::Directory::device_key(&fixture, d).expect("an enrolled device")))
            .collect(),
    }
}

impl AuthorKeys for Directory {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        self.users.iter().filter(|(u, _, _)| u == user).map(|(_, _, key)| *key).collect()
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        self.users.iter().filter(|(u, _, _)| u == user).map(|(_, role, _)| *role).collect()
    }
}

impl mamori_sync::Directory for Directory {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        self.devices.iter().find(|(d, _)| d == device).map(|(_, key)| *key)
    }
}

impl DeviceRegistry for Directory {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        mamori_sync::Directory::device_key(self, device)
    }
}

const PURPOSES: [&str; 6] = [
    "定期受診（高血圧）：血圧測定と処方の継続、次回採血の予定を確認",
    "発熱・咳嗽のため受診希望、院内感染対策のため別室待機をお願いする",
    "健康診断の結果説明、脂質異常症について食事指導と再検査日の相談",
    "糖尿病の定期フォロー：HbA1c採血、フットケアと栄養指導の予約",
    "予防接種（インフルエンザ）、問診票記入済み、接種後15分院内で経過観察",
    "腰痛の再診、リハビリ計画の見直しと湿布薬の処方について相談したい",
];

/// Writes `n` appointment changes on the writer device into a new chart database at `path`, and
/// returns each record's JSON (what PouchDB replicates). Records have time-ordered ids (UUIDv7,
/// as the app makes them) over n/10 patients.
fn write_template(path: &Path, n: usize, chart: Chart) -> Vec<String> {
    let mut conn = chart_db(path, chart);
    // Not timed: the template is copied for each run, which then uses synchronous = FULL again.
    conn.execute_batch("PRAGMA synchronous = OFF").expect("fast template writes");
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let start_ms: i64 = 1_795_000_000_000;
    let v7 = |ms: i64, rng: &mut ChaCha8Rng| {
        let random: [u8; 10] = rng.random();
        uuid::Builder::from_unix_timestamp_millis(u64::try_from(ms).expect("after 1970"), &random).into_uuid()
    };
    let patients: Vec<Uuid> = (0..(n / 10).max(1)).map(|i| v7(start_ms - 1_000_000 + i as i64, &mut rng)).collect();
    let key = user_key("reception");
    let day = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("a date");
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        let wall_ms = start_ms + i as i64;
        let appointment = Appointment {
            id: v7(wall_ms, &mut rng),
            patient_id: patients[rng.random_range(0..patients.len())],
            scheduled_at: day + chrono::Duration::minutes(15 * (i as i64 % 20_000)),
            purpose: format!("{}（{:05}）", PURPOSES[i % PURPOSES.len()], i % 100_000),
            walk_in: i % 7 == 0,
            checked_in_at: None,
            cancelled: false,
        };
        records.push(serde_json::to_string(&appointment).expect("record JSON"));
        let hlc = Hlc { wall_ms, counter: 0 };
        replication::testing::write_open(
            &mut conn,
            "reception",
            &key,
            WRITER,
            hlc,
            OpenBody::AppointmentSaved(appointment),
        )
        .expect("write a change");
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
    drop(conn);
    records
}

/// Copies the template (closed, checkpointed) for one run.
fn copy_template(template: &Path, to: &Path) {
    std::fs::copy(template, to).expect("copy the template chart database");
    let wal = PathBuf::from(format!("{}-wal", template.display()));
    if wal.exists() {
        std::fs::copy(&wal, format!("{}-wal", to.display())).expect("copy the template's WAL");
    }
}

/// What one backend's run measured.
struct Figures {
    seal_s: f64,
    push_s: f64,
    pull_s: f64,
    envelope_bytes: f64,
    push_parts: Parts,
    pull_parts: Parts,
    /// One `local::frontier` read on the laptop once it holds every envelope (the engine reads the
    /// frontier for every page it pulls or pushes).
    frontier_s: f64,
}

/// Where a phase's wall time went, in seconds.
#[derive(Default, Clone, Copy)]
struct Parts {
    /// The engine waiting on the transport (HTTPS + server).
    transport: f64,
    /// The server in its storage: appends (push) or pages (pull).
    storage_main: f64,
    /// The server in its storage otherwise: state, frontier, request counters.
    storage_other: f64,
}

async fn run_backend(server: &mut ServerProcess, template: &Path, dir: &Path, n: usize, chart: Chart) -> Figures {
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

/// The clinic server in a process of its own, as in a clinic (and so that the chart databases'
/// process-wide SQLCipher settings, `cipher_memory_security`, do not reach the server's SQLite):
/// this benchmark's own binary, started with [`SERVE_ENV`]. It prints its address and pin, then
/// answers `report` on its standard input with its storage time counters, and stops when its
/// standard input closes.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: std::io::Lines<BufReader<ChildStdout>>,
    addr: String,
    pin: Hash32,
}

impl ServerProcess {
    fn start(spec: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("this benchmark's path"))
            .env(SERVE_ENV, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server process");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("the server's output")).lines();
        let line = stdout.next().expect("the server said where it listens").expect("the server's first line");
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("LISTENING"), "the server's first line: {line}");
        let addr = words.next().expect("an address").to_owned();
        let pin = hex::decode(words.next().expect("a pin")).expect("a hex pin").try_into().expect("a 32-byte pin");
        Self { child, stdin, stdout, addr, pin }
    }

    /// Nanoseconds the server spent in its storage so far: appends, pages, everything else.
    fn counters(&mut self) -> [u64; 3] {
        let stdin = self.stdin.as_mut().expect("the server is running");
        writeln!(stdin, "report").expect("ask the server for its counters");
        let line = self.stdout.next().expect("the server's counters").expect("a line");
        let numbers: Vec<u64> = line
            .strip_prefix("COUNTERS ")
            .expect("a counters line")
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        numbers.try_into().expect("three counters")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("the benchmark's server process did not stop; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server process's side of [`ServerProcess`].
fn serve_process(spec: &str) {
    let runtime = runtime();
    match spec.split_once(':') {
        Some(("sqlite", path)) => runtime.block_on(async {
            let storage = SqliteStorage::open(Path::new(path)).expect("open the SQLite server database");
            serve_until_stdin_closes(storage).await;
        }),
        Some(("postgres", rest)) => runtime.block_on(async {
            let (schema, config) = rest.split_once(':').expect("postgres:SCHEMA:CONFIG");
            let storage =
                PostgresStorage::connect_in_schema(config, schema).await.expect("open the PostgreSQL storage");
            serve_until_stdin_closes(storage).await;
        }),
        _ => panic!("{SERVE_ENV} is sqlite:PATH or postgres:SCHEMA:CONFIG, not {spec}"),
    }
}

async fn serve_until_stdin_closes<S: Backend>(storage: S) {
    let app = Arc::new(App::new(ClinicServer::new(Timed::new(storage), CLINIC, Box::new(keys()))));
    let (addr, pin, _certificate) = serve(Arc::clone(&app)).await;
    println!("LISTENING {addr} {}", hex::encode(pin));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        if line == "report" {
            let [append, page, other] = app.server.storage().snapshot();
            println!("COUNTERS {append} {page} {other}");
        }
    }
}

/// Serves `app` over HTTPS on a free loopback port with a new certificate; its address, pin and
/// the certificate's folder (kept while the server runs).
async fn serve<S: Backend>(app: Arc<App<S>>) -> (std::net::SocketAddr, Hash32, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a certificate folder");
    let pin = http::tls::create(dir.path(), &["127.0.0.1".to_string()]).expect("certificate");
    let (tls, _) = http::tls::server_config(dir.path()).expect("tls");
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let served = http::serve(app, "127.0.0.1:0".parse().expect("addr"), tls, move |addr| {
            let _ = tx.send(addr);
        });
        if let Err(error) = served.await {
            eprintln!("benchmark server stopped: {error}");
        }
    });
    (rx.await.expect("the server bound a port"), pin, dir)
}

/// A transport that adds up the time the engine waits on it.
struct TimedTransport<T> {
    inner: T,
    waited: std::cell::Cell<Duration>,
}

impl<T> TimedTransport<T> {
    fn new(inner: T) -> Self {
        Self { inner, waited: std::cell::Cell::default() }
    }

    fn take(&self) -> f64 {
        self.waited.take().as_secs_f64()
    }

    async fn time<R>(&self, work: impl Future<Output = R>) -> R {
        let started = Instant::now();
        let out = work.await;
        self.waited.set(self.waited.get() + started.elapsed());
        out
    }
}

impl<T: Transport> Transport for TimedTransport<T> {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        self.time(self.inner.state()).await
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        self.time(self.inner.push(request)).await
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        self.time(self.inner.pull(request)).await
    }
}

/// A server storage that adds up the time spent in it: appends, pages, and everything else. A
/// storage trait added to `mamori_server::http::Backend` needs a delegating impl here.
struct Timed<S> {
    inner: S,
    append_ns: AtomicU64,
    page_ns: AtomicU64,
    other_ns: AtomicU64,
}

impl<S> Timed<S> {
    fn new(inner: S) -> Self {
        Self { inner, append_ns: AtomicU64::new(0), page_ns: AtomicU64::new(0), other_ns: AtomicU64::new(0) }
    }

    fn snapshot(&self) -> [u64; 3] {
        [&self.append_ns, &self.page_ns, &self.other_ns].map(|c| c.load(Ordering::Relaxed))
    }
}

/// The phase's parts from the server's counters before and after it (nanoseconds).
fn parts_since(before: [u64; 3], now: [u64; 3], transport: f64, push: bool) -> Parts {
    let s = |i: usize| now[i].saturating_sub(before[i]) as f64 / 1e9;
    Parts { transport, storage_main: if push { s(0) } else { s(1) }, storage_other: s(2) }
}

async fn add_time<R>(counter: &AtomicU64, work: impl Future<Output = R>) -> R {
    let started = Instant::now();
    let out = work.await;
    counter.fetch_add(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    out
}

impl<S: Storage> Storage for Timed<S> {
    async fn instance(&self) -> mamori_server::Result<Uuid> {
        add_time(&self.other_ns, self.inner.instance()).await
    }

    async fn frontier(&self) -> mamori_server::Result<Frontier> {
        add_time(&self.other_ns, self.inner.frontier()).await
    }

    async fn append(&self, batch: Vec<Incoming>) -> mamori_server::Result<Vec<Stored>> {
        add_time(&self.append_ns, self.inner.append(batch)).await
    }

    async fn page(&self, have: &Frontier, limit: u32) -> mamori_server::Result<(Vec<Vec<u8>>, bool)> {
        add_time(&self.page_ns, self.inner.page(have, limit)).await
    }
}

impl<S: RequestCounters> RequestCounters for Timed<S> {
    async fn advance_counter(&self, device: &str, counter: u64) -> mamori_server::Result<Result<(), u64>> {
        add_time(&self.other_ns, self.inner.advance_counter(device, counter)).await
    }
}

impl<S: AuditStorage> AuditStorage for Timed<S> {
    async fn append_audit(
        &self,
        device: &str,
        prev: Option<Hash32>,
        entries: Vec<AuditEntry>,
    ) -> mamori_server::Result<(AuditOutcome, u64, Hash32)> {
        self.inner.append_audit(device, prev, entries).await
    }

    async fn audit_for_patient(&self, patient: &str) -> mamori_server::Result<Vec<(String, u64, Vec<u8>)>> {
        self.inner.audit_for_patient(patient).await
    }
}

impl<S: ChainStorage> ChainStorage for Timed<S> {
    async fn links_after(&self, after: u64) -> mamori_server::Result<Vec<StoredLink>> {
        add_time(&self.other_ns, self.inner.links_after(after)).await
    }

    async fn append_links(&self, first: u64, links: Vec<(Vec<u8>, Vec<u8>)>) -> mamori_server::Result<bool> {
        self.inner.append_links(first, links).await
    }

    async fn put_wrap(&self, device: &str, bytes: Vec<u8>) -> mamori_server::Result<()> {
        self.inner.put_wrap(device, bytes).await
    }

    async fn wraps_for(&self, device: &str) -> mamori_server::Result<Vec<Vec<u8>>> {
        self.inner.wraps_for(device).await
    }

    async fn put_vault_record(
        &self,
        user: &str,
        version: u64,
        record: (Vec<u8>, Vec<u8>),
    ) -> mamori_server::Result<bool> {
        self.inner.put_vault_record(user, version, record).await
    }

    async fn vault_records(&self) -> mamori_server::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.inner.vault_records().await
    }
}

/// The PostgreSQL the benchmark uses, if one answers within 5 s.
fn postgres_config() -> Result<String, String> {
    let config = std::env::var("MAMORI_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let reached =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(async {
            match tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&config, tokio_postgres::NoTls))
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string)),
                Err(_) => Err("no answer within 5 s".to_owned()),
            }
        });
    let shown: Vec<&str> = config.split_whitespace().filter(|w| !w.starts_with("password=")).collect();
    reached.map(|()| config.clone()).map_err(|why| format!("no PostgreSQL at {} ({why})", shown.join(" ")))
}

struct DropSchema {
    config: String,
    schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let dropped: Result<(), tokio_postgres::Error> = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&self.config, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema)).await
        });
        if let Err(e) = dropped {
            eprintln!("could not drop the benchmark schema {}: {e}", self.schema);
        }
    }
}

/// Microseconds per change of each cryptographic step, single-threaded, over `m` of the same
/// changes.
struct Crypto {
    m: usize,
    /// `Envelope::seal` whole: XChaCha20-Poly1305, framing, SHA-256 of the envelope, Ed25519 sign.
    seal_and_sign: f64,
    /// Ed25519 device signature alone (over the same message).
    sign: f64,
    /// The server's strict check of each pushed envelope's device signature.
    verify_strict: f64,
    /// The laptop's batch check of a page's device signatures (500 per batch), per envelope.
    verify_batch: f64,
    /// `Envelope::open`: XChaCha20-Poly1305 decrypt plus reading the change.
    open: f64,
    /// Reading the change alone (`SignedChange::from_parts`), to take out of `open`.
    read_change: f64,
    /// `VerifiedChange::check`: the author's Ed25519 signature and role.
    author_check: f64,
    /// `Envelope::from_bytes`: the header read and the envelope's SHA-256 (server and laptop).
    read_and_hash: f64,
}

impl Crypto {
    /// XChaCha20-Poly1305 sealing and framing, without the signature.
    fn seal(&self) -> f64 {
        (self.seal_and_sign - self.sign).max(0.0)
    }

    fn open_aead(&self) -> f64 {
        (self.open - self.read_change).max(0.0)
    }

    /// Per change on the way out (desk and server): seal, sign, the server's check and hash.
    fn sending(&self) -> f64 {
        self.seal_and_sign + self.verify_strict + self.read_and_hash
    }

    /// Per change on the way in (laptop): batch check, hash, open, author check.
    fn receiving(&self) -> f64 {
        self.verify_batch + self.read_and_hash + self.open_aead() + self.author_check
    }
}

/// Microseconds per item of `run` over what `setup` makes (untimed), the best of three runs (the
/// machine may be busy with other work).
fn best_of_3<T>(items: usize, mut setup: impl FnMut() -> T, mut run: impl FnMut(T)) -> f64 {
    (0..3)
        .map(|_| {
            let input = setup();
            let started = Instant::now();
            run(input);
            started.elapsed().as_secs_f64() * 1e6 / items as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn crypto_costs(template: &Path, m: usize, chart: Chart) -> Crypto {
    let conn = chart_db(template, chart);
    let changes: Vec<SignedChange> =
        replication::own_changes_after(&conn, WRITER, 0, m).expect("changes").into_iter().map(|(_, c)| c).collect();
    drop(conn);
    let m = changes.len();
    let desk = identity(WRITER);
    let key = desk.sealing_key().expect("a data key");
    let directory = keys();
    let device_public: Hash32 = desk.signing_key.verifying_key().to_bytes();
    let header = |seq: u64, prev: Hash32| Header {
        clinic: CLINIC,
        device: WRITER.into(),
        seq,
        prev,
        cdk_epoch: 1,
        chain_seq: 0,
        nonce: [0; 24],
    };
    let seal_all = || {
        let mut envelopes = Vec::with_capacity(m);
        let mut prev = genesis_prev(&CLINIC, WRITER);
        for (i, change) in changes.iter().enumerate() {
            let envelope = Envelope::seal(header(i as u64 + 1, prev), change, key, &desk.signing_key).expect("seal");
            prev = envelope.hash();
            envelopes.push(envelope);
        }
        envelopes
    };
    let envelopes = seal_all();

    let seal_and_sign = best_of_3(m, || (), |()| drop(std::hint::black_box(seal_all())));
    let messages: Vec<Vec<u8>> = envelopes.iter().map(|e| e.device_signature_parts().0).collect();
    let sign = best_of_3(
        m,
        || (),
        |()| {
            for message in &messages {
                std::hint::black_box(desk.signing_key.sign(message));
            }
        },
    );
    let verify_strict = best_of_3(
        m,
        || (),
        |()| {
            for envelope in &envelopes {
                envelope.verify_device(&device_public).expect("device signature");
            }
        },
    );
    // As `local::apply_page` does: the messages built, then one batch per page.
    let verifying = VerifyingKey::from_bytes(&device_public).expect("device key");
    let verify_batch = best_of_3(
        m,
        || (),
        |()| {
            for page in envelopes.chunks(PAGE) {
                let parts: Vec<_> = page.iter().map(Envelope::device_signature_parts).collect();
                let messages: Vec<&[u8]> = parts.iter().map(|(m, _)| m.as_slice()).collect();
                let signatures: Vec<_> = parts.iter().map(|(_, s)| *s).collect();
                let keys = vec![verifying; page.len()];
                ed25519_dalek::verify_batch(&messages, &signatures, &keys).expect("batch of device signatures");
            }
        },
    );
    let read_and_hash = best_of_3(
        m,
        || envelopes.iter().map(|e| e.bytes().to_vec()).collect::<Vec<_>>(),
        |all| {
            for bytes in all {
                std::hint::black_box(Envelope::from_bytes(bytes).expect("read"));
            }
        },
    );
    let open = best_of_3(
        m,
        || (),
        |()| {
            for envelope in &envelopes {
                std::hint::black_box(envelope.open(key).expect("open"));
            }
        },
    );
    let read_change = best_of_3(
        m,
        || changes.iter().map(|c| (c.bytes().to_vec(), *c.signature())).collect::<Vec<_>>(),
        |all| {
            for (change, signature) in all {
                std::hint::black_box(SignedChange::from_parts(change, &signature).expect("read change"));
            }
        },
    );
    let author_check = best_of_3(
        m,
        || changes.clone(),
        |all| {
            for change in all {
                std::hint::black_box(VerifiedChange::check(change, &directory).expect("author"));
            }
        },
    );
    Crypto { m, seal_and_sign, sign, verify_strict, verify_batch, open, read_change, author_check, read_and_hash }
}

/// PouchDB's figures, from `benches/pouchdb/replicate.mjs`.
struct Pouch {
    push_per_s: f64,
    pull_per_s: f64,
    raw: Value,
}

fn pouchdb(records: &Path) -> Result<Pouch, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("pouchdb");
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not installed".into());
    }
    if !dir.join("node_modules").exists() {
        println!("installing the PouchDB side (npm ci in {}) …", dir.display());
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status();
        match installed {
            Ok(status) if status.success() => {}
            Ok(status) => return Err(format!("npm ci failed ({status})")),
            Err(e) => return Err(format!("npm could not be run: {e}")),
        }
    }
    println!("running the PouchDB side (pouchdb-server + PouchDB, same records) …");
    let out = Command::new("node")
        .arg("replicate.mjs")
        .arg(records)
        .current_dir(&dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("node could not be run: {e}"))?;
    if !out.status.success() {
        return Err(format!("the PouchDB script failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().ok_or("the PouchDB script printed nothing")?;
    let raw: Value = serde_json::from_str(line).map_err(|e| format!("unreadable PouchDB figures: {e}"))?;
    let number = |name: &str| raw[name].as_f64().ok_or(format!("no {name} in the PouchDB figures"));
    Ok(Pouch { push_per_s: number("push_per_s")?, pull_per_s: number("pull_per_s")?, raw: raw.clone() })
}

fn report(
    n: usize,
    record_bytes: f64,
    chart: Chart,
    backends: &[(&str, Option<Figures>)],
    crypto: &Crypto,
    pouch: Option<&Pouch>,
) {
    let ratio = |mine: f64, theirs: Option<f64>| theirs.map(|t| mine / t);
    let shown_ratio = |r: Option<f64>, aim: f64| match r {
        Some(r) => format!("{r:>6.1}×  (aim ≥ {aim:.0}×: {})", if r >= aim { "met" } else { "MISSED" }),
        None => "     —  (PouchDB skipped)".to_owned(),
    };
    let mut json_backends = serde_json::Map::new();
    for (name, figures) in backends {
        let Some(f) = figures else {
            println!("\n== {name} server: SKIPPED ==");
            json_backends.insert(name.to_lowercase(), Value::Null);
            continue;
        };
        let nf = n as f64;
        let push_rate = nf / f.push_s;
        let seal_push_rate = nf / (f.seal_s + f.push_s);
        let pull_rate = nf / f.pull_s;
        let send_us = (f.seal_s + f.push_s) * 1e6 / nf;
        let push_us = f.push_s * 1e6 / nf;
        let pull_us = f.pull_s * 1e6 / nf;
        let push_ratio = ratio(push_rate, pouch.map(|p| p.push_per_s));
        let seal_push_ratio = ratio(seal_push_rate, pouch.map(|p| p.push_per_s));
        let pull_ratio = ratio(pull_rate, pouch.map(|p| p.pull_per_s));
        let pouch_cell = |rate: Option<f64>| rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.0}"));

        println!(
            "\n== {name} server: {n} changes ({record_bytes:.0}-byte records, {:.0}-byte envelopes) ==",
            f.envelope_bytes
        );
        println!("{:<34}{:>12}{:>12}   Mamori/PouchDB", "", "Mamori", "PouchDB");
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "push (changes/s)",
            push_rate,
            pouch_cell(pouch.map(|p| p.push_per_s)),
            shown_ratio(push_ratio, 5.0)
        );
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "seal + push (changes/s)",
            seal_push_rate,
            pouch_cell(pouch.map(|p| p.push_per_s)),
            shown_ratio(seal_push_ratio, 5.0)
        );
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "pull + apply (changes/s)",
            pull_rate,
            pouch_cell(pouch.map(|p| p.pull_per_s)),
            shown_ratio(pull_ratio, 10.0)
        );
        println!("{:<34}{:>12.0}", "seal alone (changes/s)", nf / f.seal_s);
        println!(
            "per change: seal {:.1} µs + push {:.1} µs = {:.1} µs; pull + apply {:.1} µs",
            f.seal_s * 1e6 / nf,
            push_us,
            send_us,
            pull_us
        );
        let share = |us: f64, of: f64| format!("{:>5.1}%", 100.0 * us / of);
        println!("crypto per change (single-threaded micro-loops over {} of the same changes):", crypto.m);
        println!("  {:<52}{:>8}  {:>12}  {:>12}", "", "µs", "of seal+push", "of pull+apply");
        let line = |label: &str, us: f64, send: bool, receive: bool| {
            println!(
                "  {label:<52}{us:>8.2}  {:>12}  {:>12}",
                if send { share(us, send_us) } else { String::new() },
                if receive { share(us, pull_us) } else { String::new() }
            );
        };
        line("sealing (XChaCha20-Poly1305 + framing + SHA-256)", crypto.seal(), true, false);
        line("device signature (Ed25519 sign)", crypto.sign, true, false);
        line("server: device signature check (strict, each)", crypto.verify_strict, true, false);
        line("envelope read + SHA-256 (server; laptop)", crypto.read_and_hash, true, true);
        line("laptop: device signatures, batch of 500", crypto.verify_batch, false, true);
        line("laptop: opening (XChaCha20-Poly1305)", crypto.open_aead(), false, true);
        line("laptop: author signature + role (VerifiedChange)", crypto.author_check, false, true);
        let send_share = 100.0 * crypto.sending() / send_us;
        let receive_share = 100.0 * crypto.receiving() / pull_us;
        println!(
            "  {:<52}{:>8}  {:>12}  {:>12}   (aim ≤ 10%: {})",
            "all crypto",
            "",
            share(crypto.sending(), send_us),
            share(crypto.receiving(), pull_us),
            if send_share <= 10.0 && receive_share <= 10.0 { "met" } else { "MISSED" }
        );
        let p = f.push_parts;
        let q = f.pull_parts;
        println!(
            "where the time went: push {:.2} s = desk's own reads {:.2} s + waiting on HTTPS {:.2} s (server storage: appends {:.2} s, state/counters {:.2} s; signature checks ≈ {:.2} s)",
            f.push_s,
            f.push_s - p.transport,
            p.transport,
            p.storage_main,
            p.storage_other,
            crypto.verify_strict * nf / 1e6
        );
        println!(
            "                     pull {:.2} s = laptop applying pages {:.2} s (crypto ≈ {:.2} s) + waiting on HTTPS {:.2} s (server storage: pages {:.2} s, state/counters {:.2} s)",
            f.pull_s,
            f.pull_s - q.transport,
            crypto.receiving() * nf / 1e6,
            q.transport,
            q.storage_main,
            q.storage_other
        );
        println!(
            "                     one local::frontier read at {n} envelopes: {:.1} ms (the engine reads it for every page: {} pages each way)",
            f.frontier_s * 1e3,
            n.div_ceil(PAGE)
        );
        json_backends.insert(
            name.to_lowercase(),
            json!({
                "seal_per_s": nf / f.seal_s,
                "push_per_s": push_rate,
                "seal_push_per_s": seal_push_rate,
                "pull_apply_per_s": pull_rate,
                "push_vs_pouchdb": push_ratio,
                "seal_push_vs_pouchdb": seal_push_ratio,
                "pull_apply_vs_pouchdb": pull_ratio,
                "envelope_bytes": f.envelope_bytes,
                "crypto_share_send": send_share / 100.0,
                "crypto_share_receive": receive_share / 100.0,
                "push_s": {"total": f.push_s, "transport": p.transport, "server_appends": p.storage_main, "server_other": p.storage_other},
                "frontier_read_s": f.frontier_s,
                "pull_s": {"total": f.pull_s, "transport": q.transport, "server_pages": q.storage_main, "server_other": q.storage_other},
            }),
        );
    }
    let bench = json!({
        "changes": n,
        "record_bytes": record_bytes,
        "chart": chart.name(),
        "page": PAGE,
        "backends": json_backends,
        "pouchdb": pouch.map(|p| p.raw.clone()),
        "crypto_us": {
            "sample": crypto.m,
            "seal": crypto.seal(),
            "sign": crypto.sign,
            "server_verify_strict": crypto.verify_strict,
            "verify_batch_500": crypto.verify_batch,
            "read_and_hash": crypto.read_and_hash,
            "open": crypto.open_aead(),
            "author_check": crypto.author_check,
        },
    });
    println!("\nBENCH {bench}");
}
