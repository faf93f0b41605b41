//! The simulated clinic: one server (SQLite, in a temporary folder) and several replicas (chart
//! databases on disk), each reaching the server over a faulty link. Everything random comes
//! from one seed.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use mamori_core::replication::{self, Hlc};
use mamori_server::direct::Direct;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
pub use mamori_story_tests::sync_fixture::{data_key, device_key, user_key, Keys, CLINIC, USERS};
use mamori_sync::faults::{FaultRates, FaultyLink};
use mamori_sync::wire::{PullRequest, PullResponse, PushRequest, PushResponse, ServerState};
use mamori_sync::{DeviceIdentity, Transport};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;

/// The server as it is now: a restore swaps in another one.
pub type ServerSlot = Rc<RefCell<Arc<ClinicServer<SqliteStorage>>>>;

/// A replica's way to the server that finds the server in the slot at each call.
pub struct SlotLink {
    pub slot: ServerSlot,
    pub device: String,
}

impl SlotLink {
    fn direct(&self) -> Direct<SqliteStorage> {
        Direct { server: Arc::clone(&self.slot.borrow()), device: self.device.clone() }
    }
}

impl Transport for SlotLink {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        self.direct().state().await
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        self.direct().push(request).await
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        self.direct().pull(request).await
    }
}

pub struct Replica {
    pub identity: DeviceIdentity,
    pub path: PathBuf,
    pub conn: Option<Connection>,
    pub link: FaultyLink<SlotLink>,
    /// How far this device's clock is off the simulation's time, in milliseconds.
    pub skew_ms: i64,
    pub last: Hlc,
}

impl Replica {
    pub fn conn(&mut self) -> &mut Connection {
        if self.conn.is_none() {
            let mut conn = Connection::open(&self.path).expect("open replica");
            replication::testing::migrate(&mut conn).expect("migrate");
            mamori_sync::local::prepare(&conn).expect("sync tables");
            self.last = replication::last_stamp(&conn, &self.identity.device).expect("last stamp");
            self.conn = Some(conn);
        }
        self.conn.as_mut().expect("opened above")
    }

    /// The process stops (its connection is dropped; only what committed is on disk).
    pub fn restart(&mut self) {
        self.conn = None;
    }

    /// The next stamp from this device's wall clock.
    pub fn tick(&mut self, now_ms: i64) -> Hlc {
        let wall = now_ms + self.skew_ms;
        self.last = if wall > self.last.wall_ms {
            Hlc { wall_ms: wall, counter: 0 }
        } else {
            Hlc { wall_ms: self.last.wall_ms, counter: self.last.counter + 1 }
        };
        self.last
    }
}

pub struct World {
    pub rng: ChaCha8Rng,
    pub dir: tempfile::TempDir,
    pub keys: Keys,
    pub slot: ServerSlot,
    pub backups: Vec<PathBuf>,
    pub replicas: Vec<Replica>,
    pub now_ms: i64,
    /// Every change written, by id.
    pub written: BTreeMap<String, String>,
}

impl World {
    pub fn new(seed: u64, replicas: usize, rates: FaultRates) -> Self {
        // In memory where the machine has it (tmpfs): a process restart keeps what was written,
        // and a thousand seeds do not wait on the disk.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("temp dir");
        let devices: Vec<String> = (1..=replicas).map(|i| format!("device-{i}")).collect();
        let keys = Keys { devices: devices.clone() };
        let storage = SqliteStorage::open(&dir.path().join("server.db")).expect("server db");
        let server = ClinicServer::new(storage, CLINIC, Box::new(keys.clone()));
        let slot: ServerSlot = Rc::new(RefCell::new(Arc::new(server)));
        let replicas = devices
            .iter()
            .enumerate()
            .map(|(i, device)| Replica {
                identity: DeviceIdentity {
                    clinic: CLINIC,
                    device: device.clone(),
                    signing_key: device_key(device),
                    data_keys: vec![data_key(seed)],
                },
                path: dir.path().join(format!("{device}.db")),
                conn: None,
                link: FaultyLink::new(
                    SlotLink { slot: Rc::clone(&slot), device: device.clone() },
                    rates,
                    seed.wrapping_mul(31).wrapping_add(i as u64),
                ),
                skew_ms: 0,
                last: Hlc::default(),
            })
            .collect();
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            dir,
            keys,
            slot,
            backups: Vec::new(),
            replicas,
            now_ms: 1_790_000_000_000,
            written: BTreeMap::new(),
        }
    }

    /// Backs the server up to a new file.
    pub fn back_up_server(&mut self) {
        let path = self.dir.path().join(format!("backup-{}.db", self.backups.len()));
        self.slot.borrow().storage().backup_to(&path).expect("backup");
        self.backups.push(path);
    }

    /// Replaces the server with one restored from backup `which` (losing what came after it).
    pub fn restore_server(&mut self, which: usize) {
        let restored = self.dir.path().join(format!("restored-{}-{which}.db", self.now_ms));
        std::fs::copy(&self.backups[which], &restored).expect("copy backup");
        let storage = SqliteStorage::open(&restored).expect("restored db");
        *self.slot.borrow_mut() = Arc::new(ClinicServer::new(storage, CLINIC, Box::new(self.keys.clone())));
    }
}
