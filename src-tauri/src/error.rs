//! What a failed command gives the window: a stable code the UI translates, and the core's
//! English message as a fallback. Core messages never hold patient data, passwords or keys.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct UiError {
    pub code: &'static str,
    pub message: String,
}

impl UiError {
    pub fn no_session() -> Self {
        Self { code: "no_session", message: "nobody is logged in on this window".into() }
    }

    pub fn invalid(field: &str, problem: &str) -> Self {
        Self { code: "invalid_input", message: format!("{field}: {problem}") }
    }
}

impl From<mamori_core::Error> for UiError {
    fn from(error: mamori_core::Error) -> Self {
        Self { code: error.code(), message: error.to_string() }
    }
}

impl From<mamori_core::domain::validation::ValidationError> for UiError {
    fn from(error: mamori_core::domain::validation::ValidationError) -> Self {
        mamori_core::Error::from(error).into()
    }
}

pub type UiResult<T> = std::result::Result<T, UiError>;
