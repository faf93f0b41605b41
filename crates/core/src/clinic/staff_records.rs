//! The clinic's records of its staff's security training and of its reviews (MHLW guideline
//! 6.0 asks for both): each training or phishing drill a staff member took, and each review of
//! the access log or of the dependencies. Administrators record them; they appear on the
//! posture page and export as CSV for an inspector. Each record is a clinic-wide setting of its
//! own (`records.<kind>.<id>`), so records made on two computers offline are both kept.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::alerts::prefixed;
use super::Clinic;
use crate::domain::validation::{bounded_text, required_text, Field, Problem};
use crate::policy::{Access, Section};
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TrainingKind {
    /// A security training session (yearly).
    Training,
    /// A phishing drill: a test mail, and whether the member reported it.
    PhishingDrill,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TrainingRecord {
    pub id: String,
    pub user: String,
    pub date: NaiveDate,
    pub kind: TrainingKind,
    pub topic: String,
    /// For a phishing drill: whether the member reported the test mail.
    pub reported_test_mail: Option<bool>,
    pub recorded_by: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// A review of the access log (and the alerts).
    AccessLog,
    /// An audit of the software's dependencies for known vulnerabilities.
    Dependencies,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewRecord {
    pub id: String,
    pub kind: ReviewKind,
    pub date: NaiveDate,
    /// Who reviewed (the administrator recording it, or the IT person they name).
    pub by: String,
    pub findings: String,
}

const TRAINING: &str = "records.training.";
const REVIEW: &str = "records.review.";

impl Clinic {
    /// Records a staff member's training or phishing drill (admin only).
    pub fn record_training(
        &mut self,
        user: &str,
        date: NaiveDate,
        kind: TrainingKind,
        topic: &str,
        reported_test_mail: Option<bool>,
    ) -> Result<TrainingRecord> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.known_user(user)?;
        self.not_in_future(date)?;
        let record = TrainingRecord {
            id: self.new_id()?.to_string(),
            user: user.to_string(),
            date,
            kind,
            topic: required_text(Field::Topic, topic, 100)?,
            reported_test_mail: if kind == TrainingKind::PhishingDrill { reported_test_mail } else { None },
            recorded_by: self.user().name.clone(),
        };
        self.put_setting(&format!("{TRAINING}{}", record.id), &record)?;
        Ok(record)
    }

    /// Records a review of the access log or of the dependencies (admin only).
    pub fn record_review(
        &mut self,
        kind: ReviewKind,
        date: NaiveDate,
        by: &str,
        findings: &str,
    ) -> Result<ReviewRecord> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.not_in_future(date)?;
        let by = by.trim();
        let record = ReviewRecord {
            id: self.new_id()?.to_string(),
            kind,
            date,
            by: if by.is_empty() { self.user().name.clone() } else { bounded_text(Field::StaffMember, by, 64)? },
            findings: bounded_text(Field::Comment, findings.trim(), 500)?,
        };
        self.put_setting(&format!("{REVIEW}{}", record.id), &record)?;
        Ok(record)
    }

    /// Every training record, oldest first (admin only).
    pub fn training_records(&mut self) -> Result<Vec<TrainingRecord>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let mut records: Vec<TrainingRecord> = prefixed(self.conn()?, &self.keys()?.membership, TRAINING)?;
        records.sort_by(|a, b| (a.date, &a.user, &a.id).cmp(&(b.date, &b.user, &b.id)));
        Ok(records)
    }

    /// Every review record, oldest first (admin only).
    pub fn review_records(&mut self) -> Result<Vec<ReviewRecord>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let mut records: Vec<ReviewRecord> = prefixed(self.conn()?, &self.keys()?.membership, REVIEW)?;
        records.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        Ok(records)
    }

    fn not_in_future(&self, date: NaiveDate) -> Result<()> {
        if date > self.today() {
            return Err(Error::invalid(Field::Date, Problem::InFuture));
        }
        Ok(())
    }
}

/// The records as CSV an inspector opens in a spreadsheet: training and drills, then reviews.
/// A cell that a spreadsheet would run as a formula is quoted with a leading apostrophe.
pub fn records_csv(training: &[TrainingRecord], reviews: &[ReviewRecord]) -> String {
    let mut out = String::from("record,date,staff_or_reviewer,kind,topic_or_findings,reported_test_mail,recorded_by\n");
    for t in training {
        let kind = match t.kind {
            TrainingKind::Training => "training",
            TrainingKind::PhishingDrill => "phishing_drill",
        };
        let reported = t.reported_test_mail.map_or("", |r| if r { "yes" } else { "no" });
        let cells = ["training", &t.date.to_string(), &t.user, kind, &t.topic, reported, &t.recorded_by];
        out.push_str(&csv_line(&cells));
    }
    for r in reviews {
        let kind = match r.kind {
            ReviewKind::AccessLog => "access_log",
            ReviewKind::Dependencies => "dependencies",
        };
        out.push_str(&csv_line(&["review", &r.date.to_string(), &r.by, kind, &r.findings, "", ""]));
    }
    out
}

fn csv_line(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    quoted.join(",") + "\n"
}

fn csv_cell(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}") } else { cell.to_string() };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_quotes_and_formulas() {
        let review = ReviewRecord {
            id: "1".into(),
            kind: ReviewKind::AccessLog,
            date: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            by: "admin".into(),
            findings: "=HYPERLINK(\"x\"), 2件".into(),
        };
        let csv = records_csv(&[], &[review]);
        assert!(csv.ends_with("review,2026-11-30,admin,access_log,\"'=HYPERLINK(\"\"x\"\"), 2件\",,\n"), "{csv}");
    }
}
