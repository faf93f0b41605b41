//! Secret values: zeroized on drop, never printed, never cloned or serialized by accident.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Result};

/// A 256-bit symmetric key (database key, key-encryption key, device secret).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Takes a key from a byte slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(array))
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex of the key, in a buffer that is wiped when dropped.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0))
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A password typed by a user.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Fills `buf` from the operating system's random source.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::RandomUnavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_passwords_print_as_redacted() {
        let key = Key32::from_bytes([7u8; 32]);
        let password = Password::new("hunter2-secret");
        assert_eq!(format!("{key:?}"), "[redacted]");
        assert_eq!(format!("{password:?}"), "[redacted]");
        assert_eq!(format!("{password}"), "[redacted]");
    }

    #[test]
    fn random_keys_differ() {
        let a = Key32::random().expect("random");
        let b = Key32::random().expect("random");
        assert_ne!(a.expose(), b.expose());
    }
}
