//! Validation problems as data: each is a field plus a stable problem code with its parameters
//! (`{"field": "family_kana", "problem": "wrong_kana"}`, `{"field": "pulse_bpm", "problem":
//! "out_of_range", "min": 20, "max": 300}`), never a sentence to be parsed back. Front ends
//! translate them from the message catalog (`validation.<code>`, `fields.<id>`). A form's builder
//! reports every bad field at once ([`Checker`]). Nothing here repeats what was typed.

use std::fmt;

use serde::Serialize;
use ts_rs::TS;

pub use super::field::Field;

/// What is wrong with a field. Serialised with its code under `problem` and its parameters
/// beside it; the English texts in `messages/en.json` are the documentation of each code.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[ts(rename = "ValidationProblem")]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
    },
    ControlCharacter,
    /// A number outside `min..=max` (bounds as numbers, e.g. 0.3 kg).
    OutOfRange {
        min: f64,
        max: f64,
    },
    /// A reading that is not all katakana or hiragana.
    WrongKana,
    ContainsDigits,
    BadChartNo {
        max: usize,
    },
    UnknownSex,
    /// Not one of the listed choices (a watched chart's reason, a visit's kind).
    UnknownChoice,
    /// A watched staff chart names no staff member.
    StaffMemberRequired,
    /// Not in any accepted date form.
    NotADate,
    /// A day that does not exist (1950-02-30, month 13).
    ImpossibleDate,
    /// An era date after its era ended or before it began (S64.1.8, S70.1.1, H1.1.7).
    OutsideEra {
        era: String,
        first: String,
        last: String,
    },
    /// A date of the present era before it began (R1.4.30).
    BeforeEra {
        era: String,
        first: String,
    },
    InFuture,
    TooOld {
        years: u32,
    },
    BadPostalCode,
    BadPhone,
    BadInsurerNumber,
    /// The insurer number's 検証番号 does not match.
    InsurerCheckDigit,
    BadCopay,
    DiastolicNotBelowSystolic,
    NoMeasurement,
    BadIcd10,
    NotANumber,
    RangeReversed,
    NoLabResult,
    BadDose,
    NoDrug,
    NothingToRepeat,
    EmptyNote,
    NoteSigned,
    AlreadySigned,
    NoteIsDraft,
    AlreadyAmended,
    /// A draft is edited and signed by the one who wrote it.
    NotNoteAuthor,
    AppointmentCancelled,
    /// The visit named belongs to another patient.
    OtherPatientsVisit,
    /// The visit named is of an earlier day; what is recorded now belongs to today's visit.
    EarlierDaysVisit,
    AlreadyCheckedIn,
    UnknownRole,
    BadUserName {
        min: usize,
        max: usize,
    },
    PasswordTooShort {
        min: usize,
    },
    ChartNoTaken,
    LastAdmin,
    LastKeyHolder,
    FingerprintMismatch,
    ReasonTooShort {
        min: usize,
    },
    NotBreakable,
    AlreadyAllowed,
    EmptySearch,
    PatientOrUser,
}

impl Problem {
    /// The stable code (`wrong_kana`), as serialised under `problem`.
    pub fn code(&self) -> String {
        let value = serde_json::to_value(self).expect("a unit or struct variant always serialises");
        value["problem"].as_str().expect("the tag is a string").to_string()
    }

    /// One of each problem, for tests that check every code is translated.
    #[cfg(test)]
    pub(crate) fn samples() -> Vec<Problem> {
        use Problem::*;
        // Adding a variant? Add it here too; this match reminds you.
        let _exhaustive = |p: &Problem| match p {
            Required
            | TooLong { .. }
            | ControlCharacter
            | OutOfRange { .. }
            | WrongKana
            | ContainsDigits
            | BadChartNo { .. }
            | UnknownSex
            | UnknownChoice
            | StaffMemberRequired
            | NotADate
            | ImpossibleDate
            | OutsideEra { .. }
            | BeforeEra { .. }
            | InFuture
            | TooOld { .. }
            | BadPostalCode
            | BadPhone
            | BadInsurerNumber
            | InsurerCheckDigit
            | BadCopay
            | DiastolicNotBelowSystolic
            | NoMeasurement
            | BadIcd10
            | NotANumber
            | RangeReversed
            | NoLabResult
            | BadDose
            | NoDrug
            | NothingToRepeat
            | EmptyNote
            | NoteSigned
            | AlreadySigned
            | NoteIsDraft
            | AlreadyAmended
            | NotNoteAuthor
            | AppointmentCancelled
            | OtherPatientsVisit
            | EarlierDaysVisit
            | AlreadyCheckedIn
            | UnknownRole
            | BadUserName { .. }
            | PasswordTooShort { .. }
            | ChartNoTaken
            | LastAdmin
            | LastKeyHolder
            | FingerprintMismatch
            | ReasonTooShort { .. }
            | NotBreakable
            | AlreadyAllowed
            | EmptySearch
            | PatientOrUser => (),
        };
        vec![
            Required,
            TooLong { max: 40 },
            ControlCharacter,
            OutOfRange { min: 0.3, max: 400.0 },
            WrongKana,
            ContainsDigits,
            BadChartNo { max: 12 },
            UnknownSex,
            UnknownChoice,
            StaffMemberRequired,
            NotADate,
            ImpossibleDate,
            OutsideEra { era: "昭和".into(), first: "1926-12-25".into(), last: "1989-01-07".into() },
            BeforeEra { era: "令和".into(), first: "2019-05-01".into() },
            InFuture,
            TooOld { years: 125 },
            BadPostalCode,
            BadPhone,
            BadInsurerNumber,
            InsurerCheckDigit,
            BadCopay,
            DiastolicNotBelowSystolic,
            NoMeasurement,
            BadIcd10,
            NotANumber,
            RangeReversed,
            NoLabResult,
            BadDose,
            NoDrug,
            NothingToRepeat,
            EmptyNote,
            NoteSigned,
            AlreadySigned,
            NoteIsDraft,
            AlreadyAmended,
            NotNoteAuthor,
            AppointmentCancelled,
            OtherPatientsVisit,
            EarlierDaysVisit,
            AlreadyCheckedIn,
            UnknownRole,
            BadUserName { min: 2, max: 32 },
            PasswordTooShort { min: 10 },
            ChartNoTaken,
            LastAdmin,
            LastKeyHolder,
            FingerprintMismatch,
            ReasonTooShort { min: 4 },
            NotBreakable,
            AlreadyAllowed,
            EmptySearch,
            PatientOrUser,
        ]
    }
}

/// One refused field: which, what is wrong, and for a list (drugs of a prescription, results of
/// a lab report) the 1-based item it is in.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct FieldError {
    pub field: Field,
    #[serde(flatten)]
    pub problem: Problem,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub item: Option<usize>,
}

impl FieldError {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem, item: None }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::messages::field_text(self, crate::messages::Lang::En))
    }
}

impl std::error::Error for FieldError {}

/// Every refused field of one input (never empty). Displays in English for logs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// The refused fields, in form order.
    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }

    /// True when `field` is among the refused ones.
    pub fn has(&self, field: Field) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// The problem of `field`, if it was refused.
    pub fn problem(&self, field: Field) -> Option<&Problem> {
        self.0.iter().find(|e| e.field == field).map(|e| &e.problem)
    }

    /// The same problems, marked as being in the `item`-th (1-based) entry of a list.
    pub fn in_item(mut self, item: usize) -> Self {
        for error in &mut self.0 {
            error.item = Some(item);
        }
        self
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&texts.join(" "))
    }
}

impl std::error::Error for ValidationErrors {}

/// A check of one field.
pub type Check<T> = Result<T, FieldError>;
/// A record built from a whole input: every refused field at once.
pub type Valid<T> = Result<T, ValidationErrors>;

pub fn invalid<T>(field: Field, problem: Problem) -> Check<T> {
    Err(FieldError::new(field, problem))
}

/// Gathers the problems of a whole form so that every bad field is reported at once, not the
/// first one only.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value when `result` is fine; otherwise its problems are noted and `None` returned.
    pub fn take<T, E: Into<ValidationErrors>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.errors.extend(errors.into().0);
                None
            }
        }
    }

    /// Notes a problem found by a check across fields.
    pub fn add(&mut self, field: Field, problem: Problem) {
        self.errors.push(FieldError::new(field, problem));
    }

    /// Notes a problem of the `item`-th (1-based) entry of a list (a day's hours, a shift).
    pub fn add_in_item(&mut self, item: usize, field: Field, problem: Problem) {
        self.errors.push(FieldError { field, problem, item: Some(item) });
    }

    /// True when a problem was noted for `field`.
    pub fn has(&self, field: Field) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// `Ok` when nothing was noted, else every problem noted.
    pub fn finish(self) -> Valid<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }

    /// The problems noted so far, for a builder that cannot go on because a field it needs was
    /// refused (so at least one was noted).
    pub fn failed<T>(self) -> Valid<T> {
        debug_assert!(!self.errors.is_empty(), "failed() without a noted problem");
        Err(ValidationErrors(self.errors))
    }
}

/// Trimmed text that must be present and at most `max_chars` long.
pub fn required_text(field: Field, value: &str, max_chars: usize) -> Check<String> {
    let value = value.trim();
    if value.is_empty() {
        return invalid(field, Problem::Required);
    }
    bounded_text(field, value, max_chars)
}

/// Trimmed text at most `max_chars` long, free of control characters (may be empty).
pub fn bounded_text(field: Field, value: &str, max_chars: usize) -> Check<String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return invalid(field, Problem::TooLong { max: max_chars });
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return invalid(field, Problem::ControlCharacter);
    }
    Ok(value.to_string())
}

/// A number within `min..=max`.
pub fn in_range<T: PartialOrd + fmt::Display + Copy>(field: Field, value: T, min: T, max: T) -> Check<T> {
    if value < min || value > max {
        return invalid(field, Problem::OutOfRange { min: as_bound(min), max: as_bound(max) });
    }
    Ok(value)
}

/// A bound as the number it reads as (0.3_f32 is 0.3, not 0.30000001192…).
fn as_bound(value: impl fmt::Display) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_serialises_as_its_code_with_its_parameters() {
        let error = FieldError::new(Field::WeightKg, Problem::OutOfRange { min: as_bound(0.3_f32), max: 400.0 });
        assert_eq!(
            serde_json::to_value(&error).expect("json"),
            serde_json::json!({"field": "weight_kg", "problem": "out_of_range", "min": 0.3, "max": 400.0})
        );
        let listed = ValidationErrors::from(FieldError::new(Field::Drug, Problem::Required)).in_item(2);
        assert_eq!(
            serde_json::to_value(&listed).expect("json"),
            serde_json::json!([{"field": "drug", "problem": "required", "item": 2}])
        );
        assert_eq!(Problem::InsurerCheckDigit.code(), "insurer_check_digit");
    }

    #[test]
    fn a_checker_keeps_every_problem() {
        let mut checks = Checker::new();
        assert_eq!(checks.take(required_text(Field::FamilyName, " ", 40)), None);
        assert_eq!(checks.take(bounded_text(Field::Address, "東京", 200)).as_deref(), Some("東京"));
        assert_eq!(checks.take(in_range(Field::PulseBpm, 500, 20, 300)), None);
        let errors = checks.finish().expect_err("two bad fields");
        assert_eq!(errors.fields().len(), 2);
        assert_eq!(errors.problem(Field::FamilyName), Some(&Problem::Required));
        assert_eq!(errors.problem(Field::PulseBpm), Some(&Problem::OutOfRange { min: 20.0, max: 300.0 }));
    }
}
