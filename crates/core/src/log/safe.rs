//! What may appear in a log line: the [`LogSafe`] marker and its few implementations.
//!
//! Every implementation lives in this file, and the trait is sealed, so no other module or crate
//! can declare a type log-safe: adding one is a change to this file that a reviewer sees.
//! Deliberately NOT log-safe: `String` and `str` (any text could be a name or a note),
//! [`crate::secret::Password`], [`crate::secret::Key32`] and the other key types, second-factor
//! codes and enrollments, patients, notes, users (a display name is a person's real name), paths
//! (a home folder names its owner), dates (a birth date identifies a patient), and the narrow
//! numbers the chart keeps measurements in (`u8`, `u16`, `f32`, `f64`: a pulse or a temperature is
//! chart content). Counts and sizes are `u32`/`u64`/`usize`/`i64`.

use std::time::Duration;

use tracing::field::DisplayValue;
use uuid::Uuid;

use crate::audit::{Action, Outcome};
use crate::domain::{NoteKind, NoteStatus, Role, User};
use crate::policy::{Access, Section};

mod sealed {
    /// Only `log::safe` can name this trait, so only it can implement [`super::LogSafe`].
    pub trait Sealed {}
}

/// A value that may be written to a log file that leaves the clinic: an id, a count, a code, a
/// duration. Patient data, chart text and secrets never implement it, so the `log_safe!` macro
/// refuses them at compile time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not log-safe: it may hold patient data, chart text or a secret",
    label = "this value may not be logged",
    note = "log ids, counts, codes and durations instead; `mamori_core::log::safe` lists what is log-safe"
)]
pub trait LogSafe: sealed::Sealed {
    /// The value as it is written to the log.
    #[doc(hidden)]
    fn log_value(&self) -> SafeValue;
}

/// A log-safe value, ready for a tracing field. Only this module makes them.
#[doc(hidden)]
pub struct SafeValue(Repr);

enum Repr {
    Unsigned(u64),
    Signed(i64),
    Flag(bool),
    /// Codes and ids are written bare (`kind=note`), not quoted.
    Code(DisplayValue<&'static str>),
    /// Text made here from an id (a UUID) or a validated login name, never from input text.
    Id(DisplayValue<String>),
    Absent,
}

impl Repr {
    fn code(code: &'static str) -> Self {
        Repr::Code(tracing::field::display(code))
    }

    fn id(id: String) -> Self {
        Repr::Id(tracing::field::display(id))
    }
}

impl SafeValue {
    /// The value as tracing records it.
    pub fn as_value(&self) -> &dyn tracing::Value {
        match &self.0 {
            Repr::Unsigned(n) => n,
            Repr::Signed(n) => n,
            Repr::Flag(b) => b,
            Repr::Code(code) => code,
            Repr::Id(id) => id,
            Repr::Absent => &tracing::field::Empty,
        }
    }
}

/// Called by `log_safe!` for every field; the `LogSafe` bound is the whole rule.
#[doc(hidden)]
pub fn safe<T: LogSafe + ?Sized>(value: &T) -> SafeValue {
    value.log_value()
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl LogSafe for $t {
            fn log_value(&self) -> SafeValue {
                SafeValue(Repr::Unsigned(u64::try_from(*self).unwrap_or(u64::MAX)))
            }
        }
    )*};
}
unsigned!(u32, u64, usize);

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl LogSafe for $t {
            fn log_value(&self) -> SafeValue {
                SafeValue(Repr::Signed(i64::from(*self)))
            }
        }
    )*};
}
signed!(i32, i64);

impl sealed::Sealed for bool {}
impl LogSafe for bool {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::Flag(*self))
    }
}

/// Program text: literals and the codes the core defines (`Error::code`, entity kinds). A
/// `&'static str` cannot be made from text typed at run time except by leaking a `String` on
/// purpose, which review refuses.
impl sealed::Sealed for &'static str {}
impl LogSafe for &'static str {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(self))
    }
}

/// Record ids are random UUIDs: they name a row, not a person.
impl sealed::Sealed for Uuid {}
impl LogSafe for Uuid {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::id(self.hyphenated().to_string()))
    }
}

/// Durations are logged in whole milliseconds (name the field `..._ms`).
impl sealed::Sealed for Duration {}
impl LogSafe for Duration {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::Unsigned(u64::try_from(self.as_millis()).unwrap_or(u64::MAX)))
    }
}

/// An error is logged as its stable code only: messages name folders, user names and ids.
impl sealed::Sealed for crate::Error {}
impl LogSafe for crate::Error {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(self.code().as_str()))
    }
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl LogSafe for $t {
            fn log_value(&self) -> SafeValue {
                SafeValue(Repr::code(self.as_str()))
            }
        }
    )*};
}
coded!(Role, Section, Access, NoteStatus);

impl sealed::Sealed for NoteKind {}
impl LogSafe for NoteKind {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(match self {
            NoteKind::Medical => "medical",
            NoteKind::Nursing => "nursing",
        }))
    }
}

impl sealed::Sealed for Action {}
impl LogSafe for Action {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(match self {
            Action::Read => "read",
            Action::Search => "search",
            Action::Write => "write",
            Action::Sign => "sign",
            Action::Amend => "amend",
            Action::Export => "export",
            Action::Print => "print",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Lock => "lock",
            Action::LoginFailed => "login_failed",
            Action::Denied => "denied",
            Action::BreakGlass => "break_glass",
            Action::Tampering => "tampering",
            Action::Admin => "admin",
        }))
    }
}

impl sealed::Sealed for crate::hardening::Refused {}
impl LogSafe for crate::hardening::Refused {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(match self {
            crate::hardening::Refused::CoreDumpLimit => "core_dump_limit",
            crate::hardening::Refused::NotDumpable => "not_dumpable",
        }))
    }
}

impl sealed::Sealed for Outcome {}
impl LogSafe for Outcome {
    fn log_value(&self) -> SafeValue {
        SafeValue(Repr::code(match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }))
    }
}

impl<T: LogSafe> sealed::Sealed for Option<T> {}
impl<T: LogSafe> LogSafe for Option<T> {
    fn log_value(&self) -> SafeValue {
        self.as_ref().map_or(SafeValue(Repr::Absent), LogSafe::log_value)
    }
}

impl<T: LogSafe + ?Sized> sealed::Sealed for &T {}
impl<T: LogSafe + ?Sized> LogSafe for &T {
    fn log_value(&self) -> SafeValue {
        (**self).log_value()
    }
}

/// A staff member's login name (`doctor`, `k.sato`), the one piece of a user that is logged.
///
/// Why it is safe: login names identify staff accounts, not patients; they are 2–32 lower-case
/// ASCII letters, digits, `.`, `_` or `-` (so never a name in kanji or kana), the audit log and the
/// change log already carry them, and a vendor needs them to tell "the nurse is locked out" from
/// "the doctor's keyring fails". What is NOT logged: the display name (守 太郎, a real person's
/// name), and a name typed at a login that matches no account — people type their password into
/// the user field, so a name reaches the log only once the key file or the user table lists it.
pub struct LoginName(Option<String>);

impl LoginName {
    /// The login name of a user the store or key file holds.
    pub fn of(user: &User) -> Self {
        Self::listed(&user.name)
    }

    /// A name the core has found in the key file or the user table (never raw input). A name
    /// that is not a valid login name is logged as absent.
    pub(crate) fn listed(name: &str) -> Self {
        let valid = (2..=32).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        Self(valid.then(|| name.to_string()))
    }
}

impl sealed::Sealed for LoginName {}
impl LogSafe for LoginName {
    fn log_value(&self) -> SafeValue {
        self.0.clone().map_or(SafeValue(Repr::Absent), |name| SafeValue(Repr::id(name)))
    }
}
