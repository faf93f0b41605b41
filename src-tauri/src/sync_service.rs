//! Sync in the background, whenever the clinic server is reachable: a thread of the shell runs a
//! round every [`interval`] (and at once when the window asks). With someone logged in it syncs
//! their session; with nobody logged in, or the session locked, it checks in as the login screen
//! does, so a lost computer is wiped before anyone logs in and a lease is renewed. What it found
//! is kept as a [`SyncStatus`] for the status bar. The core and the sync crate do the work; this
//! only schedules it.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::Clock;
use mamori_core::lost_device::Standing;
use mamori_core::vault::DeviceSecretStore;
use mamori_sync::check_in::{check_in, lease_days_left, CheckedIn};
use mamori_sync::http::HttpTransport;
use mamori_sync::session::sync_session;
use mamori_sync::{ServerSettings, Settings};
use serde::Serialize;
use ts_rs::TS;

/// What the status bar shows about sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatus {
    /// A clinic server is set for this computer.
    pub configured: bool,
    /// Whether the last attempt reached the server (`None` before the first).
    pub online: Option<bool>,
    /// A round is running now.
    pub syncing: bool,
    /// When the last round finished (RFC 3339).
    pub last_sync: Option<String>,
    /// This computer's changes the server has not acknowledged yet.
    pub waiting: u64,
    /// Records edited on two devices at once, for the logged-in user to review.
    pub conflicts: u64,
    /// Whole days before this computer must reach the server again.
    pub lease_days_left: Option<i64>,
    /// The clinic ordered this computer wiped, and it was.
    pub wiped: bool,
    /// Unsent changes a wipe destroyed.
    pub lost_in_wipe: u64,
    /// Why the last attempt failed, as a code (`unreachable`, `server_refused`, …).
    pub problem: Option<String>,
}

/// How often a round runs: `MAMORI_SYNC_SECONDS` (the demo and the end-to-end stories use a few
/// seconds), else every half minute.
pub fn interval() -> Duration {
    let seconds = std::env::var("MAMORI_SYNC_SECONDS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(30);
    Duration::from_secs(seconds.clamp(1, 3600))
}

pub struct SyncService {
    dir: DataDir,
    keyring: Arc<dyn DeviceSecretStore>,
    session: Arc<Mutex<Option<Clinic>>>,
    clock: Arc<dyn Fn() -> Box<dyn Clock> + Send + Sync>,
    status: Mutex<SyncStatus>,
    poke: Mutex<Option<Sender<()>>>,
}

impl SyncService {
    pub fn new(
        dir: DataDir,
        keyring: Arc<dyn DeviceSecretStore>,
        session: Arc<Mutex<Option<Clinic>>>,
        clock: Arc<dyn Fn() -> Box<dyn Clock> + Send + Sync>,
    ) -> Self {
        Self { dir, keyring, session, clock, status: Mutex::new(SyncStatus::default()), poke: Mutex::new(None) }
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn update(&self, change: impl FnOnce(&mut SyncStatus)) {
        change(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Runs `work` against the server this computer syncs with, on a thread of its own with its own
    /// async runtime (a command's own runtime cannot be blocked on).
    pub fn with_server<T: Send>(
        &self,
        work: impl FnOnce(&tokio::runtime::Runtime, &ServerSettings) -> mamori_sync::Result<T> + Send,
    ) -> mamori_sync::Result<T> {
        let server = ServerSettings::remembered(&self.dir)?.ok_or(mamori_sync::Error::NoServer)?;
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| mamori_sync::Error::Unreachable(format!("no async runtime: {e}")))?;
                    work(&runtime, &server)
                })
                .join()
                .unwrap_or_else(|_| Err(mamori_sync::Error::Unreachable("the sync thread stopped".into())))
        })
    }

    /// Asks the background thread for a round now (after a login, or the window's "sync now").
    pub fn poke(&self) {
        if let Some(sender) = self.poke.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            let _ = sender.send(());
        }
    }

    /// Starts the background thread; it ends with the process.
    pub fn spawn(self: &Arc<Self>) {
        let (sender, receiver) = channel();
        *self.poke.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender);
        let service = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("mamori-sync".into()).spawn(move || service.run(&receiver));
        if spawned.is_err() {
            mamori_core::log_safe!(error, "the sync thread could not start; this computer syncs only from the CLI");
        }
    }

    fn run(&self, poked: &Receiver<()>) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            mamori_core::log_safe!(error, "no async runtime for sync");
            return;
        };
        loop {
            self.round(&runtime);
            match poked.recv_timeout(interval()) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// One round: the session's sync, or the login screen's check-in.
    fn round(&self, runtime: &tokio::runtime::Runtime) {
        let server = match ServerSettings::remembered(&self.dir) {
            Ok(Some(server)) => server,
            _ => return self.update(|s| s.configured = false),
        };
        self.update(|s| {
            s.configured = true;
            s.syncing = true;
        });
        let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(clinic) if !clinic.is_locked() => {
                if let Err(mamori_sync::Error::WipeOrdered) = self.sync_open(runtime, clinic, &server) {
                    // The order came to an open session: end it, then wipe as the locked screen does.
                    if let Some(clinic) = slot.take() {
                        let _ = clinic.logout();
                    }
                    self.check_in_locked(runtime);
                }
            }
            _ => {
                if self.check_in_locked(runtime) {
                    slot.take();
                }
            }
        }
        self.update(|s| s.syncing = false);
    }

    fn sync_open(
        &self,
        runtime: &tokio::runtime::Runtime,
        clinic: &mut Clinic,
        server: &ServerSettings,
    ) -> mamori_sync::Result<()> {
        let transport = HttpTransport::for_session(server, clinic, self.keyring.as_ref())?;
        let outcome = runtime.block_on(sync_session(
            clinic,
            self.keyring.as_ref(),
            &transport,
            Settings::default(),
            &mut |_, _| {},
        ));
        let now = clinic.now();
        let waiting = self.waiting(clinic);
        let conflicts = clinic.conflicts().map(|c| c.len() as u64).unwrap_or(0);
        let lease = lease_days_left(self.keyring.as_ref(), clinic.device_id(), now.timestamp()).ok().flatten();
        match &outcome {
            Ok(_) => self.update(|s| {
                s.online = Some(true);
                s.last_sync = Some(now.to_rfc3339());
                s.problem = None;
            }),
            Err(error) => self.failed(error),
        }
        self.update(|s| {
            s.waiting = waiting;
            s.conflicts = conflicts;
            s.lease_days_left = lease;
        });
        outcome.map(|_| ())
    }

    /// This computer's own changes the server has not acknowledged.
    fn waiting(&self, clinic: &Clinic) -> u64 {
        let acknowledged =
            Standing::load(self.keyring.as_ref(), clinic.device_id()).map(|s| s.own_acknowledged).unwrap_or(0);
        clinic.own_change_count().unwrap_or(0).saturating_sub(acknowledged)
    }

    /// The login screen's check-in; true when it wiped this computer.
    fn check_in_locked(&self, runtime: &tokio::runtime::Runtime) -> bool {
        if self.dir.check_initialized().is_err() {
            return false;
        }
        let now = (self.clock)().now();
        match runtime.block_on(check_in(&self.dir, self.keyring.as_ref(), now.timestamp())) {
            Ok(CheckedIn::Leased { lease_days }) => {
                self.update(|s| {
                    s.online = Some(true);
                    s.last_sync = Some(now.to_rfc3339());
                    s.lease_days_left = Some(i64::from(lease_days));
                    s.problem = None;
                });
                false
            }
            Ok(CheckedIn::Wiped { unsent, .. }) => {
                self.update(|s| {
                    *s = SyncStatus { configured: false, wiped: true, lost_in_wipe: unsent, ..SyncStatus::default() }
                });
                true
            }
            Err(error) => {
                self.failed(&error);
                false
            }
        }
    }

    fn failed(&self, error: &mamori_sync::Error) {
        let unreachable = matches!(error, mamori_sync::Error::Unreachable(_));
        mamori_core::log_safe!(info, "sync round did not complete", reason = error.code());
        self.update(|s| {
            s.online = Some(!unreachable);
            s.problem = Some(error.code().to_owned());
        });
    }
}
