//! The clinic's security posture and its staff records on the command line: `posture`,
//! `training`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};

use super::Unlock;

#[derive(Subcommand)]
pub enum TrainingCommand {
    /// Record a staff member's security training or phishing drill (admin only).
    Add {
        /// The staff member's login name.
        #[arg(value_name = "USER")]
        staff: String,
        /// The day it took place (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// A training session or a phishing drill.
        #[arg(long, value_enum, default_value = "training")]
        kind: TrainingKindArg,
        /// What it covered, e.g. 標的型メール訓練 or パスワード管理.
        #[arg(long)]
        topic: String,
        /// For a phishing drill: whether the member reported the test mail (yes or no).
        #[arg(long, value_enum)]
        reported: Option<YesNo>,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Record a review of the access log or an audit of the dependencies (admin only).
    Review {
        /// What was reviewed.
        #[arg(long, value_enum)]
        kind: ReviewKindArg,
        /// The day of the review (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// Who reviewed (default: the administrator recording it).
        #[arg(long, default_value = "")]
        by: String,
        /// What the review found (up to 500 characters).
        #[arg(long, default_value = "")]
        findings: String,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Every training and review record, oldest first (admin only).
    List {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Write every record as CSV for an inspector (admin only); an existing file is not overwritten.
    Export {
        /// Where to write the CSV.
        #[arg(long, value_name = "FILE.csv")]
        output: PathBuf,
        #[command(flatten)]
        unlock: Unlock,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TrainingKindArg {
    /// A security training session.
    Training,
    /// A phishing drill (a test mail).
    PhishingDrill,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReviewKindArg {
    /// The access log and its alerts.
    AccessLog,
    /// The software's dependencies, for known vulnerabilities.
    Dependencies,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum YesNo {
    /// Reported the test mail.
    Yes,
    /// Did not report it.
    No,
}
