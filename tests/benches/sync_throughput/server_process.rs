//! The clinic server in a process of its own: starting it, asking it for counters, and serving.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mamori_server::http::{self, App, Backend};
use mamori_server::storage::postgres::PostgresStorage;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_story_tests::sync_fixture::CLINIC;
use mamori_sync::wire::Hash32;

use crate::fixtures::keys;
use crate::runtime;
use crate::timed::Timed;

/// Set in the server process this benchmark starts (itself again): `sqlite:PATH` or
/// `postgres:SCHEMA:CONFIG`.
pub const SERVE_ENV: &str = "MAMORI_BENCH_SERVE";

/// The clinic server in a process of its own, as in a clinic (and so that the chart databases'
/// process-wide SQLCipher settings, `cipher_memory_security`, do not reach the server's SQLite):
/// this benchmark's own binary, started with [`SERVE_ENV`]. It prints its address and pin, then
/// answers `report` on its standard input with its storage time counters, and stops when its
/// standard input closes.
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: std::io::Lines<BufReader<ChildStdout>>,
    pub addr: String,
    pub pin: Hash32,
}

impl ServerProcess {
    pub fn start(spec: &str) -> Self {
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
    pub fn counters(&mut self) -> [u64; 3] {
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
pub fn serve_process(spec: &str) {
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
