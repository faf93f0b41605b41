//! `mamori`: the command-line front end. Every command goes through `mamori_core::clinic`, the
//! same API the desktop app uses.

mod args;
mod commands;
mod context;
mod locale;
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
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, in the user's language: never a backtrace or a value the user typed.
            eprintln!("mamori: error: {}", locale::error_line(&error, locale::lang()));
            ExitCode::FAILURE
        }
    }
}
