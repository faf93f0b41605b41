//! `mamori`: the command-line front end. Every command goes through `mamori_core::clinic`, the
//! same API the desktop app uses.

mod args;
mod commands;
mod context;
mod locale;
mod logging;
mod output;
mod password;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before any secret exists: no core dumps, no other process of this account reading ours.
    let refused = mamori_core::hardening::keep_process_memory_private();
    // A mistyped command gets clap's whole message (the error, a "did you mean" tip, the usage)
    // and exit code 2; --help and --version print and exit 0.
    let cli = args::Cli::parse();
    logging::start();
    for what in refused {
        mamori_core::log_safe!(warn, "process protection refused by the OS", protection = what);
    }
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, in the user's language: never a backtrace or a value the user typed.
            eprintln!("mamori: error: {}", locale::error_line(&error, locale::lang()));
            ExitCode::FAILURE
        }
    }
}
