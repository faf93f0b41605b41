//! What a failed command gives the window: the core's error report (`mamori_core::ErrorReport`),
//! a stable code with its data as typed members (every refused field, the seconds to wait, …)
//! that the UI translates from the shared message catalog, and the English message as a last
//! fallback. Core messages never hold patient data, passwords or keys.

use mamori_core::domain::validation::{Field, FieldError, Problem, ValidationErrors};
use mamori_core::ErrorReport;
use serde::Serialize;

/// Boxed: a command's `Result` stays small on its happy path.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct UiError(pub Box<ErrorReport>);

impl UiError {
    pub fn no_session() -> Self {
        Self(Box::new(ErrorReport::no_session()))
    }

    /// A command argument the window got wrong, as the core would report it.
    pub fn invalid(field: Field, problem: Problem) -> Self {
        FieldError::new(field, problem).into()
    }
}

impl From<mamori_core::Error> for UiError {
    fn from(error: mamori_core::Error) -> Self {
        Self(Box::new(error.report()))
    }
}

impl From<mamori_sync::Error> for UiError {
    fn from(error: mamori_sync::Error) -> Self {
        use mamori_core::ErrorCode;
        use mamori_sync::Error as Sync;
        let code = match &error {
            Sync::Core(core) => return Self(Box::new(core.report())),
            Sync::Unreachable(_) => ErrorCode::ServerUnreachable,
            Sync::NoServer => ErrorCode::NoServer,
            _ => ErrorCode::ServerRefused,
        };
        Self(Box::new(ErrorReport::sync_failure(code, error.to_string())))
    }
}

impl From<ValidationErrors> for UiError {
    fn from(errors: ValidationErrors) -> Self {
        Self(Box::new(errors.into()))
    }
}

impl From<FieldError> for UiError {
    fn from(error: FieldError) -> Self {
        Self(Box::new(error.into()))
    }
}

pub type UiResult<T> = std::result::Result<T, UiError>;
