//! Authenticated encryption (XChaCha20-Poly1305) of small secrets. The associated data binds a
//! sealed value to where it belongs (format version, device, user), so a copy moved elsewhere fails.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::secret::{fill_random, Key32};
use crate::{Error, Result};

pub const NONCE_LEN: usize = 24;

/// Ciphertext with the nonce it was sealed under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

pub fn seal(key: &Key32, plaintext: &[u8], associated_data: &[u8]) -> Result<Sealed> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let ciphertext = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: associated_data })
        .map_err(|_| Error::SealFailed)?;
    Ok(Sealed { nonce, ciphertext })
}

/// Opens a sealed value; `None` when the key is wrong or the bytes or associated data were altered.
pub fn open(key: &Key32, sealed: &Sealed, associated_data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    open_parts(key, &sealed.nonce, &sealed.ciphertext, associated_data)
}

/// `open` for a nonce and ciphertext read in place (a stored record), without copying them first.
pub fn open_parts(
    key: &Key32,
    nonce: &[u8; NONCE_LEN],
    ciphertext: &[u8],
    associated_data: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher.decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad: associated_data }).ok().map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_value_opens_only_with_same_key_and_associated_data() {
        let key = Key32::random().expect("random");
        let other = Key32::random().expect("random");
        let sealed = seal(&key, b"secret", b"ad-1").expect("seal");
        assert_eq!(open(&key, &sealed, b"ad-1").as_deref().map(Vec::as_slice), Some(&b"secret"[..]));
        assert!(open(&other, &sealed, b"ad-1").is_none());
        assert!(open(&key, &sealed, b"ad-2").is_none());
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(open(&key, &flipped, b"ad-1").is_none());
    }
}
