//! The Mamori desktop app: a Tauri v2 shell. Each command in [`commands`] is a short adapter
//! into `mamori_core::clinic::Clinic`; the core decides what a session may do, so a command
//! invoked from a session whose role lacks it is refused there, whatever the window asked.

pub mod commands;
mod error;
mod idle_watch;
mod state;
mod sync_service;
mod views;

include!("command_names.rs");

#[cfg(test)]
mod contract;

pub use error::UiError;
pub use state::AppState;
pub use sync_service::SyncStatus;

use mamori_core::clinic::DataDir;
use mamori_core::vault::KeyringStore;

/// Gives `builder` the app's state and commands, on any runtime (the tests pass Tauri's mock
/// builder).
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    /// Expands the list in `command_names.rs` to Tauri's handler of those commands.
    macro_rules! handler {
        ($($module:ident :: $name:ident),* $(,)?) => {
            tauri::generate_handler![$(commands::$module::$name),*]
        };
    }
    idle_watch::spawn(state.shared_session());
    state.sync.spawn();
    builder.manage(state).invoke_handler(ipc_commands!(handler))
}

/// Starts the app on the data folder `MAMORI_DATA_DIR` (or the OS default) with the OS keyring.
pub fn run() {
    // Before any secret exists: no core dumps, no other process of this account reading ours.
    let refused = mamori_core::hardening::keep_process_memory_private();
    if let Err(error) = mamori_core::log::install("mamori-desktop") {
        eprintln!("Mamori: no log file this time: {error}");
    }
    mamori_core::log_safe!(info, "desktop app starting", version = env!("CARGO_PKG_VERSION"));
    for what in refused {
        mamori_core::log_safe!(warn, "process protection refused by the OS", protection = what);
    }
    let Some(dir) = DataDir::default_location() else {
        eprintln!("Mamori: the OS has no data folder for this user; set MAMORI_DATA_DIR");
        std::process::exit(2);
    };
    let service = std::env::var("MAMORI_KEYRING_SERVICE").unwrap_or_else(|_| KeyringStore::DEFAULT_SERVICE.into());
    let state = AppState::new(dir, Box::new(KeyringStore::new(service)));
    let builder = configure(tauri::Builder::default(), state).setup(|app| {
        // Two windows on one screen (the demo's front desk and home-visit laptop) say which is which.
        if let Some(title) = std::env::var("MAMORI_WINDOW_TITLE").ok().filter(|t| !t.trim().is_empty()) {
            if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                let _ = window.set_title(&title);
            }
        }
        Ok(())
    });
    if let Err(error) = builder.run(tauri::generate_context!()) {
        mamori_core::log_safe!(error, "the window could not start");
        eprintln!("Mamori could not start its window: {error}");
        std::process::exit(1);
    }
}
