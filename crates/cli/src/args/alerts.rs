//! The insider detector on the command line: `alerts`.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::Unlock;

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Run the detector over exported events (`audit export --format jsonl`) and a context file
    /// (docs/detection-context.md); prints one alert per line.
    Scan {
        /// The events, as `mamori audit export --format jsonl` writes them (one per line).
        #[arg(long, value_name = "FILE.jsonl")]
        events: PathBuf,
        /// What explains an access: patients, staff, appointments, lists, results, roster.
        #[arg(long, value_name = "FILE.json")]
        context: PathBuf,
        /// One JSON object per alert (rule, user, patients, events, from, to, severity, explanation).
        #[arg(long)]
        json: bool,
    },
    /// The alerts the detector found on this computer (admin only), newest first; runs a fresh
    /// scan of this computer's audit log first (with --clinic-wide, every device's).
    List {
        /// Which alerts: open (not acknowledged), acknowledged, or all.
        #[arg(long, value_enum, default_value = "open")]
        status: StatusArg,
        /// Only this rule (e.g. same_surname; see docs/detection-context.md).
        #[arg(long)]
        rule: Option<String>,
        /// Only alerts about this login name.
        #[arg(long = "about")]
        about: Option<String>,
        /// One JSON object per alert instead of a table.
        #[arg(long)]
        json: bool,
        /// Also every other device's audit events, fetched from the clinic server this computer
        /// syncs with and checked against each device's signature.
        #[arg(long)]
        clinic_wide: bool,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Acknowledge an alert with a comment saying what was found (admin only; audited).
    Ack {
        /// The alert's id, as `alerts list` shows it.
        id: String,
        /// What the review found and what was done (up to 500 characters).
        #[arg(long)]
        comment: String,
        /// The alert came from `alerts list --clinic-wide` (another device's events).
        #[arg(long)]
        clinic_wide: bool,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Today's summary: alerts found in the last 24 hours and those still open, by rule.
    Summary {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Write the detector's context as one JSON file (docs/detection-context.md) for `alerts
    /// scan`; names and addresses are replaced by keyed tokens (admin only; audited).
    ContextExport {
        /// Where to write it (a new file; an existing one is not overwritten).
        #[arg(long, value_name = "FILE.json")]
        output: PathBuf,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Fill a staff member's optional profile, which the same-surname and same-neighbourhood
    /// rules compare with charts (admin only). An empty value clears a field.
    Profile {
        /// The staff member's login name.
        #[arg(value_name = "USER")]
        staff: String,
        /// Surname (姓), e.g. 高橋.
        #[arg(long)]
        surname: Option<String>,
        /// The surname's reading in katakana, e.g. タカハシ.
        #[arg(long)]
        surname_kana: Option<String>,
        /// The town of their home address as addresses write it (町名), e.g. 下馬.
        #[arg(long)]
        home_town: Option<String>,
        /// The 丁目 (block) of their home address, e.g. 3.
        #[arg(long)]
        home_block: Option<String>,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Set the clinic's opening hours and holidays from a JSON file shaped like the context
    /// file's `clinic` (docs/detection-context.md) (admin only).
    Hours {
        /// The hours, e.g. {"utc_offset_minutes": 540, "hours": [{"weekday": 0, "open": "09:00:00", "close": "18:00:00"}], "holidays": ["2026-12-29"]}.
        #[arg(long, value_name = "FILE.json")]
        file: PathBuf,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Replace the on-call and cover roster from a JSON file shaped like the context file's
    /// `roster` (admin only).
    Roster {
        /// The shifts, e.g. [{"user": "doctor", "kind": "on_call", "from": "…", "to": "…"}].
        #[arg(long, value_name = "FILE.json")]
        file: PathBuf,
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    /// Not yet acknowledged.
    Open,
    /// Acknowledged by an administrator.
    Acknowledged,
    /// Both.
    All,
}
