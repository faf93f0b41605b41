//! The command line, as clap parses it. Every argument and subcommand carries help text (a test
//! walks the whole tree), and closed sets of values are value enums so `--help` lists them.

mod alerts;
mod audit;
mod staff;
mod sync;

pub use alerts::{AlertsCommand, StatusArg};
pub use audit::{AuditCommand, ExportFormat, ReportFormat};
pub use staff::{ReviewKindArg, TrainingCommand, TrainingKindArg, YesNo};
pub use sync::{DeviceCommand, ServerCommand, SyncArgs};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mamori_core::domain::Role;

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = "Mamori (守り): an offline-first, encrypted chart for small clinics",
    after_help = "Logins: commands that open the chart take --user and ask for the password and the \
                  authenticator's one-time code (or read them from standard input with --password-stdin)."
)]
pub struct Cli {
    /// Where this device keeps its encrypted chart (default: the OS data directory).
    #[arg(long, global = true, env = "MAMORI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The keyring service name under which the device secret is kept.
    #[arg(long, global = true, env = "MAMORI_KEYRING_SERVICE", default_value = "mamori", hide = true)]
    pub keyring_service: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new encrypted chart store on this device, with its first user.
    Init(InitArgs),
    /// Create a demo clinic: one user per role and synthetic patients with histories.
    Demo(DemoArgs),
    /// Find patients and open charts.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Maintain the chart store.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Check and read the tamper-evident audit log (admin only).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Insider-access alerts: the detector's findings on this computer (list, acknowledge,
    /// summary), its context, and a scan over exported events.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// The clinic's standing against the MHLW guideline 6.0 technical items, with what to do
    /// about each (admin only).
    Posture {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Staff security training, phishing drills and reviews of the access log (admin only).
    #[command(subcommand)]
    Training(TrainingCommand),
    /// Manage the clinic's users (admin only).
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// First login with an invitation code: choose your own password and set up your
    /// authenticator (shows its QR code and recovery codes once).
    AcceptInvitation(AcceptArgs),
    /// Change your own password.
    Passwd {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Make your Secret Key (printed once: keep it with your kit) and seal your vault record, so
    /// you can log in on the clinic's other computers.
    SecretKey {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Join the clinic on this new computer with the one-time code an administrator made
    /// (`mamori device invite`): you log in here with your password and Secret Key.
    Join(JoinArgs),
    /// Pass the clinical key to a new doctor or nurse (doctors and nurses only).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Run the clinic server in the back office (it stores sealed changes it cannot read).
    #[command(subcommand)]
    Server(ServerCommand),
    /// Enroll this computer in the clinic's sync (admin only; prints the clinic root fingerprint
    /// the server is set up with).
    Enroll {
        /// Roles that may log in on this computer.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [RoleArg::Reception, RoleArg::Nurse, RoleArg::Doctor, RoleArg::Admin])]
        roles: Vec<RoleArg>,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Sync with the clinic server once: send this computer's changes, receive everyone else's.
    Sync(SyncArgs),
    /// Check in with the clinic server without logging in: renews this computer's offline lease,
    /// or carries out a wipe the clinic ordered (as the login screen does).
    CheckIn,
    /// The devices enrolled in the clinic's sync (admin only).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Records edited on two devices at once: the value shown, and what to look at.
    Conflicts {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Print a shell completion script (e.g. `mamori completions bash > /etc/bash_completion.d/mamori`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the manual page in roff (e.g. `mamori man > mamori.1; man ./mamori.1`).
    Man,
}

/// A user's role, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Front desk: registration, appointments, check-in.
    Reception,
    /// Nursing notes and vitals; reads the clinical chart.
    Nurse,
    /// Notes, prescriptions and signing; reads the whole chart.
    Doctor,
    /// Users, devices and the audit log; never the clinical chart.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Reception => Role::Reception,
            RoleArg::Nurse => Role::Nurse,
            RoleArg::Doctor => Role::Doctor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

#[derive(Args)]
pub struct JoinArgs {
    /// Your login name.
    #[arg(long, env = "MAMORI_USER", hide_env_values = true)]
    pub user: String,
    /// Read the enrollment code, your password and your Secret Key from standard input (one per
    /// line) instead of prompting.
    #[arg(long)]
    pub stdin: bool,
}

#[derive(Args)]
pub struct AcceptArgs {
    /// Your login name, as the administrator invited you.
    #[arg(long, env = "MAMORI_USER", hide_env_values = true)]
    pub user: String,
    /// Read the invitation code and then your new password from standard input (one per line)
    /// instead of prompting.
    #[arg(long)]
    pub stdin: bool,
    /// Also write the authenticator QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    pub qr_png: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// List colleagues waiting for a clinician to confirm them, with who added them; and your own
    /// key fingerprint.
    Pending,
    /// Confirm a colleague after checking their name, role and key fingerprint with them in
    /// person (they see it with `mamori key pending` or in the app's status bar); passes them the
    /// clinical key.
    Confirm {
        /// The colleague's login name.
        name: String,
        /// The key fingerprint their own screen shows, as they read it to you.
        #[arg(long)]
        fingerprint: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// List users with role and status.
    List,
    /// Invite a user: prints a one-time code to hand them in person. At their first login
    /// (`mamori accept-invitation`) they choose their own password and set up their own
    /// authenticator; the administrator never sees either.
    Add {
        /// The new user's login name (lower-case letters, digits, '.', '_' or '-').
        name: String,
        /// What the new user may see and do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Name shown in the chart, e.g. 守 太郎 (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Change a user's role.
    Role {
        /// The user's login name.
        name: String,
        /// The user's new role.
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Stop a user from logging in (their history stays).
    Disable {
        /// The user's login name.
        name: String,
    },
    /// Let a disabled user back in: prints a new invitation code to hand them.
    Enable {
        /// The user's login name.
        name: String,
    },
    /// Let a user who lost their authenticator set up a new one: prints a one-time reset code to
    /// hand them in person; they type it where the one-time code goes at their next login.
    Reset2fa {
        /// The user's login name.
        name: String,
    },
    /// Seal the current database key to a user again (their key update after a disable was
    /// lost, so their login says the database key changed).
    ResendKey {
        /// The user's login name.
        name: String,
    },
    /// Lift a lockout after too many failed logins.
    Unlock {
        /// The user's login name.
        name: String,
    },
    // The bounds in the help are the core's.
    #[command(about = format!(
        "Set the clinic's idle timeout in minutes ({}–{})",
        mamori_core::clinic::MIN_IDLE_MINUTES,
        mamori_core::clinic::MAX_IDLE_MINUTES
    ))]
    IdleTimeout {
        /// Minutes without input before a session locks (1–240).
        minutes: i64,
    },
}

#[derive(Args)]
pub struct InitArgs {
    /// Login name of the first user.
    #[arg(long)]
    pub user: String,
    /// Name shown in the chart (default: the login name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Role of the first user.
    #[arg(long, value_enum, default_value = "admin")]
    pub role: RoleArg,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Also write the authenticator QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    pub qr_png: Option<PathBuf>,
}

#[derive(Args)]
pub struct DemoArgs {
    /// How many synthetic patients to create (a progress bar shows on a terminal).
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub patients: u32,
    /// Seed of the generator: the same seed gives the same clinic.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the demo logins as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How to unlock the store.
#[derive(Args)]
pub struct Unlock {
    /// Login name.
    #[arg(long, env = "MAMORI_USER", hide_env_values = true)]
    pub user: String,
    /// Read the password from the first line of standard input instead of prompting (and the
    /// one-time code from the second line, unless --totp is given).
    #[arg(long)]
    pub password_stdin: bool,
    /// The six-digit code from the authenticator app (otherwise prompted). `--help` never shows
    /// the value of MAMORI_TOTP.
    #[arg(long, env = "MAMORI_TOTP", hide_env_values = true, conflicts_with = "recovery_code")]
    pub totp: Option<String>,
    /// A one-time recovery code, instead of the authenticator's code.
    #[arg(long)]
    pub recovery_code: Option<String>,
}

#[derive(Subcommand)]
pub enum PatientCommand {
    /// Search by chart number, name, kana reading, phone or birth date (1950-03-12, S25.3.12).
    Search {
        /// What to look for: chart number, name, kana, phone or birth date.
        query: String,
        #[command(flatten)]
        unlock: Unlock,
        /// Most results to show.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a patient's chart.
    Show {
        /// The patient's id (from `patient search`).
        id: String,
        #[command(flatten)]
        unlock: Unlock,
        /// Print the chart as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Rebuild all chart state by replaying the change log (a progress bar shows on a terminal).
    Rebuild {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Check the database's integrity (SQLite and SQLCipher page checks).
    Check {
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every subcommand has an about line and every argument a help line, all the way down, so
    /// `--help`, the man page and the shell completions explain everything a user can type.
    #[test]
    fn every_subcommand_and_argument_explains_itself() {
        let mut command = Cli::command();
        command.build();
        command.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&command, "mamori", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }

    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            let sub_path = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(sub_path.clone());
            }
            walk(sub, &sub_path, missing);
        }
    }

    #[test]
    fn the_role_names_are_the_core_names() {
        for role in RoleArg::value_variants() {
            let typed = role.to_possible_value().expect("no role is skipped");
            assert_eq!(typed.get_name(), Role::from(*role).as_str());
            assert!(typed.get_help().is_some(), "{} has no help", typed.get_name());
        }
        assert_eq!(RoleArg::value_variants().len(), Role::ALL.len());
    }
}
