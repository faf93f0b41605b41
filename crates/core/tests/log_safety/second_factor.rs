// A typed one-time code and a new second factor (TOTP secret, recovery codes) are never log-safe.
use mamori_core::auth::{Enrollment, SecondFactor};

fn login(code: &SecondFactor, enrollment: &Enrollment) {
    mamori_core::log_safe!(warn, "second factor refused", code = code);
    mamori_core::log_safe!(info, "second factor reset", secret = enrollment.secret_base32);
}

fn main() {}
