//! Second factor at login (TOTP, RFC 6238), offline: the secret lives in the encrypted database,
//! a code is accepted once, and one-time recovery codes are stored hashed.

mod enrollment;
pub mod guard;
mod qr;

pub(crate) use enrollment::{enroll, verify};
pub use enrollment::{Enrollment, SecondFactor, ISSUER, SKEW_STEPS, STEP_SECONDS};
