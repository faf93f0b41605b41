//! One module per command.

mod account;
mod alerts;
mod audit;
mod chart_text;
mod demo;
mod device;
mod enrollment;
mod init;
mod join;
mod key;
mod patient;
mod server;
mod shell;
mod staff;
mod store;
mod sync;
mod user;

use crate::args::{Cli, Command};
use crate::context::Context;

/// Shows a new second factor once (also after a login that redeemed a reset code).
pub fn show_enrollment(enrollment: &mamori_core::auth::Enrollment) -> anyhow::Result<()> {
    enrollment::show(enrollment, None)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // These need no data folder.
    match cli.command {
        Command::Completions { shell } => return shell::completions(shell),
        Command::Man => return shell::man(),
        Command::Server(command) => return server::run(command),
        Command::Alerts(command @ crate::args::AlertsCommand::Scan { .. }) => return alerts::run_offline(command),
        _ => {}
    }
    let context = Context::from_cli(&cli)?;
    match cli.command {
        Command::Init(args) => init::run(&context, &args),
        Command::Demo(args) => demo::run(&context, &args),
        Command::Patient(command) => patient::run(&context, command),
        Command::Store(command) => store::run(&context, command),
        Command::Audit(command) => audit::run(&context, command),
        Command::User { command, unlock } => user::run(&context, command, &unlock),
        Command::Key { command, unlock } => key::run(&context, command, &unlock),
        Command::AcceptInvitation(args) => account::accept(&context, &args),
        Command::Passwd { unlock } => account::change_password(&context, &unlock),
        Command::SecretKey { unlock } => account::secret_key(&context, &unlock),
        Command::Join(args) => join::run(&context, &args),
        Command::Enroll { roles, unlock } => device::enroll(&context, &roles, &unlock),
        Command::Sync(args) => sync::run(&context, &args),
        Command::CheckIn => sync::check_in(&context),
        Command::Device(command) => device::run(&context, command),
        Command::Conflicts { unlock } => device::conflicts(&context, &unlock),
        Command::Alerts(command) => alerts::run(&context, command),
        Command::Posture { unlock } => staff::posture(&context, &unlock),
        Command::Training(command) => staff::training(&context, command),
        Command::Completions { .. } | Command::Man | Command::Server(_) => Ok(()),
    }
}
