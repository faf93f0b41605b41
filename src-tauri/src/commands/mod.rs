//! The IPC commands, by screen. Each is a short adapter: take the arguments, call the core on the
//! window's session, return the core's answer. Every one is `async` so the window's main thread
//! never waits on Argon2id or the disk.

pub mod admin;
pub mod chart;
pub mod front_desk;
pub mod session;

use mamori_core::auth::SecondFactor;

/// Six digits are an authenticator code; anything else typed in that field is a recovery code.
fn second_factor(code: String) -> SecondFactor {
    let code = code.trim().to_string();
    if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        SecondFactor::Totp(code)
    } else {
        SecondFactor::RecoveryCode(code)
    }
}
