//! The one error type of the core. Each message says what happened and what the user can do.
//! No message ever contains patient data, a password, a key or a token.

use std::path::PathBuf;

use crate::domain::validation::ValidationError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not describe a valid record (a form field, a CLI argument).
    #[error(transparent)]
    Invalid(#[from] ValidationError),

    #[error("your role may not {access} {section}; this attempt has been recorded")]
    Denied { section: &'static str, access: &'static str },

    #[error("wrong user name or password")]
    WrongPassword,

    #[error("the one-time code is wrong, expired or already used; wait for the next code")]
    WrongSecondFactor,

    #[error("this user has no second factor set up; ask an administrator to reset it")]
    SecondFactorNotEnrolled,

    #[error("too many failed logins; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },

    #[error("this account is locked after too many failed logins; an administrator must unlock it")]
    LockedOut,

    #[error("this account is disabled; ask an administrator")]
    AccountDisabled,

    #[error("the session is locked; log in again with password and one-time code")]
    SessionLocked,

    #[error(
        "the clinical sections are sealed and this session holds no key for them yet; a doctor or \
         nurse who can already read them must log in on this computer once to pass the key on"
    )]
    SectionKeyMissing,

    #[error(
        "the {section} section is sealed with the clinical key, which your role never holds; \
         ask a doctor or nurse to open this chart"
    )]
    SealedSection { section: &'static str },

    #[error(
        "this computer's keyring holds no key for the Mamori data in {dir} (device {device}); \
         the folder was copied from another computer or the keyring was reset. Open it on the \
         computer that created it, or restore that computer's keyring"
    )]
    DeviceSecretMissing { dir: PathBuf, device: String },

    #[error("the system keyring (Secret Service) is not available: {0}. Unlock the desktop keyring and try again")]
    KeyringUnavailable(String),

    #[error("the system keyring already holds a key for device {0}; refusing to overwrite it")]
    DeviceSecretExists(String),

    #[error("no Mamori data in {0}; create it with `mamori init` or `mamori demo`")]
    NotInitialized(PathBuf),

    #[error("{0} already holds Mamori data; choose an empty folder")]
    AlreadyInitialized(PathBuf),

    #[error("{0} holds a chart database without its key file (an interrupted setup?); move the folder aside and start again")]
    IncompleteSetup(PathBuf),

    #[error("the key file {path} is damaged or not a Mamori key file: {reason}")]
    KeyFileInvalid { path: PathBuf, reason: String },

    #[error("the key file {path} has format version {found}; this Mamori reads version {supported}. Update Mamori")]
    KeyFileVersion { path: PathBuf, found: u32, supported: u32 },

    #[error("the chart database does not match its key file (damaged or replaced); restore it from a backup")]
    DatabaseKeyRejected,

    #[error("a user named {0} already exists")]
    UserExists(String),

    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },

    #[error("{0}")]
    InvalidState(&'static str),

    #[error("the change log holds an entry this version cannot read (change {id}); update Mamori")]
    UnreadableChange { id: String },

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("this chart database has schema version {found}, newer than this Mamori ({supported}); update Mamori")]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("could not {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },

    #[error("the operating system's random number source is unavailable")]
    RandomUnavailable,

    #[error("encryption failed")]
    SealFailed,

    #[error("password hashing failed: {0}")]
    Kdf(String),
}

impl Error {
    /// A validation error about a field, for checks that need the chart's state.
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Error {
        Error::Invalid(ValidationError { field, problem: problem.into() })
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    /// A stable code the UI translates (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid_input",
            Error::Denied { .. } => "denied",
            Error::WrongPassword => "wrong_password",
            Error::WrongSecondFactor => "wrong_second_factor",
            Error::SecondFactorNotEnrolled => "second_factor_not_enrolled",
            Error::Throttled { .. } => "throttled",
            Error::LockedOut => "locked_out",
            Error::AccountDisabled => "account_disabled",
            Error::SessionLocked => "session_locked",
            Error::SectionKeyMissing => "section_key_missing",
            Error::SealedSection { .. } => "sealed_section",
            Error::DeviceSecretMissing { .. } => "device_secret_missing",
            Error::KeyringUnavailable(_) => "keyring_unavailable",
            Error::DeviceSecretExists(_) => "device_secret_exists",
            Error::NotInitialized(_) => "not_initialized",
            Error::AlreadyInitialized(_) => "already_initialized",
            Error::IncompleteSetup(_) => "incomplete_setup",
            Error::KeyFileInvalid { .. } => "key_file_invalid",
            Error::KeyFileVersion { .. } => "key_file_version",
            Error::DatabaseKeyRejected => "database_key_rejected",
            Error::UserExists(_) => "user_exists",
            Error::NotFound { .. } => "not_found",
            Error::InvalidState(_) => "invalid_state",
            Error::UnreadableChange { .. } => "unreadable_change",
            Error::Database(_) => "database",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Io { .. } => "io",
            Error::RandomUnavailable => "random_unavailable",
            Error::SealFailed => "seal_failed",
            Error::Kdf(_) => "kdf",
        }
    }
}
