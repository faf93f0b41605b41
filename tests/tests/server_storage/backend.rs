//! The databases the storage stories run on: a temporary SQLite file, and a fresh PostgreSQL
//! schema (dropped afterwards, also when the story fails) when a PostgreSQL server answers.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use mamori_server::storage::postgres::PostgresStorage;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::storage::Storage;
use tokio_postgres::NoTls;

const DEFAULT_POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// One fresh, empty database for one story.
pub trait Database {
    type Storage: Storage;
    /// Statement that empties the envelopes table in one go (SQLite has no TRUNCATE).
    const EMPTY_ENVELOPES: &'static str;
    /// A new server instance on this database: its own connection or pool.
    async fn open(&self) -> Self::Storage;
    /// Runs `sql` directly against the database, as an administrator (or an intruder) could;
    /// the database's refusal if it refused.
    async fn execute(&self, sql: &str) -> Result<(), String>;
    /// Runs a query that answers one number.
    async fn count(&self, sql: &str) -> i64;
}

pub struct Sqlite {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Database for Sqlite {
    type Storage = SqliteStorage;
    const EMPTY_ENVELOPES: &'static str = "DELETE FROM envelopes";

    async fn open(&self) -> SqliteStorage {
        SqliteStorage::open(&self.path).expect("open the SQLite server database")
    }

    async fn execute(&self, sql: &str) -> Result<(), String> {
        let conn = rusqlite::Connection::open(&self.path).expect("open the SQLite file directly");
        conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    async fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.path).expect("open the SQLite file directly");
        conn.query_row(sql, [], |row| row.get(0)).expect("a count")
    }
}

pub struct Postgres {
    config: String,
    schema: String,
}

impl Postgres {
    async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.config, NoTls).await.expect("connect to PostgreSQL");
        tokio::spawn(connection);
        client.batch_execute(&format!("SET search_path = {}", self.schema)).await.expect("search_path");
        client
    }
}

impl Database for Postgres {
    type Storage = PostgresStorage;
    const EMPTY_ENVELOPES: &'static str = "TRUNCATE envelopes";

    async fn open(&self) -> PostgresStorage {
        PostgresStorage::connect_in_schema(&self.config, &self.schema).await.expect("open the PostgreSQL storage")
    }

    async fn execute(&self, sql: &str) -> Result<(), String> {
        self.client().await.batch_execute(sql).await.map_err(|e| match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        })
    }

    async fn count(&self, sql: &str) -> i64 {
        self.client().await.query_one(sql, &[]).await.expect("a count").try_get(0).expect("a number")
    }
}

/// Runs `story` on a fresh SQLite file; `label` names the variant if it fails.
pub fn on_sqlite<F: Future<Output = ()>>(label: &str, story: impl FnOnce(Sqlite) -> F) {
    let _variant = Variant(label);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.db");
    runtime().block_on(story(Sqlite { _dir: dir, path }));
}

/// Runs `story` in a fresh PostgreSQL schema, or nothing when no PostgreSQL answers (and
/// `MAMORI_REQUIRE_POSTGRES` is not 1).
pub fn on_postgres<F: Future<Output = ()>>(label: &str, story: impl FnOnce(Postgres) -> F) {
    let Some(config) = postgres_config() else { return };
    let _variant = Variant(label);
    let schema = format!("mamori_test_{}", uuid::Uuid::new_v4().simple());
    // Declared before the runtime is made, so it drops the schema after the runtime (and every
    // pool on it) is gone, whether the story returned or panicked.
    let _schema = DropSchema { config: config.clone(), schema: schema.clone() };
    runtime().block_on(story(Postgres { config, schema }));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}

/// The PostgreSQL the stories use (`MAMORI_TEST_POSTGRES`, libpq style), if one answers. Probed
/// once per test binary; without one the PostgreSQL variants are skipped, saying so once, unless
/// `MAMORI_REQUIRE_POSTGRES=1` (CI), which makes them fail instead.
pub fn postgres_config() -> Option<String> {
    static CONFIG: OnceLock<Option<String>> = OnceLock::new();
    CONFIG.get_or_init(probe).clone()
}

fn probe() -> Option<String> {
    let config = std::env::var("MAMORI_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let reached =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(async {
            match tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&config, NoTls)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string)),
                Err(_) => Err("no answer within 5 s".to_owned()),
            }
        });
    let Err(why) = reached else { return Some(config) };
    let shown = shown(&config);
    if std::env::var("MAMORI_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!(
            "MAMORI_REQUIRE_POSTGRES=1 but no PostgreSQL answers at {shown} ({why}): start one \
             (scripts/lib/ensure-postgres) or point MAMORI_TEST_POSTGRES at one"
        );
    }
    // Straight to stderr, past the test harness's capture, so a local run shows what it skipped.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED (no PostgreSQL at {shown}: {why}): server_storage PostgreSQL stories \
         (start one with scripts/lib/ensure-postgres, or set MAMORI_TEST_POSTGRES)"
    );
    None
}

/// The connection string without its password, for messages.
fn shown(config: &str) -> String {
    let words = config.split_whitespace().map(|w| if w.starts_with("password=") { "password=…" } else { w });
    words.collect::<Vec<_>>().join(" ")
}

/// Names the backend variant when a story panics in it.
struct Variant<'a>(&'a str);

impl Drop for Variant<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the story failed on: {}", self.0);
        }
    }
}

struct DropSchema {
    config: String,
    schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        // Never panics: a panic while the story's own panic unwinds would abort the test binary.
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let dropped: Result<(), tokio_postgres::Error> = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&self.config, NoTls).await?;
            tokio::spawn(connection);
            let sql = format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
            client.batch_execute(&sql).await
        });
        if let Err(e) = dropped {
            eprintln!("could not drop the test schema {}: {e}", self.schema);
        }
    }
}
