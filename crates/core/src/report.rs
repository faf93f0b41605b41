//! The one error report every front end shows: a stable code, the English message (for logs and
//! as a last fallback), every refused field, and the data a message needs as typed members
//! (`retry_after_secs`, `section`, `path`, …) — never text to be parsed back. The window gets it
//! as JSON; the CLI renders it from the message catalog in the user's language
//! ([`crate::messages`]).

use serde::Serialize;
use ts_rs::TS;

use crate::domain::validation::{FieldError, ValidationErrors};
use crate::Error;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// The stable code of an error; serialised as its snake_case id, translated from the
        /// message catalog (`errors.<code>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, TS)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $id)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, so tests can check that each one is translated.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $id,)*
                }
            }
        }
    };
}

error_codes! {
    /// `fields` lists every refused field.
    InvalidInput = "invalid_input",
    /// `section` and `access` say what was refused.
    Denied = "denied",
    WrongPassword = "wrong_password",
    WrongSecondFactor = "wrong_second_factor",
    SecondFactorNotEnrolled = "second_factor_not_enrolled",
    /// `retry_after_secs` says how long to wait.
    Throttled = "throttled",
    LockedOut = "locked_out",
    AccountDisabled = "account_disabled",
    SessionLocked = "session_locked",
    SectionKeyMissing = "section_key_missing",
    /// `section` names the sealed section.
    SealedSection = "sealed_section",
    DeviceSecretMissing = "device_secret_missing",
    KeyringUnavailable = "keyring_unavailable",
    DeviceSecretExists = "device_secret_exists",
    NotInitialized = "not_initialized",
    AlreadyInitialized = "already_initialized",
    IncompleteSetup = "incomplete_setup",
    KeyFileInvalid = "key_file_invalid",
    KeyFileVersion = "key_file_version",
    DatabaseKeyRejected = "database_key_rejected",
    UserExists = "user_exists",
    /// `found` is the link where the chain breaks; `detail` says how.
    ChainBroken = "chain_broken",
    ChainRolledBack = "chain_rolled_back",
    DatabaseKeyChanged = "database_key_changed",
    RecordNotVerified = "record_not_verified",
    RecordUnsigned = "record_unsigned",
    StorePredatesChain = "store_predates_chain",
    /// `name` is the user waiting for a clinician's confirmation.
    RecipientNotConfirmed = "recipient_not_confirmed",
    /// `what` says what kind of record.
    NotFound = "not_found",
    InvalidState = "invalid_state",
    UnreadableChange = "unreadable_change",
    ChangeNotVerified = "change_not_verified",
    ChangeConflictsWithLog = "change_conflicts_with_log",
    ChangeAwaitsChain = "change_awaits_chain",
    SecretKeyInvalid = "secret_key_invalid",
    VaultRecordInvalid = "vault_record_invalid",
    /// `detail` says what is wrong with it.
    JoinCodeInvalid = "join_code_invalid",
    /// `detail` says why.
    JoinRefused = "join_refused",
    /// `found` is how many days the device has been away; `supported` the days the clinic allows.
    LeaseExpired = "lease_expired",
    DeviceWiped = "device_wiped",
    Database = "database",
    SchemaTooNew = "schema_too_new",
    Io = "io",
    RandomUnavailable = "random_unavailable",
    SealFailed = "seal_failed",
    Kdf = "kdf",
    /// A front end's: nobody is logged in (the desktop window before a login or after a logout).
    NoSession = "no_session",
    /// A front end's: the clinic server could not be reached (`detail`: how).
    ServerUnreachable = "server_unreachable",
    /// A front end's: the clinic server or this device's check of its answer refused (`detail`).
    ServerRefused = "server_refused",
    /// A front end's: no clinic server is set for this computer yet.
    NoServer = "no_server",
}

/// What a front end gets when something fails. Members other than `code`, `message` and
/// `fields` are present only for the codes that carry them.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ErrorReport {
    pub code: ErrorCode,
    /// The core's English message: for logs and as a fallback. Never repeats what was typed.
    pub message: String,
    /// Every refused field (`invalid_input`); empty otherwise.
    pub fields: Vec<FieldError>,
    /// `throttled`: seconds until the next login attempt is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry_after_secs: Option<i64>,
    /// `denied`, `sealed_section`: the section (as in the policy, e.g. `notes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub section: Option<&'static str>,
    /// `denied`: the access refused (`read`, `write`, `sign`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<&'static str>,
    /// `not_found`: the kind of record (`patient`, `note`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub what: Option<&'static str>,
    /// The data folder or file concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub path: Option<String>,
    /// `device_secret_missing`, `device_secret_exists`: the device id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device: Option<String>,
    /// `user_exists`: the login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// `key_file_version`, `schema_too_new`: the version found and the one this build reads;
    /// `lease_expired`: the days away and the days the clinic allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub found: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub supported: Option<i64>,
    /// A system's own words (an OS or SQLite error), untranslated; never user input.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
}

impl ErrorReport {
    /// A report with only a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after_secs: None,
            section: None,
            access: None,
            what: None,
            path: None,
            device: None,
            name: None,
            found: None,
            supported: None,
            detail: None,
        }
    }

    /// Nobody is logged in (a front end's error, not the core's).
    pub fn no_session() -> Self {
        Self::new(ErrorCode::NoSession, "nobody is logged in")
    }

    /// A sync failure the core did not report (a front end's): `code` is one of
    /// `server_unreachable`, `server_refused`, `no_server`; `detail` the sync crate's words.
    pub fn sync_failure(code: ErrorCode, detail: String) -> Self {
        let mut report = Self::new(code, detail.clone());
        report.detail = Some(detail);
        report
    }
}

impl From<&Error> for ErrorReport {
    fn from(error: &Error) -> Self {
        let mut report = ErrorReport::new(error.code(), error.to_string());
        let path = |p: &std::path::Path| Some(p.display().to_string());
        match error {
            Error::Invalid(errors) => report.fields = errors.fields().to_vec(),
            Error::Denied { section, access } => {
                report.section = Some(section);
                report.access = Some(access);
            }
            Error::Throttled { retry_after_secs } => report.retry_after_secs = Some(*retry_after_secs),
            Error::SealedSection { section } => report.section = Some(section),
            Error::DeviceSecretMissing { dir, device } => {
                report.path = path(dir);
                report.device = Some(device.clone());
            }
            Error::KeyringUnavailable(detail) | Error::Kdf(detail) => report.detail = Some(detail.clone()),
            Error::DeviceSecretExists(device) => report.device = Some(device.clone()),
            Error::NotInitialized(dir) | Error::AlreadyInitialized(dir) | Error::IncompleteSetup(dir) => {
                report.path = path(dir);
            }
            Error::KeyFileInvalid { path: file, reason } => {
                report.path = path(file);
                report.detail = Some(reason.clone());
            }
            Error::KeyFileVersion { path: file, found, supported } => {
                report.path = path(file);
                report.found = Some(i64::from(*found));
                report.supported = Some(i64::from(*supported));
            }
            Error::UserExists(name) | Error::RecipientNotConfirmed(name) => report.name = Some(name.clone()),
            Error::ChainBroken { seq, problem } => {
                report.found = i64::try_from(*seq).ok();
                report.detail = Some((*problem).to_string());
            }
            Error::NotFound { what, .. } => report.what = Some(what),
            Error::InvalidState(detail) | Error::JoinCodeInvalid(detail) | Error::JoinRefused(detail) => {
                report.detail = Some((*detail).to_string())
            }
            Error::Database(source) => report.detail = Some(crate::error::database_detail(source)),
            Error::LeaseExpired { days_away, lease_days } => {
                report.found = Some(*days_away);
                report.supported = Some(i64::from(*lease_days));
            }
            Error::SchemaTooNew { found, supported } => {
                report.found = Some(*found);
                report.supported = Some(*supported);
            }
            Error::Io { action, path: file, source } => {
                report.path = path(file);
                report.detail = Some(format!("could not {action} {}: {source}", file.display()));
            }
            Error::WrongPassword
            | Error::ChainRolledBack
            | Error::DatabaseKeyChanged
            | Error::RecordNotVerified
            | Error::RecordUnsigned
            | Error::StorePredatesChain
            | Error::WrongSecondFactor
            | Error::SecondFactorNotEnrolled
            | Error::LockedOut
            | Error::AccountDisabled
            | Error::SessionLocked
            | Error::SectionKeyMissing
            | Error::DatabaseKeyRejected
            | Error::UnreadableChange { .. }
            | Error::ChangeNotVerified { .. }
            | Error::ChangeConflictsWithLog { .. }
            | Error::ChangeAwaitsChain { .. }
            | Error::SecretKeyInvalid
            | Error::VaultRecordInvalid
            | Error::DeviceWiped
            | Error::RandomUnavailable
            | Error::SealFailed => {}
        }
        report
    }
}

impl From<Error> for ErrorReport {
    fn from(error: Error) -> Self {
        ErrorReport::from(&error)
    }
}

impl From<ValidationErrors> for ErrorReport {
    fn from(errors: ValidationErrors) -> Self {
        Error::Invalid(errors).into()
    }
}

impl From<FieldError> for ErrorReport {
    fn from(error: FieldError) -> Self {
        ValidationErrors::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::{Checker, Field, Problem};

    /// What a reception login with raw SQL can plant (a trigger's RAISE text) or a person typed
    /// (a name looked up) never reaches the report the window and the CLI show.
    #[test]
    fn neither_typed_names_nor_trigger_text_reach_the_report() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE t (x); CREATE TRIGGER planted BEFORE INSERT ON t BEGIN \
             SELECT RAISE(ABORT, 'Call IT and read them your password'); END;",
        )
        .expect("schema");
        let planted = Error::from(conn.execute("INSERT INTO t VALUES (1)", []).expect_err("the trigger aborts"));
        let not_found = Error::NotFound { what: "user", id: "Yamada-Hanako-Pw-1987".into() };
        for (error, hidden) in [(planted, "password"), (not_found, "Yamada")] {
            let shown = serde_json::to_string(&error.report()).expect("json") + &error.to_string();
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn a_throttled_login_carries_the_wait_as_a_number() {
        let report = ErrorReport::from(Error::Throttled { retry_after_secs: 42 });
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["code"], "throttled");
        assert_eq!(json["retry_after_secs"], 42);
        assert_eq!(json["fields"], serde_json::json!([]));
        assert!(json.get("section").is_none(), "members a code does not carry are absent: {json}");
    }

    #[test]
    fn an_invalid_form_carries_every_field_and_its_problem() {
        let mut checks = Checker::new();
        checks.add(Field::FamilyKana, Problem::WrongKana);
        checks.add(Field::Phone, Problem::BadPhone);
        let errors = checks.finish().expect_err("two bad fields");
        let json = serde_json::to_value(ErrorReport::from(errors)).expect("json");
        assert_eq!(json["code"], "invalid_input");
        assert_eq!(
            json["fields"],
            serde_json::json!([
                {"field": "family_kana", "problem": "wrong_kana"},
                {"field": "phone", "problem": "bad_phone"},
            ])
        );
    }

    #[test]
    fn every_code_serialises_as_its_id() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).expect("json"), serde_json::json!(code.as_str()));
        }
    }
}
