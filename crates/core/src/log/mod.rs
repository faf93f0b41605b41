//! Logs that are safe to send to a vendor.
//!
//! The core logs through one macro, [`log_safe!`](crate::log_safe), a thin layer over `tracing`
//! that accepts a literal message and fields whose values implement [`LogSafe`]: ids, counts,
//! codes, durations. Patient names, chart text, passwords, keys, one-time codes and tokens have
//! types that do not implement it — and neither does `String` — so logging one does not compile
//! (`crates/core/tests/log_safety/` holds the cases the compiler must refuse). The message is a
//! literal handed to tracing as a plain field, so `"{password}"` in it is printed as written, never
//! filled in. Nothing else in the workspace calls `tracing`'s macros: clippy refuses its level
//! macros (`disallowed-macros` in `clippy.toml`) and a test reads every source file for any other
//! use (`tests::no_code_outside_this_module_calls_tracing`).
//!
//! ```
//! use mamori_core::log_safe;
//! let patient = uuid::Uuid::nil();
//! let started = std::time::Instant::now();
//! log_safe!(info, "chart opened", patient = patient, sections = 9u32, elapsed_ms = started.elapsed());
//! ```
//!
//! Writing the files ([`file`]) is for the binaries: the library and its tests never install a
//! global subscriber.

pub mod file;
mod safe;

#[cfg(test)]
mod tests;

pub use file::{install, LogSettings};
pub use safe::{LogSafe, LoginName};
pub use tracing::level_filters::LevelFilter;

/// What the `log_safe!` macro expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::safe::{safe, SafeValue};
    pub use tracing;
}

/// Logs an event whose every field is [`LogSafe`]:
/// `log_safe!(warn, "unlock failed", user = LoginName::of(&user), code = error)`.
///
/// The level is one of `error`, `warn`, `info`, `debug`, `trace`; the message must be a literal.
#[macro_export]
macro_rules! log_safe {
    (error, $($rest:tt)+) => { $crate::__log_safe_at!($crate::log::__private::tracing::Level::ERROR, $($rest)+) };
    (warn, $($rest:tt)+) => { $crate::__log_safe_at!($crate::log::__private::tracing::Level::WARN, $($rest)+) };
    (info, $($rest:tt)+) => { $crate::__log_safe_at!($crate::log::__private::tracing::Level::INFO, $($rest)+) };
    (debug, $($rest:tt)+) => { $crate::__log_safe_at!($crate::log::__private::tracing::Level::DEBUG, $($rest)+) };
    (trace, $($rest:tt)+) => { $crate::__log_safe_at!($crate::log::__private::tracing::Level::TRACE, $($rest)+) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_safe_at {
    ($level:expr, $message:literal $(, $field:ident = $value:expr)* $(,)?) => {
        $crate::log::__private::tracing::event!(
            $level,
            message = $message
            $(, $field = $crate::log::__private::safe(&$value).as_value())*
        )
    };
}
