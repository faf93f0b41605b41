//! The key file beside the database: the database key (DEK), and each user's X25519 secret key,
//! wrapped once per local user under that user's KEK with XChaCha20-Poly1305. Versioned JSON;
//! holds nothing usable without both a user's password and this computer's device secret.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::kdf::{derive_kek, KdfParams};
use super::section_key::UserKeyPair;
use crate::crypto::{self, Sealed, NONCE_LEN};
use crate::secret::{Key32, Password};
use crate::{fsutil, Error, Result};

pub const FORMAT: &str = "mamori-keyfile";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    pub version: u32,
    /// Names the device secret in the keyring. Not secret.
    pub device_id: String,
    pub users: Vec<WrappedKey>,
}

/// One user's copy of the database key.
#[derive(Debug, Serialize, Deserialize)]
pub struct WrappedKey {
    pub user: String,
    pub kdf: KdfParams,
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub wrapped_key: Vec<u8>,
    /// The user's X25519 secret key under the same KEK. Missing only in entries written before
    /// section keys existed; the user's next login adds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<WrappedUserKey>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WrappedUserKey {
    #[serde(with = "hex::serde")]
    pub nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    pub ciphertext: Vec<u8>,
}

/// What a user's password opens.
#[derive(Debug)]
pub struct Unwrapped {
    pub dek: Key32,
    /// `None` for an entry written before section keys existed.
    pub user_key: Option<UserKeyPair>,
}

impl KeyFile {
    pub fn new(device_id: impl Into<String>) -> Self {
        Self { format: FORMAT.into(), version: VERSION, device_id: device_id.into(), users: Vec::new() }
    }

    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        let invalid = |reason: String| Error::KeyFileInvalid { path: path.to_path_buf(), reason };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not JSON ({e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(invalid("it does not say it is a Mamori key file".into()));
        }
        let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if found != u64::from(VERSION) {
            return Err(Error::KeyFileVersion {
                path: path.to_path_buf(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported: VERSION,
            });
        }
        let file: KeyFile = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        for user in &file.users {
            user.kdf.check().map_err(invalid)?;
        }
        Ok(file)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::KeyFileInvalid { path: path.to_path_buf(), reason: e.to_string() })?;
        fsutil::write_atomically(path, &json)
    }

    pub fn has_user(&self, user: &str) -> bool {
        self.users.iter().any(|u| u.user == user)
    }

    /// Wraps `dek` and the user's key pair for a new user.
    pub fn add_user(
        &mut self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        dek: &Key32,
        user_key: &UserKeyPair,
    ) -> Result<()> {
        if self.has_user(user) {
            return Err(Error::UserExists(user.to_string()));
        }
        let wrapped = self.wrap(user, password, device_secret, dek, user_key)?;
        self.users.push(wrapped);
        Ok(())
    }

    /// Re-wraps `dek` and the user's key pair under a (new) password. The database is not touched.
    pub fn rewrap_user(
        &mut self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        dek: &Key32,
        user_key: &UserKeyPair,
    ) -> Result<()> {
        let wrapped = self.wrap(user, password, device_secret, dek, user_key)?;
        let slot = self
            .users
            .iter_mut()
            .find(|u| u.user == user)
            .ok_or(Error::NotFound { what: "user", id: user.to_string() })?;
        *slot = wrapped;
        Ok(())
    }

    /// The database key and the user's key pair, if `password` is this user's. Unknown users cost
    /// the same time as known ones, so the answer does not tell which user names exist.
    pub fn unwrap_for(&self, user: &str, password: &Password, device_secret: &Key32) -> Result<Unwrapped> {
        let Some(entry) = self.users.iter().find(|u| u.user == user) else {
            let decoy = KdfParams::recommended()?;
            derive_kek(password, &decoy, device_secret, user)?;
            return Err(Error::WrongPassword);
        };
        let kek = derive_kek(password, &entry.kdf, device_secret, user)?;
        let sealed = Sealed { nonce: entry.nonce, ciphertext: entry.wrapped_key.clone() };
        let plain = crypto::open(&kek, &sealed, &self.associated_data(user)).ok_or(Error::WrongPassword)?;
        let dek = Key32::from_slice(&plain).ok_or(Error::WrongPassword)?;
        let user_key = match &entry.user_key {
            None => None,
            Some(wrapped) => {
                let sealed = Sealed { nonce: wrapped.nonce, ciphertext: wrapped.ciphertext.clone() };
                let plain = crypto::open(&kek, &sealed, &self.user_key_associated_data(user))
                    .ok_or_else(|| self.invalid_entry(user))?;
                let key = Key32::from_slice(&plain).ok_or_else(|| self.invalid_entry(user))?;
                Some(UserKeyPair::from_key(&key))
            }
        };
        Ok(Unwrapped { dek, user_key })
    }

    fn wrap(
        &self,
        user: &str,
        password: &Password,
        device_secret: &Key32,
        dek: &Key32,
        user_key: &UserKeyPair,
    ) -> Result<WrappedKey> {
        let kdf = KdfParams::recommended()?;
        let kek = derive_kek(password, &kdf, device_secret, user)?;
        let sealed = crypto::seal(&kek, dek.expose(), &self.associated_data(user))?;
        let sealed_user_key = crypto::seal(&kek, user_key.secret_key().expose(), &self.user_key_associated_data(user))?;
        Ok(WrappedKey {
            user: user.to_string(),
            kdf,
            nonce: sealed.nonce,
            wrapped_key: sealed.ciphertext,
            user_key: Some(WrappedUserKey { nonce: sealed_user_key.nonce, ciphertext: sealed_user_key.ciphertext }),
        })
    }

    fn associated_data(&self, user: &str) -> Vec<u8> {
        format!("{FORMAT} v{VERSION}\0{}\0{user}", self.device_id).into_bytes()
    }

    fn user_key_associated_data(&self, user: &str) -> Vec<u8> {
        format!("{FORMAT} v{VERSION}\0{}\0{user}\0user-key", self.device_id).into_bytes()
    }

    /// The password opened the database key but not the user key beside it: the entry was edited.
    fn invalid_entry(&self, user: &str) -> Error {
        Error::KeyFileInvalid {
            path: std::path::PathBuf::from("keys.json"),
            reason: format!("the user key of {user} does not open with their password"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (KeyFile, Key32, Key32) {
        let mut file = KeyFile::new("device-1");
        let device_secret = Key32::random().expect("random");
        let dek = Key32::random().expect("random");
        file.add_user("doctor", &Password::new("pw-doctor"), &device_secret, &dek, &pair()).expect("add");
        (file, device_secret, dek)
    }

    fn pair() -> UserKeyPair {
        UserKeyPair::generate().expect("pair")
    }

    #[test]
    fn each_user_unwraps_the_same_database_key_with_their_own_password() {
        let (mut file, device_secret, dek) = fixture();
        file.add_user("nurse", &Password::new("pw-nurse"), &device_secret, &dek, &pair()).expect("add");
        for (user, pw) in [("doctor", "pw-doctor"), ("nurse", "pw-nurse")] {
            let got = file.unwrap_for(user, &Password::new(pw), &device_secret).expect("unwrap");
            assert_eq!(got.dek.expose(), dek.expose());
        }
        assert!(matches!(
            file.unwrap_for("nurse", &Password::new("pw-doctor"), &device_secret),
            Err(Error::WrongPassword)
        ));
        assert!(matches!(
            file.unwrap_for("nobody", &Password::new("pw-doctor"), &device_secret),
            Err(Error::WrongPassword)
        ));
        assert!(matches!(
            file.add_user("nurse", &Password::new("x"), &device_secret, &dek, &pair()),
            Err(Error::UserExists(_))
        ));
    }

    #[test]
    fn the_user_key_comes_back_with_the_password_and_an_entry_without_one_still_opens() {
        let (mut file, device_secret, dek) = fixture();
        let first = file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).expect("unwrap");
        let again = file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).expect("unwrap");
        assert_eq!(first.user_key.map(|k| k.public()), again.user_key.map(|k| k.public()));

        // An entry written before section keys existed: the database key still opens.
        file.users[0].user_key = None;
        let legacy = file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).expect("unwrap");
        assert_eq!(legacy.dek.expose(), dek.expose());
        assert!(legacy.user_key.is_none());
    }

    #[test]
    fn another_device_secret_cannot_unwrap() {
        let (file, _, _) = fixture();
        let other = Key32::random().expect("random");
        assert!(matches!(file.unwrap_for("doctor", &Password::new("pw-doctor"), &other), Err(Error::WrongPassword)));
    }

    #[test]
    fn a_wrapped_key_moved_to_another_user_does_not_open() {
        let (mut file, device_secret, dek) = fixture();
        file.add_user("nurse", &Password::new("pw-doctor"), &device_secret, &dek, &pair()).expect("add");
        // Swap the two users' entries: same password, but the associated data names the user.
        let (a, b) = file.users.split_at_mut(1);
        std::mem::swap(&mut a[0].wrapped_key, &mut b[0].wrapped_key);
        std::mem::swap(&mut a[0].nonce, &mut b[0].nonce);
        assert!(file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).is_err());
    }

    #[test]
    fn changing_a_password_rewraps_the_same_key() {
        let (mut file, device_secret, dek) = fixture();
        let before = file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).expect("unwrap");
        let user_key = before.user_key.expect("user key");
        file.rewrap_user("doctor", &Password::new("new-pw"), &device_secret, &dek, &user_key).expect("rewrap");
        assert!(file.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).is_err());
        let got = file.unwrap_for("doctor", &Password::new("new-pw"), &device_secret).expect("unwrap");
        assert_eq!(got.dek.expose(), dek.expose());
        assert_eq!(got.user_key.map(|k| k.public()), Some(user_key.public()));
    }

    #[test]
    fn save_and_load_round_trip_and_reject_other_versions_and_garbage() {
        let (file, device_secret, dek) = fixture();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        file.save(&path).expect("save");
        let loaded = KeyFile::load(&path).expect("load");
        let got = loaded.unwrap_for("doctor", &Password::new("pw-doctor"), &device_secret).expect("unwrap");
        assert_eq!(got.dek.expose(), dek.expose());

        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("\"version\": 1", "\"version\": 2")).expect("write");
        assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileVersion { found: 2, .. })));
        std::fs::write(&path, b"not json").expect("write");
        assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. })));
    }

    #[test]
    fn a_key_file_that_lowers_the_password_hashing_cost_is_refused() {
        let (file, _, _) = fixture();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        file.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("\"passes\": 3", "\"passes\": 1")).expect("write");
        assert!(matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. })));
    }
}
