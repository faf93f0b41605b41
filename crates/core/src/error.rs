//! The one error type of the core. Each message says what happened and what the user can do.
//! No message ever contains patient data, a password, a key or a token.
//!
//! The English `Display` is for logs and a last fallback. Front ends show [`Error::report`]: a
//! stable [`ErrorCode`] with its data as typed members, translated from the message catalog.

use std::path::PathBuf;

use crate::domain::validation::{Field, FieldError, Problem, ValidationErrors};
pub use crate::report::{ErrorCode, ErrorReport};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not describe a valid record (form fields, a CLI argument): every refused
    /// field with its problem.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),

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

    #[error(
        "the database key was changed since your last login and no new key is waiting for you on this \
         computer; ask an administrator to send it again (mamori user resend-key)"
    )]
    DatabaseKeyChanged,

    #[error(
        "a clinical record does not verify: it was altered, moved to another chart or visit, or is not \
         signed by the colleague it names; it is not shown, and the finding is in the audit log"
    )]
    RecordNotVerified,

    #[error(
        "a clinical record was sealed by a development version of Mamori, before author signatures, so \
         who wrote it cannot be proven; create the clinic again with `mamori init` or `mamori demo`"
    )]
    RecordUnsigned,

    #[error(
        "the clinic's signed membership record on this computer does not verify at link {seq} ({problem}); \
         sign-in is refused. Tell an administrator: this computer's data must be restored from a backup"
    )]
    ChainBroken { seq: u64, problem: &'static str },

    #[error(
        "the clinic's signed membership record on this computer is older than the one you last verified \
         (cut back or replaced); sign-in is refused. Tell an administrator"
    )]
    ChainRolledBack,

    #[error(
        "this chart database was made by a development version of Mamori, before signed membership; \
         create a new one with `mamori init` or `mamori demo`"
    )]
    StorePredatesChain,

    #[error(
        "{0} is not yet confirmed by a doctor or nurse as a recipient of the clinical key; a clinician \
         must check their name, role and key fingerprint with them first"
    )]
    RecipientNotConfirmed(String),

    /// `id` is for the code that handles the error; the message never repeats it (it may be what
    /// someone typed).
    #[error("{what} was not found")]
    NotFound { what: &'static str, id: String },

    #[error("{0}")]
    InvalidState(&'static str),

    #[error("the change log holds an entry this version cannot read (change {id}); update Mamori")]
    UnreadableChange { id: String },

    /// A change from another device whose author's signature, or whose author's authority to
    /// write it, the verified membership chain does not confirm. It is not applied.
    #[error(
        "a change from another device is not signed by an author allowed to write it (change {id}); it was not applied"
    )]
    ChangeNotVerified { id: String },

    /// A change names a membership chain link this replica does not hold yet: it waits for it.
    #[error("a change from another device names a membership link this device does not hold yet (change {id}); it waits for the chain")]
    ChangeAwaitsChain { id: String },

    /// A change arrived with an id this replica already holds, but with other bytes.
    #[error(
        "a change from another device has the id of a different change already held (change {id}); it was not applied"
    )]
    ChangeConflictsWithLog { id: String },

    #[error("the Secret Key is not valid: it starts with MSK1- and is printed on the user's kit")]
    SecretKeyInvalid,

    /// A vault record that is malformed, not signed by its user's key in the chain, or opens to
    /// another key.
    #[error("the user's vault record is damaged or not theirs; ask an administrator")]
    VaultRecordInvalid,

    /// A device enrollment code that cannot be read (the reason, never the code).
    #[error("the enrollment code is not valid ({0}); check it with the administrator who made it")]
    JoinCodeInvalid(&'static str),

    /// Joining the clinic on this device is not possible as asked (the reason).
    #[error("this device cannot join the clinic: {0}")]
    JoinRefused(&'static str),

    /// The device's offline lease ran out (DESIGN.md, "Offline lease").
    #[error(
        "this computer has not reached the clinic server for {days_away} days and the clinic allows \
         {lease_days}; connect it to the clinic's network and sync, then log in"
    )]
    LeaseExpired { days_away: i64, lease_days: u32 },

    /// The clinic marked this computer lost (or it stayed away past the clinic's self-wipe
    /// limit): its keyring secret and chart data were destroyed.
    #[error("this computer was wiped on the clinic's order; an administrator can enroll it again")]
    DeviceWiped,

    #[error("database error: {}", database_detail(.0))]
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
    pub(crate) fn invalid(field: Field, problem: Problem) -> Error {
        Error::Invalid(FieldError::new(field, problem).into())
    }

    /// What a front end shows: the code, the data as typed members, every refused field.
    pub fn report(&self) -> ErrorReport {
        ErrorReport::from(self)
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    /// The stable code front ends translate.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid(_) => ErrorCode::InvalidInput,
            Error::Denied { .. } => ErrorCode::Denied,
            Error::WrongPassword => ErrorCode::WrongPassword,
            Error::WrongSecondFactor => ErrorCode::WrongSecondFactor,
            Error::SecondFactorNotEnrolled => ErrorCode::SecondFactorNotEnrolled,
            Error::Throttled { .. } => ErrorCode::Throttled,
            Error::LockedOut => ErrorCode::LockedOut,
            Error::AccountDisabled => ErrorCode::AccountDisabled,
            Error::SessionLocked => ErrorCode::SessionLocked,
            Error::SectionKeyMissing => ErrorCode::SectionKeyMissing,
            Error::SealedSection { .. } => ErrorCode::SealedSection,
            Error::DeviceSecretMissing { .. } => ErrorCode::DeviceSecretMissing,
            Error::KeyringUnavailable(_) => ErrorCode::KeyringUnavailable,
            Error::DeviceSecretExists(_) => ErrorCode::DeviceSecretExists,
            Error::NotInitialized(_) => ErrorCode::NotInitialized,
            Error::AlreadyInitialized(_) => ErrorCode::AlreadyInitialized,
            Error::IncompleteSetup(_) => ErrorCode::IncompleteSetup,
            Error::KeyFileInvalid { .. } => ErrorCode::KeyFileInvalid,
            Error::KeyFileVersion { .. } => ErrorCode::KeyFileVersion,
            Error::DatabaseKeyRejected => ErrorCode::DatabaseKeyRejected,
            Error::UserExists(_) => ErrorCode::UserExists,
            Error::ChainBroken { .. } => ErrorCode::ChainBroken,
            Error::DatabaseKeyChanged => ErrorCode::DatabaseKeyChanged,
            Error::RecordNotVerified => ErrorCode::RecordNotVerified,
            Error::RecordUnsigned => ErrorCode::RecordUnsigned,
            Error::ChainRolledBack => ErrorCode::ChainRolledBack,
            Error::StorePredatesChain => ErrorCode::StorePredatesChain,
            Error::RecipientNotConfirmed(_) => ErrorCode::RecipientNotConfirmed,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::InvalidState(_) => ErrorCode::InvalidState,
            Error::UnreadableChange { .. } => ErrorCode::UnreadableChange,
            Error::ChangeNotVerified { .. } => ErrorCode::ChangeNotVerified,
            Error::ChangeConflictsWithLog { .. } => ErrorCode::ChangeConflictsWithLog,
            Error::ChangeAwaitsChain { .. } => ErrorCode::ChangeAwaitsChain,
            Error::SecretKeyInvalid => ErrorCode::SecretKeyInvalid,
            Error::VaultRecordInvalid => ErrorCode::VaultRecordInvalid,
            Error::JoinCodeInvalid(_) => ErrorCode::JoinCodeInvalid,
            Error::JoinRefused(_) => ErrorCode::JoinRefused,
            Error::LeaseExpired { .. } => ErrorCode::LeaseExpired,
            Error::DeviceWiped => ErrorCode::DeviceWiped,
            Error::Database(_) => ErrorCode::Database,
            Error::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Error::Io { .. } => ErrorCode::Io,
            Error::RandomUnavailable => ErrorCode::RandomUnavailable,
            Error::SealFailed => ErrorCode::SealFailed,
            Error::Kdf(_) => ErrorCode::Kdf,
        }
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Error::Invalid(error.into())
    }
}

/// What a database error may say outside the core: SQLite's result code, never its message,
/// which can be text that a trigger planted with raw SQL chose (`RAISE(ABORT, '…')`).
pub(crate) fn database_detail(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => format!("SQLite {:?} ({})", failure.code, failure.extended_code),
        other => other.to_string(),
    }
}
