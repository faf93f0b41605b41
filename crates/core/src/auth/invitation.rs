//! One-time codes an administrator hands a person: an invitation (their first login, where they
//! set their own password, enroll their own authenticator and make their own key seed) and a
//! second-factor reset (a new authenticator, enrolled in their own session). The administrator
//! sees the code, never what the person then chooses.
//!
//! A code is 100 random bits, written as four groups of five base32 letters and digits. Typed
//! back, spaces, dashes, case and full-width forms do not matter.

use std::fmt;

use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::secret::{fill_random, Password};
use crate::Result;

const BASE32: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GROUPS: usize = 4;
const GROUP_LEN: usize = 5;

/// An invitation, shown once to the administrator who made it, to hand over in person.
pub struct Invitation {
    pub user: String,
    pub code: Zeroizing<String>,
}

/// A second-factor reset code, shown once to the administrator, to hand over in person.
pub struct SecondFactorReset {
    pub user: String,
    pub code: Zeroizing<String>,
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invitation({}, [redacted])", self.user)
    }
}

impl fmt::Debug for SecondFactorReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecondFactorReset({}, [redacted])", self.user)
    }
}

/// A fresh code: 100 bits from the OS.
pub(crate) fn new_code() -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; GROUPS * GROUP_LEN]);
    fill_random(bytes.as_mut())?;
    let chars: Zeroizing<Vec<u8>> = Zeroizing::new(bytes.iter().map(|b| BASE32[usize::from(b % 32)]).collect());
    let groups: Vec<&str> = chars.chunks(GROUP_LEN).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    Ok(Zeroizing::new(groups.join("-")))
}

/// The code as typed, folded: full-width to ASCII, upper case, letters and digits only.
pub(crate) fn normalize(typed: &str) -> Zeroizing<String> {
    let folded: Zeroizing<String> = Zeroizing::new(typed.nfkc().collect());
    Zeroizing::new(folded.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect())
}

/// The key an invitation code derives for `user`: it accepts the invitation in the chain.
pub(crate) fn invitation_key(user: &str, code: &str) -> SigningKey {
    let code = normalize(code);
    let mut seed = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(b"mamori invitation key v1"), code.as_bytes())
        .expand(user.as_bytes(), seed.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    SigningKey::from_bytes(&seed)
}

/// What the chain records of a reset code: a hash naming the user.
pub(crate) fn reset_hash(user: &str, code: &str) -> [u8; 32] {
    let code = normalize(code);
    Sha256::new()
        .chain_update(b"mamori second factor reset v1\0")
        .chain_update(user.as_bytes())
        .chain_update(b"\0")
        .chain_update(code.as_bytes())
        .finalize()
        .into()
}

/// The code in the role of a password for the invitation's key-file entry (Argon2id over it).
pub(crate) fn as_password(code: &str) -> Password {
    Password::new(normalize(code).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_four_groups_of_five_and_reads_back_however_it_is_typed() {
        let code = new_code().expect("code");
        assert_eq!(code.len(), 23);
        assert_eq!(code.split('-').count(), 4);
        assert_ne!(*code, *new_code().expect("code"));
        let full_width: String = code
            .to_lowercase()
            .chars()
            .map(|c| match c {
                '-' => ' ',
                c => char::from_u32(c as u32 - 0x21 + 0xFF01).expect("full-width form"),
            })
            .collect();
        assert_eq!(
            invitation_key("nurse", &code).verifying_key(),
            invitation_key("nurse", &full_width).verifying_key()
        );
        assert_eq!(reset_hash("nurse", &code), reset_hash("nurse", &full_width));
        assert_ne!(invitation_key("nurse", &code).verifying_key(), invitation_key("doctor", &code).verifying_key());
        assert_ne!(reset_hash("nurse", &code), reset_hash("doctor", &code));
        assert_eq!(format!("{:?}", Invitation { user: "nurse".into(), code }), "Invitation(nurse, [redacted])");
    }
}
