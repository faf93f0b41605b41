//! The Mamori desktop app: a Tauri v2 shell. Each command in [`commands`] is a short adapter
//! into `mamori_core::clinic::Clinic`; the core decides what a session may do, so a command
//! invoked from a session whose role lacks it is refused there, whatever the window asked.

pub mod commands;
mod error;
mod state;
mod views;

include!("command_names.rs");

pub use error::UiError;
pub use state::AppState;

use mamori_core::clinic::DataDir;
use mamori_core::vault::KeyringStore;

/// Gives `builder` the app's state and commands, on any runtime (the tests pass Tauri's mock
/// builder).
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder.manage(state).invoke_handler(tauri::generate_handler![
        commands::session::app_status,
        commands::session::setup_clinic,
        commands::session::unlock,
        commands::session::lock,
        commands::session::resume,
        commands::session::logout,
        commands::session::session_state,
        commands::front_desk::search_patients,
        commands::front_desk::todays_visits,
        commands::front_desk::next_chart_no,
        commands::front_desk::register_patient,
        commands::front_desk::update_patient,
        commands::front_desk::patient,
        commands::front_desk::book_appointment,
        commands::front_desk::check_in,
        commands::front_desk::check_in_walk_in,
        commands::chart::chart,
        commands::chart::open_encounter,
        commands::chart::write_note,
        commands::chart::edit_note,
        commands::chart::sign_note,
        commands::chart::amend_note,
        commands::chart::record_vitals,
        commands::chart::record_allergy,
        commands::chart::record_problem,
        commands::chart::prescribe,
        commands::chart::prescribe_do,
        commands::chart::break_glass,
        commands::admin::users,
        commands::admin::add_user,
        commands::admin::set_user_disabled,
        commands::admin::reset_second_factor,
        commands::admin::unlock_account,
        commands::admin::audit_report,
        commands::admin::audit_report_by_chart_no,
        commands::admin::audit_alerts,
        commands::admin::set_idle_timeout,
    ])
}

/// Starts the app on the data folder `MAMORI_DATA_DIR` (or the OS default) with the OS keyring.
pub fn run() {
    let Some(dir) = DataDir::default_location() else {
        eprintln!("Mamori: the OS has no data folder for this user; set MAMORI_DATA_DIR");
        std::process::exit(2);
    };
    let service = std::env::var("MAMORI_KEYRING_SERVICE").unwrap_or_else(|_| KeyringStore::DEFAULT_SERVICE.into());
    let state = AppState::new(dir, Box::new(KeyringStore::new(service)));
    if let Err(error) = configure(tauri::Builder::default(), state).run(tauri::generate_context!()) {
        eprintln!("Mamori could not start its window: {error}");
        std::process::exit(1);
    }
}
