use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::secret::fill_random;
use crate::{Error, Result};

pub const ISSUER: &str = "Mamori";
pub const STEP_SECONDS: u64 = 30;
/// Codes from one step before or after now are accepted (clock drift of up to 30 s).
pub const SKEW_STEPS: u16 = 1;
/// Digits in an authenticator app's code.
pub const TOTP_DIGITS: u8 = 6;
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// What the user types as the second factor.
#[derive(Zeroize, ZeroizeOnDrop)]
pub enum SecondFactor {
    /// The six digits from an authenticator app.
    Totp(String),
    /// One of the printed one-time recovery codes.
    RecoveryCode(String),
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecondFactor([redacted])")
    }
}

impl SecondFactor {
    /// What was typed in the one field for the second factor, read the same way by every front
    /// end: six digits are the authenticator app's code, anything else is a recovery code.
    /// Spaces (apps show "123 456") and full-width characters (typed with a Japanese IME) are
    /// folded first.
    pub fn parse(typed: &str) -> Self {
        let folded: Zeroizing<String> = Zeroizing::new(typed.nfkc().collect());
        let digits: Zeroizing<String> = Zeroizing::new(folded.chars().filter(|c| !c.is_whitespace()).collect());
        if digits.len() == usize::from(TOTP_DIGITS) && digits.bytes().all(|b| b.is_ascii_digit()) {
            SecondFactor::Totp(digits.to_string())
        } else {
            SecondFactor::RecoveryCode(folded.trim().to_string())
        }
    }
}

/// A user's new second factor, shown once: the secret for an authenticator app (as text, an
/// otpauth:// URI and a QR code) and the recovery codes to print.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Enrollment {
    pub user: String,
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Enrollment({}, [redacted])", self.user)
    }
}

fn totp(user: &str, secret: &[u8]) -> Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(TOTP_DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(user)
        .build()
        .map_err(|_| Error::InvalidState("the second factor could not be set up (damaged secret or invalid user name)"))
}

fn random_code() -> Result<String> {
    let mut bytes = [0u8; 10];
    fill_random(&mut bytes)?;
    let chars: String = bytes.iter().map(|b| BASE32[usize::from(b % 32)] as char).collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

fn recovery_hash(salt: &[u8], code: &str) -> String {
    let normalized: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    let mut hasher = Sha256::new();
    hasher.update(b"mamori-recovery-v1");
    hasher.update(salt);
    hasher.update(normalized.as_bytes());
    hex::encode(hasher.finalize())
}

/// A user's second factor as this device keeps it: inside the user's own sealed key-file entry
/// (`vault::entry`), so nobody who merely opens the database can read the TOTP secret.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SecondFactorState {
    #[serde(with = "hex::serde")]
    secret: Vec<u8>,
    /// The newest time step accepted, so a code is accepted only once.
    last_step: i64,
    #[serde(with = "hex::serde")]
    recovery_salt: Vec<u8>,
    /// Hex SHA-256 hashes of the unused recovery codes.
    recovery_hashes: Vec<String>,
}

impl SecondFactorState {
    /// A copy for sealing into a key-file entry (the type is deliberately not `Clone`).
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            secret: self.secret.clone(),
            last_step: self.last_step,
            recovery_salt: self.recovery_salt.clone(),
            recovery_hashes: self.recovery_hashes.clone(),
        }
    }
}

impl fmt::Debug for SecondFactorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecondFactorState([redacted])")
    }
}

/// Gives `user` a new TOTP secret and recovery codes: what to show them once, and what to keep.
pub(crate) fn enroll(user: &str) -> Result<(Enrollment, SecondFactorState)> {
    let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
    fill_random(secret.as_mut())?;
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let totp = totp(user, secret.as_ref())?;
    let recovery_codes = (0..RECOVERY_CODES).map(|_| random_code()).collect::<Result<Vec<_>>>()?;
    let recovery_hashes: Vec<String> = recovery_codes.iter().map(|c| recovery_hash(&salt, c)).collect();
    let otpauth_uri = totp.to_url().map_err(|_| Error::InvalidState("the otpauth URI could not be made"))?;
    let enrollment =
        Enrollment { user: user.to_string(), secret_base32: totp.secret().to_base32(), otpauth_uri, recovery_codes };
    let state =
        SecondFactorState { secret: secret.to_vec(), last_step: -1, recovery_salt: salt.to_vec(), recovery_hashes };
    Ok((enrollment, state))
}

/// Accepts a code once: a TOTP code of a step newer than the last accepted one, or an unused
/// recovery code (which is then used up). The caller saves `state` in the same locked update
/// of the key file that read it, so two processes cannot both accept one code.
pub(crate) fn verify(
    state: &mut SecondFactorState,
    user: &str,
    factor: &SecondFactor,
    now: DateTime<Utc>,
) -> Result<()> {
    match factor {
        SecondFactor::Totp(code) => {
            let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            let now_secs = u64::try_from(now.timestamp()).unwrap_or(0);
            let step = totp(user, &state.secret)?.check(&digits, now_secs).ok_or(Error::WrongSecondFactor)?;
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            if step <= state.last_step {
                return Err(Error::WrongSecondFactor);
            }
            state.last_step = step;
        }
        SecondFactor::RecoveryCode(code) => {
            let hash = recovery_hash(&state.recovery_salt, code);
            let before = state.recovery_hashes.len();
            state.recovery_hashes.retain(|h| *h != hash);
            if state.recovery_hashes.len() == before {
                return Err(Error::WrongSecondFactor);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn state_of(user: &str) -> (Enrollment, SecondFactorState) {
        enroll(user).expect("enroll")
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("time")
    }

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; our 6-digit codes are their last six).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890".to_vec();
        let rfc = Builder::new().with_digits(8).with_secret(secret).with_step_duration(30).build_noncompliant();
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc.generate(time).to_string(), code, "t={time}");
        }
    }

    #[test]
    fn an_authenticator_app_set_up_from_the_uri_produces_accepted_codes_once() {
        let (enrollment, mut state) = state_of("doctor");
        assert!(enrollment.otpauth_uri.starts_with("otpauth://totp/Mamori:doctor?"));
        let app = Totp::from_url(&enrollment.otpauth_uri).expect("an authenticator parses the URI");
        let now = at(1_800_000_000);
        let code = app.generate(1_800_000_000).to_string();
        verify(&mut state, "doctor", &SecondFactor::Totp(code.clone()), now).expect("the code works");
        assert!(
            matches!(verify(&mut state, "doctor", &SecondFactor::Totp(code), now), Err(Error::WrongSecondFactor)),
            "replay refused"
        );
        assert!(matches!(
            verify(&mut state, "doctor", &SecondFactor::Totp("000000".into()), now),
            Err(Error::WrongSecondFactor)
        ));
    }

    #[test]
    fn codes_from_one_step_of_drift_are_accepted_and_older_ones_refused() {
        let (enrollment, mut state) = state_of("nurse");
        let app = Totp::from_url(&enrollment.otpauth_uri).expect("uri");
        let now = 1_800_000_000u64;
        let late = app.generate(now - STEP_SECONDS).to_string();
        verify(&mut state, "nurse", &SecondFactor::Totp(late), at(now as i64)).expect("30 s behind is fine");
        let early = app.generate(now + STEP_SECONDS).to_string();
        verify(&mut state, "nurse", &SecondFactor::Totp(early), at(now as i64)).expect("30 s ahead is fine");
        let stale = app.generate(now - 3 * STEP_SECONDS).to_string();
        assert!(verify(&mut state, "nurse", &SecondFactor::Totp(stale), at(now as i64)).is_err());
    }

    #[test]
    fn a_recovery_code_works_once_and_is_stored_only_as_a_hash() {
        let (enrollment, mut state) = state_of("admin");
        let code = enrollment.recovery_codes[3].clone();
        let stored = serde_json::to_string(&state).expect("json");
        assert!(!stored.contains(&code) && !stored.contains(&code.replace('-', "")));
        let now = at(1_800_000_000);
        verify(&mut state, "admin", &SecondFactor::RecoveryCode(code.to_lowercase()), now).expect("first use");
        assert!(verify(&mut state, "admin", &SecondFactor::RecoveryCode(code), now).is_err(), "second use refused");
    }

    fn read(typed: &str) -> (&'static str, String) {
        match &SecondFactor::parse(typed) {
            SecondFactor::Totp(code) => ("totp", code.clone()),
            SecondFactor::RecoveryCode(code) => ("recovery", code.clone()),
        }
    }

    #[test]
    fn six_digits_are_an_authenticator_code_and_anything_else_a_recovery_code() {
        assert_eq!(read("123456"), ("totp", "123456".into()));
        assert_eq!(read(" 123 456\n"), ("totp", "123456".into()), "as the app shows it");
        assert_eq!(read("１２３４５６"), ("totp", "123456".into()), "typed with the IME on");
        assert_eq!(read("12345"), ("recovery", "12345".into()));
        assert_eq!(read("1234567"), ("recovery", "1234567".into()));
        assert_eq!(read(" abcde-fghij "), ("recovery", "abcde-fghij".into()));
        assert_eq!(read("ＡＢＣＤＥ－ＦＧＨＩＪ"), ("recovery", "ABCDE-FGHIJ".into()));
    }

    #[test]
    fn a_recovery_code_typed_with_the_ime_on_still_logs_in() {
        let (enrollment, mut state) = state_of("nurse");
        let full_width: String = enrollment.recovery_codes[0]
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).expect("full-width form"))
            .collect();
        verify(&mut state, "nurse", &SecondFactor::parse(&full_width), at(1_800_000_000)).expect("recovery code");
    }
}
