//! What the detector knows besides the events, from the clinic's own data
//! (`docs/detection-context.md`): who the patients are (surname, town and block, whether their
//! chart is sensitive and why, which staff member it belongs to or is family of), who the staff
//! are (surname, home town and block, role), the clinic's hours and holidays, appointments and
//! visits with the clinician in charge, home-visit lists, lab results and when they arrived, and
//! the cover and on-call roster. Each list may be empty; a rule without what it needs stays quiet.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::Role;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub clinic: ClinicHours,
    #[serde(default)]
    pub patients: Vec<PatientContext>,
    #[serde(default)]
    pub staff: Vec<StaffContext>,
    #[serde(default)]
    pub appointments: Vec<Appointment>,
    #[serde(default)]
    pub home_visit_lists: Vec<HomeVisitList>,
    #[serde(default)]
    pub lab_results: Vec<LabResult>,
    #[serde(default)]
    pub roster: Vec<Shift>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ClinicHours {
    /// Minutes east of UTC of the clinic's local time (Japan: 540).
    pub utc_offset_minutes: i32,
    /// Opening hours by weekday (0 = Monday); a weekday absent is closed.
    pub hours: Vec<OpenHours>,
    /// Days the clinic is closed (national holidays, the new year).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

impl Default for ClinicHours {
    /// Japan time; Monday to Friday 9:00–18:00, Saturday 9:00–13:00.
    fn default() -> Self {
        let time = |hour| NaiveTime::from_hms_opt(hour, 0, 0).expect("a whole hour is a time");
        let day = |weekday, close| OpenHours { weekday, open: time(9), close: time(close) };
        let hours = vec![day(0, 18), day(1, 18), day(2, 18), day(3, 18), day(4, 18), day(5, 13)];
        Self { utc_offset_minutes: 540, hours, holidays: Vec::new() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenHours {
    pub weekday: u8,
    pub open: NaiveTime,
    pub close: NaiveTime,
}

impl ClinicHours {
    /// The clinic's offset from UTC (UTC itself if the context gives an impossible one).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60).unwrap_or_else(utc)
    }

    /// The clinic's local date of `at`.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset()).date_naive()
    }

    /// Whether the clinic is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.offset());
        if self.holidays.contains(&local.date_naive()) {
            return false;
        }
        let weekday = u8::try_from(chrono::Datelike::weekday(&local).num_days_from_monday()).unwrap_or(0);
        self.hours.iter().any(|h| h.weekday == weekday && h.open <= local.time() && local.time() < h.close)
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("UTC is a valid offset")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveKind {
    /// A staff member's own chart.
    Staff,
    /// A staff member's family.
    StaffFamily,
    /// A public figure (a local politician, an athlete, a celebrity).
    PublicFigure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Own,
    Family,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLink {
    /// The staff member's login.
    pub staff: String,
    pub relation: Relation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientContext {
    pub id: String,
    pub surname: String,
    /// The surname's reading in katakana.
    #[serde(default)]
    pub surname_kana: String,
    /// 町名 and 丁目/番地 block, as the address gives them.
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub block: String,
    #[serde(default)]
    pub sensitive: Option<SensitiveKind>,
    #[serde(default)]
    pub staff_links: Vec<StaffLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffContext {
    pub user: String,
    pub role: Role,
    /// Optional profile fields an administrator may fill.
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub surname_kana: Option<String>,
    #[serde(default)]
    pub home_town: Option<String>,
    #[serde(default)]
    pub home_block: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    Outpatient,
    HomeVisit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub patient: String,
    pub at: DateTime<Utc>,
    pub kind: VisitKind,
    /// The clinician in charge (login), if one was named.
    #[serde(default)]
    pub clinician: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeVisitList {
    pub date: NaiveDate,
    /// Whose round it is (a doctor or nurse).
    pub user: String,
    pub patients: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabResult {
    pub patient: String,
    pub arrived_at: DateTime<Utc>,
    #[serde(default)]
    pub ordered_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    /// Night or weekend on call.
    OnCall,
    /// Covering a colleague's patients.
    Cover,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Shift {
    pub user: String,
    pub kind: ShiftKind,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// For a cover: whose patients.
    #[serde(default)]
    pub covers: Option<String>,
}

impl Context {
    pub fn patient(&self, id: &str) -> Option<&PatientContext> {
        self.patients.iter().find(|p| p.id == id)
    }

    pub fn staff(&self, user: &str) -> Option<&StaffContext> {
        self.staff.iter().find(|s| s.user == user)
    }

    /// Whether `user` is on a shift of `kind` at `at`.
    pub fn on_shift(&self, user: &str, kind: ShiftKind, at: DateTime<Utc>) -> bool {
        self.roster.iter().any(|s| s.user == user && s.kind == kind && s.from <= at && at < s.to)
    }

    /// The colleagues `user` covers at `at`.
    pub fn covered_by(&self, user: &str, at: DateTime<Utc>) -> Vec<&str> {
        self.roster
            .iter()
            .filter(|s| s.user == user && s.kind == ShiftKind::Cover && s.from <= at && at < s.to)
            .filter_map(|s| s.covers.as_deref())
            .collect()
    }
}
