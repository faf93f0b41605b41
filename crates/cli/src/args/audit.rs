//! The audit log on the command line: `audit`.

use clap::{Subcommand, ValueEnum};

use super::Unlock;

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
        /// How to print the events.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Break-the-glass accesses, refusals and failed logins, newest last.
    Alerts {
        /// How to print the events.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Write every event, one JSON object per line (schema: docs/audit-events.md).
    Export {
        /// The export format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Columns aligned for the terminal.
    Table,
    /// Comma-separated values for a spreadsheet (cells that could run as formulas are quoted).
    Csv,
    /// The events as a JSON array (schema: docs/audit-events.md).
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
}
