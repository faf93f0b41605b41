//! Second factor at login (TOTP, RFC 6238), offline: the secret lives in the user's own sealed
//! key-file entry, a code is accepted once, and one-time recovery codes are stored hashed.

mod enrollment;
pub mod guard;
mod qr;

pub use enrollment::SecondFactorState;
pub(crate) use enrollment::{enroll, forget_stored, store_reset, take_stored, verify};
pub use enrollment::{Enrollment, SecondFactor, ISSUER, SKEW_STEPS, STEP_SECONDS};
