//! Second factor at login (TOTP, RFC 6238), offline: the secret lives in the user's own sealed
//! key-file entry, a code is accepted once, and one-time recovery codes are stored hashed.

mod enrollment;
pub mod guard;
mod invitation;
mod qr;
pub use qr::{qr_svg_of, qr_text_of};

pub use enrollment::SecondFactorState;
pub(crate) use enrollment::{enroll, verify};
pub use enrollment::{Enrollment, SecondFactor, ISSUER, SKEW_STEPS, STEP_SECONDS};
pub(crate) use invitation::{as_password as invitation_password, invitation_key, new_code, reset_hash};
pub use invitation::{Invitation, SecondFactorReset};
