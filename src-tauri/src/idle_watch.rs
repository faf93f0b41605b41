//! The idle lock, enforced by the shell itself: a thread applies the clinic's idle timeout (the
//! core clamps it to 1–240 minutes) every few seconds, so the keys are dropped on time even when
//! the window stops asking (a hung or hostile web view, a laptop lid half closed).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mamori_core::clinic::Clinic;

/// How often the shell checks; the lock comes at most this late.
pub const EVERY: Duration = Duration::from_secs(5);

/// Starts the timer for this session slot; it ends with the process.
pub fn spawn(session: Arc<Mutex<Option<Clinic>>>) {
    let spawned = std::thread::Builder::new().name("mamori-idle-lock".into()).spawn(move || loop {
        std::thread::sleep(EVERY);
        if crate::state::lock_if_idle(&session) {
            mamori_core::log_safe!(info, "session locked by the shell's idle timer");
        }
    });
    if spawned.is_err() {
        mamori_core::log_safe!(error, "the idle-lock thread could not start; the window's poll still locks");
    }
}
