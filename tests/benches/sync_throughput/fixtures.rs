//! Fixtures: how chart databases are opened, the devices and the clinic's directory, the template.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use mamori_core::domain::{Appointment, Role};
use mamori_core::replication::{self, AuthorKeys, Hlc};
use mamori_core::OpenBody;
use mamori_server::DeviceRegistry;
use mamori_story_tests::sync_fixture::{data_key, device_key, user_key, Keys, CLINIC, USERS};
use mamori_sync::wire::Hash32;
use mamori_sync::DeviceIdentity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use uuid::Uuid;

use crate::{READER, WRITER};

/// The chart databases' raw SQLCipher key (a fixed test key).
const CHART_KEY: [u8; 32] = [0x4B; 32];

/// How the devices' chart databases are opened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// As the app opens them (`crates/core/src/store/open.rs`).
    App,
    /// SQLCipher without `cipher_memory_security` (which locks and wipes every allocation).
    NoMemorySecurity,
    /// Plain SQLite, no cipher.
    Plain,
}

impl Chart {
    pub fn from_env() -> Self {
        match std::env::var("MAMORI_BENCH_CHART").as_deref() {
            Ok("plain") => Chart::Plain,
            Ok("no-memory-security") => Chart::NoMemorySecurity,
            _ => Chart::App,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Chart::App => "as the app opens them (SQLCipher with cipher_memory_security, WAL, synchronous=FULL)",
            Chart::NoMemorySecurity => {
                "SQLCipher WITHOUT cipher_memory_security (not the app's setting), WAL, synchronous=FULL"
            }
            Chart::Plain => "PLAIN SQLite (no SQLCipher; not the app's setting), WAL, synchronous=FULL",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Chart::App => "app",
            Chart::NoMemorySecurity => "no-memory-security",
            Chart::Plain => "plain",
        }
    }
}

/// A device's chart database, configured as `mamori_core`'s store opens it.
pub fn chart_db(path: &Path, chart: Chart) -> Connection {
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

pub fn identity(device: &str) -> DeviceIdentity {
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
pub struct Directory {
    users: Vec<(String, Role, Hash32)>,
    devices: Vec<(String, Hash32)>,
}

pub fn keys() -> Directory {
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
pub fn write_template(path: &Path, n: usize, chart: Chart) -> Vec<String> {
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
            kind: mamori_core::domain::EncounterKind::Outpatient,
            clinician: None,
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
pub fn copy_template(template: &Path, to: &Path) {
    std::fs::copy(template, to).expect("copy the template chart database");
    let wal = PathBuf::from(format!("{}-wal", template.display()));
    if wal.exists() {
        std::fs::copy(&wal, format!("{}-wal", to.display())).expect("copy the template's WAL");
    }
}
