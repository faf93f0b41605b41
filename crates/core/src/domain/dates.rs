//! Dates typed at the front desk: western (1950-03-12, 1950/3/12, 19500312) or Japanese era
//! (S25.3.12, 昭和25年3月12日, H元.1.8).
//!
//! An era date is checked against both ends of its era: 昭和 ended on 1989-01-07 (S64.1.7), so
//! S64.1.8 and S70.1.1 are refused rather than quietly read as 1989 or 1995; 令和 is open-ended.

use chrono::{Datelike, NaiveDate};

use super::validation::{invalid, Check, Field, Problem};

/// A Japanese era: its letter and name, the western year before its year 1, and its first day.
/// Its last day is the day before the next era's first day; the newest era has none.
struct Era {
    letter: &'static str,
    name: &'static str,
    year_offset: i32,
    first_day: (i32, u32, u32),
}

/// Each era's first day as proclaimed (明治 on 1868-10-23, as the CLDR and ICU calendars have it).
const ERAS: &[Era] = &[
    Era { letter: "M", name: "明治", year_offset: 1867, first_day: (1868, 10, 23) },
    Era { letter: "T", name: "大正", year_offset: 1911, first_day: (1912, 7, 30) },
    Era { letter: "S", name: "昭和", year_offset: 1925, first_day: (1926, 12, 25) },
    Era { letter: "H", name: "平成", year_offset: 1988, first_day: (1989, 1, 8) },
    Era { letter: "R", name: "令和", year_offset: 2018, first_day: (2019, 5, 1) },
];

impl Era {
    fn starts(&self) -> NaiveDate {
        let (y, m, d) = self.first_day;
        NaiveDate::from_ymd_opt(y, m, d).expect("each era's first day is a real date")
    }

    /// The era's last day; `None` for the current era.
    fn ends(&self) -> Option<NaiveDate> {
        let next = ERAS.iter().skip_while(|era| era.name != self.name).nth(1)?;
        next.starts().pred_opt()
    }

    /// The highest year number the era reached; `None` for the current era.
    fn last_year(&self) -> Option<i32> {
        self.ends().map(|last| last.year() - self.year_offset)
    }
}

/// Why typed text is not a date. Each names what to fix without repeating what was typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateProblem {
    /// Not in any of the accepted forms.
    NotADate,
    /// In a date form, but no such day exists (2月30日, month 13).
    Impossible,
    /// An era date before its era began or after it ended (S64.1.8, S70.1.1, H1.1.7).
    OutsideEra { era: &'static str, first: NaiveDate, last: Option<NaiveDate> },
}

impl DateProblem {
    /// A stable code for the problem, for a front end to translate.
    pub fn code(self) -> String {
        self.problem().code()
    }

    /// The problem as the validation problem a form reports.
    pub fn problem(self) -> Problem {
        match self {
            DateProblem::NotADate => Problem::NotADate,
            DateProblem::Impossible => Problem::ImpossibleDate,
            DateProblem::OutsideEra { era, first, last: Some(last) } => {
                Problem::OutsideEra { era: era.into(), first: first.to_string(), last: last.to_string() }
            }
            DateProblem::OutsideEra { era, first, last: None } => {
                Problem::BeforeEra { era: era.into(), first: first.to_string() }
            }
        }
    }

    /// The problem as a validation error on `field`.
    pub fn invalid<T>(self, field: Field) -> Check<T> {
        invalid(field, self.problem())
    }
}

/// Reads a date in any of the accepted forms, or says why it is not one.
pub fn read_date(text: &str) -> Result<NaiveDate, DateProblem> {
    let text = super::kana::nfkc_compact(text);
    match read_western(&text) {
        Some(result) => result,
        None => read_era(&text).unwrap_or(Err(DateProblem::NotADate)),
    }
}

/// Parses a date in any of the accepted forms; `None` if it is not one (see [`read_date`] for why).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    read_date(text).ok()
}

/// `None` when `text` is not in a western form at all.
fn read_western(text: &str) -> Option<Result<NaiveDate, DateProblem>> {
    if text.len() == 8 && text.chars().all(|c| c.is_ascii_digit()) {
        return Some(NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|_| DateProblem::Impossible));
    }
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        let (year, month, day) = (number(parts[0])?, number(parts[1])?, number(parts[2])?);
        return Some(ymd(year, month, day).ok_or(DateProblem::Impossible));
    }
    None
}

/// `None` when `text` is not in an era form at all.
fn read_era(text: &str) -> Option<Result<NaiveDate, DateProblem>> {
    let upper = text.to_uppercase();
    let (era, rest) = ERAS.iter().find_map(|era| {
        upper.strip_prefix(era.letter).or_else(|| upper.strip_prefix(era.name)).map(|rest| (era, rest))
    })?;
    // 元年: year one, written as 元 in place of the year number.
    let rest = match rest.strip_prefix('元') {
        Some(after) => format!("1{after}"),
        None => rest.to_string(),
    };
    let parts: Vec<&str> = rest.split(['.', '/', '-', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    let [year, month, day] = parts[..] else {
        return None;
    };
    let (era_year, month, day) = (number(year)?, number(month)?, number(day)?);
    let outside = DateProblem::OutsideEra { era: era.name, first: era.starts(), last: era.ends() };
    if era_year < 1 || era.last_year().is_some_and(|last| era_year > last) {
        return Some(Err(outside));
    }
    let Some(date) = era.year_offset.checked_add(era_year).and_then(|year| ymd(year, month, day)) else {
        return Some(Err(DateProblem::Impossible));
    };
    let within = date >= era.starts() && era.ends().is_none_or(|last| date <= last);
    Some(if within { Ok(date) } else { Err(outside) })
}

/// The date in the Japanese era calendar, e.g. 昭和25年3月12日 (元年 for year one); before 明治, the
/// western year in the same shape.
pub fn to_wareki(date: NaiveDate) -> String {
    match ERAS.iter().rev().find(|era| date >= era.starts()) {
        Some(era) => {
            let year = date.year() - era.year_offset;
            let year = if year == 1 { "元".to_string() } else { year.to_string() };
            format!("{}{year}年{}月{}日", era.name, date.month(), date.day())
        }
        None => date.format("%Y年%-m月%-d日").to_string(),
    }
}

/// Digits only (no sign, no spaces), as typed numbers in a date are.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests;
