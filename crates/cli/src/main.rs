//! `mamori`: the command-line front end. Every command goes through `mamori_core::clinic`, the
//! same API the desktop app uses.

mod args;
mod commands;
mod context;
mod logging;
mod password;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("mamori: error: {first} (see mamori --help)");
            return ExitCode::from(2);
        }
    };
    logging::start();
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
