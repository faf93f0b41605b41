//! Starts the log files (see `mamori_core::log`): the OS state folder or `MAMORI_LOG_DIR`, level
//! from `MAMORI_LOG`. A command still runs when its log cannot be opened; it says so once.

pub fn start() {
    if let Err(error) = mamori_core::log::install("mamori-cli") {
        eprintln!("mamori: warning: no log file this time: {error}");
    }
}
