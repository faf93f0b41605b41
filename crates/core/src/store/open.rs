use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::migrations;
use crate::secret::Key32;
use crate::{Error, Result};

/// 64 MiB of page cache: with SQLCipher's default 2 MiB, encrypted point lookups ran 2.6× slower
/// than plain SQLite on these machines; with 64 MiB, 1.04× (`benches/at_scale.rs` prints the ratio).
const CACHE_SIZE_KIB: i64 = 64 * 1024;

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Creates a new encrypted database at `path`; fails if a file is already there.
    pub fn create(path: &Path, key: &Key32) -> Result<Self> {
        if path.exists() {
            return Err(Error::AlreadyInitialized(path.to_path_buf()));
        }
        initialize_sqlcipher_once()?;
        let started = Instant::now();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        key_connection(&conn, key)?;
        let store = Self::configure(conn)?;
        crate::log_safe!(info, "chart database created", elapsed_ms = started.elapsed());
        Ok(store)
    }

    /// Opens an existing encrypted database; a wrong key is [`Error::DatabaseKeyRejected`].
    pub fn open(path: &Path, key: &Key32) -> Result<Self> {
        if !path.exists() {
            return Err(Error::NotInitialized(path.to_path_buf()));
        }
        initialize_sqlcipher_once()?;
        let started = Instant::now();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        key_connection(&conn, key)?;
        let store = Self::configure(conn)?;
        crate::log_safe!(info, "chart database opened", elapsed_ms = started.elapsed());
        Ok(store)
    }

    /// An UNENCRYPTED store, only for the benchmark's plain-SQLite baseline.
    #[cfg(feature = "bench-baselines")]
    pub fn create_plaintext_baseline(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::configure(conn)
    }

    fn configure(mut conn: Connection) -> Result<Self> {
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(Error::InvalidState("the chart database could not switch to write-ahead logging"));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -{CACHE_SIZE_KIB};
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA secure_delete = ON;"
        ))?;
        migrations::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// `PRAGMA integrity_check` plus SQLCipher's page HMAC check; `Ok(())` when both say ok.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |row| row.get::<_, String>(0))? {
            let line = row?;
            if line != "ok" {
                problems.push(line);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        for row in stmt.query_map([], |row| row.get::<_, String>(0))? {
            problems.push(row?);
        }
        Ok(problems)
    }
}

/// SQLite marks itself initialized before SQLCipher's own global set-up has finished, so a thread
/// opening its first connection at that moment is refused with "sqlcipher not initialized"
/// (seen in about one of 30 runs of the parallel story tests). The first store opened in a
/// process therefore initializes both on one thread while any others wait.
fn initialize_sqlcipher_once() -> Result<()> {
    static INITIALIZED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    INITIALIZED
        .get_or_init(|| Connection::open_in_memory().map(drop).map_err(|e| e.to_string()))
        .clone()
        .map_err(|_| Error::InvalidState("the SQLCipher library could not be initialized"))
}

/// Gives SQLCipher the raw key as the first statement and proves it with a read.
fn key_connection(conn: &Connection, key: &Key32) -> Result<()> {
    let statement = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()));
    conn.execute_batch(&statement)?;
    // SQLCipher would otherwise print "hmac check failed" to stderr on a wrong key. Memory
    // security: SQLCipher wipes every allocation it frees and locks its key material in memory
    // (off by default since 4.5 for speed; the benchmark prints what it costs here).
    conn.execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA cipher_memory_security = ON;")?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
            crate::log_safe!(error, "chart database refused its key (damaged or replaced)");
            Err(Error::DatabaseKeyRejected)
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_opens_with_its_key_and_refuses_another() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chart.db");
        let key = Key32::random().expect("random");
        {
            let store = Store::create(&path, &key).expect("create");
            store
                .conn()
                .execute_batch("INSERT INTO users (name, display_name, role) VALUES ('u', 'U', 'doctor')")
                .expect("insert");
        }
        let store = Store::open(&path, &key).expect("open");
        let n: i64 = store.conn().query_row("SELECT count(*) FROM users", [], |r| r.get(0)).expect("count");
        assert_eq!(n, 1);
        assert!(store.check_integrity().expect("check").is_empty());
        drop(store);
        let wrong = Key32::random().expect("random");
        assert!(matches!(Store::open(&path, &wrong), Err(Error::DatabaseKeyRejected)));
        assert!(matches!(Store::create(&path, &key), Err(Error::AlreadyInitialized(_))));
    }

    #[test]
    fn an_open_store_keeps_temporary_data_in_memory_and_uses_wal_and_a_large_cache() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::create(&dir.path().join("chart.db"), &Key32::random().expect("random")).expect("create");
        let pragma = |name: &str| -> String {
            store
                .conn()
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .expect(name)
        };
        assert_eq!(pragma("temp_store"), "Integer(2)", "temporary tables and indices must stay in memory");
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("cache_size"), format!("Integer(-{CACHE_SIZE_KIB})"));
        assert_eq!(pragma("synchronous"), "Integer(2)", "FULL: a commit survives power loss");
        assert_eq!(pragma("secure_delete"), "Integer(1)", "deleted rows are overwritten, not left in free pages");
        assert_eq!(pragma("cipher_memory_security"), "Text(\"1\")", "freed memory is wiped");
        let cipher: String = store.conn().query_row("PRAGMA cipher_version", [], |r| r.get(0)).expect("cipher");
        assert!(cipher.starts_with("4."), "SQLCipher 4 expected, got {cipher}");
    }

    #[test]
    fn the_database_file_has_no_plain_sqlite_header() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chart.db");
        drop(Store::create(&path, &Key32::random().expect("random")).expect("create"));
        let bytes = std::fs::read(&path).expect("read");
        assert!(!bytes.starts_with(b"SQLite format 3"));
    }
}
