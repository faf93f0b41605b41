//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "mamori", version, about = "Mamori (守り): an offline-first, encrypted chart for small clinics")]
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
    /// Manage the clinic's users (admin only).
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// List users with role and status.
    List,
    /// Add a user; shows their authenticator QR code and recovery codes once.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The new user's first password, from this environment variable instead of a prompt.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        #[arg(long, value_name = "FILE")]
        qr_png: Option<std::path::PathBuf>,
    },
    /// Change a user's role.
    Role {
        name: String,
        role: String,
    },
    /// Stop a user from logging in (their history stays).
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
    /// Give a user a new second factor (lost phone).
    Reset2fa {
        name: String,
        #[arg(long, value_name = "FILE")]
        qr_png: Option<std::path::PathBuf>,
    },
    /// Lift a lockout after too many failed logins.
    Unlock {
        name: String,
    },
    // The bounds in the help are the core's.
    #[command(about = format!(
        "Set the clinic's idle timeout in minutes ({}–{})",
        mamori_core::clinic::MIN_IDLE_MINUTES,
        mamori_core::clinic::MAX_IDLE_MINUTES
    ))]
    IdleTimeout {
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
    /// Role of the first user: reception, nurse, doctor or admin.
    #[arg(long, default_value = "admin")]
    pub role: String,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Also write the authenticator QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    pub qr_png: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct DemoArgs {
    /// How many synthetic patients to create.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
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
    #[arg(long, env = "MAMORI_USER")]
    pub user: String,
    /// Read the password from the first line of standard input instead of prompting (and the
    /// one-time code from the second line, unless --totp is given).
    #[arg(long)]
    pub password_stdin: bool,
    /// The six-digit code from the authenticator app (otherwise prompted).
    #[arg(long, env = "MAMORI_TOTP", conflicts_with = "recovery_code")]
    pub totp: Option<String>,
    /// A one-time recovery code, instead of the authenticator's code.
    #[arg(long)]
    pub recovery_code: Option<String>,
}

#[derive(Subcommand)]
pub enum PatientCommand {
    /// Search by chart number, name, kana reading, phone or birth date (1950-03-12, S25.3.12).
    Search {
        query: String,
        #[command(flatten)]
        unlock: Unlock,
        /// Most results to show.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        #[arg(long)]
        json: bool,
    },
    /// Show a patient's chart.
    Show {
        /// The patient's id (from `patient search`).
        id: String,
        #[command(flatten)]
        unlock: Unlock,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Rebuild all chart state by replaying the change log.
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

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain and its signed head; names the first broken event.
    Verify {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Who opened this patient's chart, or what this user opened.
    Report {
        /// The patient's id.
        #[arg(long, conflicts_with = "about_user", required_unless_present = "about_user")]
        patient: Option<String>,
        /// The login name of the user to report on.
        #[arg(long = "of-user", id = "about_user")]
        of_user: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Break-the-glass accesses, refusals and failed logins, newest last.
    Alerts {
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Write every event, one JSON object per line (schema: docs/audit-events.md).
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
}
