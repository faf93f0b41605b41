//! The clinic root key: made at the clinic's first setup, it signs the first link (the first
//! administrator) and is then kept on no device — only in the recovery kit, printed once. Its
//! public key is the clinic's identity, pinned by every user.

use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use super::statement::Hex32;
use crate::secret::Key32;
use crate::Result;

pub struct RootKey {
    signing: SigningKey,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey([redacted])")
    }
}

impl RootKey {
    pub fn generate() -> Result<Self> {
        Ok(Self { signing: SigningKey::from_bytes(Key32::random()?.expose()) })
    }

    pub fn public(&self) -> Hex32 {
        self.signing.verifying_key().to_bytes()
    }

    pub(crate) fn signer(&self) -> &SigningKey {
        &self.signing
    }

    /// What to print for the clinic's director: the secret in groups a person can type back,
    /// and the clinic's fingerprint to check it against.
    pub fn recovery_kit(&self) -> RecoveryKit {
        let secret = Zeroizing::new(hex::encode_upper(self.signing.to_bytes()));
        let groups: Vec<&str> = secret.as_bytes().chunks(8).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        RecoveryKit { secret: Zeroizing::new(groups.join("-")), clinic_fingerprint: fingerprint(&self.public()) }
    }
}

/// The printed recovery kit: shown once at setup, never stored by Mamori.
pub struct RecoveryKit {
    pub secret: Zeroizing<String>,
    pub clinic_fingerprint: String,
}

impl std::fmt::Debug for RecoveryKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryKit({}, [redacted])", self.clinic_fingerprint)
    }
}

/// A public key as people compare it: the first 16 bytes of its hex, in groups of four.
pub fn fingerprint(key: &Hex32) -> String {
    let hex = hex::encode_upper(&key[..16]);
    hex.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect::<Vec<_>>().join(" ")
}
