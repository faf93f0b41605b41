//! What the detector reports: which rule fired, about whom, which patients and events, from when
//! to when, how severe, and why — in words an office manager understands, Japanese first.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A chart opened with no treatment relationship the clinic's data shows.
    NoRelationship,
    /// … of a patient with the user's own surname.
    SameSurname,
    /// … of a patient living in the user's own town and block.
    SameNeighbourhood,
    /// The user's own chart, or a family member's.
    OwnOrFamily,
    /// A sensitive chart (staff, staff's family, a public figure) with no relationship.
    Sensitive,
    /// Charts opened outside clinic hours, outside an on-call shift, with no relationship.
    OffHours,
    /// Far more charts in a day than the user's own and the role's usual, the excess unexplained.
    Volume,
    /// Many charts printed or exported at once with no relationship.
    BulkExport,
    /// Refused attempts, again and again.
    RepeatedRefusals,
    /// A burst of failed logins to an account, then a success.
    FailedLoginBurst,
    /// A device or an hour the account never used before.
    NewDeviceOrHour,
    /// Break-the-glass: a section opened beyond the role, with a typed reason.
    BreakGlass,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NoRelationship => "no_relationship",
            Rule::SameSurname => "same_surname",
            Rule::SameNeighbourhood => "same_neighbourhood",
            Rule::OwnOrFamily => "own_or_family",
            Rule::Sensitive => "sensitive",
            Rule::OffHours => "off_hours",
            Rule::Volume => "volume",
            Rule::BulkExport => "bulk_export",
            Rule::RepeatedRefusals => "repeated_refusals",
            Rule::FailedLoginBurst => "failed_login_burst",
            Rule::NewDeviceOrHour => "new_device_or_hour",
            Rule::BreakGlass => "break_glass",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub rule: Rule,
    pub user: String,
    pub patients: Vec<String>,
    /// The ids of the events that made it.
    pub events: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub severity: Severity,
    /// Why, for an office manager: Japanese, then English.
    pub explanation: Explanation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub ja: String,
    pub en: String,
}
