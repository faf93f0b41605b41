//! From a password and the device secret to a user's key-encryption key (KEK):
//! `KEK = HKDF-SHA256(salt = device secret, ikm = Argon2id(password, salt), info = user)`.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::{fill_random, Key32, Password};
use crate::{Error, Result};

/// OWASP's Argon2id floor (2024 cheat sheet): 19 MiB memory, 2 passes, 1 lane.
pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
pub const MIN_PASSES: u32 = 2;
/// Upper bounds, so a crafted key file cannot make an unlock take minutes or gigabytes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_PASSES: u32 = 16;
const MAX_LANES: u32 = 8;

/// Argon2id cost and salt for one user's wrapped key; stored in the key file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
    #[serde(with = "hex::serde")]
    pub salt: [u8; 16],
}

impl KdfParams {
    /// Today's default: 64 MiB, 3 passes (about 150 ms here), above OWASP's floor.
    pub fn recommended() -> Result<Self> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        Ok(Self { memory_kib: 64 * 1024, passes: 3, lanes: 1, salt })
    }

    /// Refuses costs below OWASP's floor or absurdly high ones.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.memory_kib < MIN_MEMORY_KIB || self.passes < MIN_PASSES || self.lanes == 0 {
            return Err("password hashing parameters are below the required strength".into());
        }
        if self.memory_kib > MAX_MEMORY_KIB || self.passes > MAX_PASSES || self.lanes > MAX_LANES {
            return Err("password hashing parameters are out of range".into());
        }
        Ok(())
    }
}

pub fn derive_kek(password: &Password, params: &KdfParams, device_secret: &Key32, user: &str) -> Result<Key32> {
    params.check().map_err(Error::Kdf)?;
    let argon_params =
        Params::new(params.memory_kib, params.passes, params.lanes, Some(32)).map_err(|e| Error::Kdf(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut stretched = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.expose().as_bytes(), &params.salt, stretched.as_mut())
        .map_err(|e| Error::Kdf(e.to_string()))?;

    let hkdf = Hkdf::<Sha256>::new(Some(device_secret.expose()), stretched.as_ref());
    let mut kek = [0u8; 32];
    let info = format!("mamori kek v1\0{user}");
    hkdf.expand(info.as_bytes(), &mut kek).map_err(|e| Error::Kdf(e.to_string()))?;
    Ok(Key32::from_bytes(kek))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weak_but_valid() -> KdfParams {
        KdfParams { memory_kib: MIN_MEMORY_KIB, passes: MIN_PASSES, lanes: 1, salt: [1; 16] }
    }

    #[test]
    fn kek_depends_on_password_device_secret_and_user() {
        let params = weak_but_valid();
        let device = Key32::from_bytes([9; 32]);
        let other_device = Key32::from_bytes([8; 32]);
        let pw = Password::new("correct horse");
        let kek = derive_kek(&pw, &params, &device, "doctor").expect("kek");
        let again = derive_kek(&pw, &params, &device, "doctor").expect("kek");
        assert_eq!(kek.expose(), again.expose());
        let other_pw = derive_kek(&Password::new("correct horsE"), &params, &device, "doctor").expect("kek");
        let other_dev = derive_kek(&pw, &params, &other_device, "doctor").expect("kek");
        let other_user = derive_kek(&pw, &params, &device, "nurse").expect("kek");
        assert_ne!(kek.expose(), other_pw.expose());
        assert_ne!(kek.expose(), other_dev.expose());
        assert_ne!(kek.expose(), other_user.expose());
    }

    #[test]
    fn costs_below_owasp_floor_are_refused() {
        let mut params = weak_but_valid();
        params.memory_kib = MIN_MEMORY_KIB - 1;
        assert!(params.check().is_err());
        let mut params = weak_but_valid();
        params.passes = 1;
        assert!(derive_kek(&Password::new("x"), &params, &Key32::from_bytes([0; 32]), "u").is_err());
        assert!(KdfParams::recommended().expect("params").check().is_ok());
    }
}
