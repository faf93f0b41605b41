//! The window's state: which data folder, which keyring, and the session (one at a time).

use std::sync::{Arc, Mutex};

use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::{Clock, SystemClock};
use mamori_core::vault::DeviceSecretStore;

use crate::error::{UiError, UiResult};
use crate::sync_service::SyncService;

pub struct AppState {
    pub dir: DataDir,
    pub keyring: Arc<dyn DeviceSecretStore>,
    clock: Arc<dyn Fn() -> Box<dyn Clock> + Send + Sync>,
    session: Arc<Mutex<Option<Clinic>>>,
    pub sync: Arc<SyncService>,
}

impl AppState {
    pub fn new(dir: DataDir, keyring: Box<dyn DeviceSecretStore>) -> Self {
        Self::with_clock(dir, keyring, || Box::new(SystemClock))
    }

    /// The same with an injected clock (tests move time on to exercise the idle lock).
    pub fn with_clock(
        dir: DataDir,
        keyring: Box<dyn DeviceSecretStore>,
        clock: impl Fn() -> Box<dyn Clock> + Send + Sync + 'static,
    ) -> Self {
        let keyring: Arc<dyn DeviceSecretStore> = Arc::from(keyring);
        let clock: Arc<dyn Fn() -> Box<dyn Clock> + Send + Sync> = Arc::new(clock);
        let session = Arc::new(Mutex::new(None));
        let sync =
            Arc::new(SyncService::new(dir.clone(), Arc::clone(&keyring), Arc::clone(&session), Arc::clone(&clock)));
        Self { dir, keyring, clock, session, sync }
    }

    pub fn clock(&self) -> Box<dyn Clock> {
        (self.clock)()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Clinic>> {
        lock_slot(&self.session)
    }

    /// The session slot, for the shell's idle timer (`idle_watch`), which runs on its own thread.
    pub(crate) fn shared_session(&self) -> Arc<Mutex<Option<Clinic>>> {
        Arc::clone(&self.session)
    }

    /// Whether the session is locked, without applying the idle timeout (for tests).
    pub fn session_is_locked(&self) -> Option<bool> {
        self.slot().as_ref().map(Clinic::is_locked)
    }

    /// Runs `work` on the logged-in session.
    pub fn with_session<T>(&self, work: impl FnOnce(&mut Clinic) -> mamori_core::Result<T>) -> UiResult<T> {
        let mut slot = self.slot();
        let clinic = slot.as_mut().ok_or_else(UiError::no_session)?;
        Ok(work(clinic)?)
    }

    /// Runs `work` on the logged-in session, for work that fails in more ways than the core's
    /// (reaching the server).
    pub fn with_session_reaching<T>(&self, work: impl FnOnce(&mut Clinic) -> UiResult<T>) -> UiResult<T> {
        let mut slot = self.slot();
        let clinic = slot.as_mut().ok_or_else(UiError::no_session)?;
        work(clinic)
    }

    /// Replaces the session (a new login), returning what `view` makes of it.
    pub fn install<T>(&self, clinic: Clinic, view: impl FnOnce(&Clinic) -> T) -> T {
        let mut slot = self.slot();
        let shown = view(&clinic);
        *slot = Some(clinic);
        shown
    }

    /// Takes the session out (logout).
    pub fn take(&self) -> Option<Clinic> {
        self.slot().take()
    }
}

fn lock_slot(session: &Mutex<Option<Clinic>>) -> std::sync::MutexGuard<'_, Option<Clinic>> {
    // A panic while holding the lock leaves the session as it was; keep serving.
    session.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies the idle timeout to the session in `session`, whatever the window does; true when it
/// locked the session just now.
pub(crate) fn lock_if_idle(session: &Mutex<Option<Clinic>>) -> bool {
    let mut slot = lock_slot(session);
    let Some(clinic) = slot.as_mut() else { return false };
    if clinic.is_locked() {
        return false;
    }
    // A failure to record the lock still drops the keys (`Clinic::lock_if_idle`).
    clinic.lock_if_idle().unwrap_or(true) && clinic.is_locked()
}
