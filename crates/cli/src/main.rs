//! `mamori`: the command-line front end. Every command goes through `mamori_core::clinic`, the
//! same API the desktop app uses.

mod args;
mod commands;
mod context;
mod password;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the message chain, never a backtrace or a value the user typed.
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("mamori: error: {message}");
            ExitCode::FAILURE
        }
    }
}
