//! The insider detector on the command line: `alerts`.

use std::path::PathBuf;

use clap::Subcommand;

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
}
