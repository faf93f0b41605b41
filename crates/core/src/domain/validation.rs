//! The validation error and the small checks the record builders share.

use std::fmt;

/// A field that does not hold an acceptable value. `field` names the form field; `problem` says
/// how to fix it. Neither repeats what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: &'static str,
    pub problem: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for ValidationError {}

pub type Valid<T> = Result<T, ValidationError>;

pub fn invalid<T>(field: &'static str, problem: impl Into<String>) -> Valid<T> {
    Err(ValidationError { field, problem: problem.into() })
}

/// Trimmed text that must be present and at most `max_chars` long.
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Valid<String> {
    let value = value.trim();
    if value.is_empty() {
        return invalid(field, "is required");
    }
    bounded_text(field, value, max_chars)
}

/// Trimmed text at most `max_chars` long, free of control characters (may be empty).
pub fn bounded_text(field: &'static str, value: &str, max_chars: usize) -> Valid<String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return invalid(field, format!("must be at most {max_chars} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return invalid(field, "contains a control character");
    }
    Ok(value.to_string())
}

/// A number within `min..=max`.
pub fn in_range<T: PartialOrd + fmt::Display + Copy>(field: &'static str, value: T, min: T, max: T) -> Valid<T> {
    if value < min || value > max {
        return invalid(field, format!("must be between {min} and {max}"));
    }
    Ok(value)
}
