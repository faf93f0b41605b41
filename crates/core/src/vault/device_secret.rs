//! The device secret: 32 random bytes kept by the operating system's keyring (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows). A copied data folder is useless
//! without it. A missing entry is an explained stop, never a reason to make a new one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use crate::secret::Key32;
use crate::{Error, Result};

/// Where device secrets live. The keyring in the product; memory in unit tests.
pub trait DeviceSecretStore: Send + Sync {
    /// Creates and stores a new secret for `device`; refuses if one exists already.
    fn create(&self, device: &str) -> Result<Key32>;
    /// Loads the secret for `device`; `Ok(None)` when the store has no entry for it.
    fn load(&self, device: &str) -> Result<Option<Key32>>;
    /// Removes the secret for `device` (used to roll back a failed setup).
    fn delete(&self, device: &str) -> Result<()>;
    /// A small record kept beside the secret (the login guard's counters), out of reach of
    /// anyone who can only edit files in the data folder.
    fn load_record(&self, device: &str, kind: &str) -> Result<Option<Vec<u8>>>;
    fn store_record(&self, device: &str, kind: &str, bytes: &[u8]) -> Result<()>;
    /// Removes a record (a wipe); nothing to remove is not an error.
    fn delete_record(&self, device: &str, kind: &str) -> Result<()>;
}

/// Loads the secret, turning a missing entry into the explained stop.
pub fn load_required(store: &dyn DeviceSecretStore, device: &str, dir: &Path) -> Result<Key32> {
    store.load(device)?.ok_or_else(|| {
        crate::log_safe!(
            error,
            "the keyring holds no device secret for this data folder",
            device = uuid::Uuid::parse_str(device).ok()
        );
        Error::DeviceSecretMissing { dir: dir.to_path_buf(), device: device.to_string() }
    })
}

/// The operating system keyring, through the `keyring` crate.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub const DEFAULT_SERVICE: &'static str = "mamori";

    pub fn new(service: impl Into<String>) -> Self {
        Self { service: service.into() }
    }

    fn entry(&self, device: &str) -> Result<keyring::Entry> {
        self.named(&format!("device-secret-{device}"))
    }

    fn named(&self, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(keyring_error)
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(Self::DEFAULT_SERVICE)
    }
}

/// One keyring call at a time per process. On Linux each call opens its own D-Bus connection and
/// Secret Service session, and gnome-keyring 42 aborts when sessions come and go concurrently (a
/// client leaving mid-handshake is enough); D-Bus then starts a locked daemon in its place and
/// every later call fails. Two story tests logging in at once crashed it in about 1 run in 10;
/// with this queue, none in 40 (`tests/tests/keyring_load.rs`). Keyring calls happen at set-up,
/// unlock and lock, so the queue costs nothing a person notices.
static KEYRING_CALL: Mutex<()> = Mutex::new(());

/// ... and one at a time across this user's processes (the CLI beside the desktop app; a story's
/// helper process beside the stories): the same crash came back when the crash-safety story's
/// writer process and the other stories used the keyring at once. An advisory lock on a file in
/// the user's cache folder; where there is none, the in-process queue alone.
///
/// A call whose keyring daemon went away before answering is made once more: the session bus
/// starts the keyring service again on the next call (a desktop's keyring restarts; our test
/// sessions start it unlocked, `scripts/lib/with-secret-service`). Every call here is safe to
/// repeat: reads, a write that replaces, a delete of what may be gone already.
fn one_at_a_time<T>(call: impl Fn() -> keyring::Result<T>) -> keyring::Result<T> {
    let _turn = KEYRING_CALL.lock().unwrap_or_else(PoisonError::into_inner);
    let _across_processes = cross_process_turn();
    match call() {
        Err(error) if daemon_went_away(&error) => {
            crate::log_safe!(warn, "the keyring service went away mid-call; asking once more");
            std::thread::sleep(std::time::Duration::from_millis(200));
            call()
        }
        other => other,
    }
}

/// D-Bus's own words for a service that vanished before replying (`NoReply`) or that is
/// being started again (`ServiceUnknown`, `Disconnected`). Anything else is not repeated.
fn daemon_went_away(error: &keyring::Error) -> bool {
    let keyring::Error::PlatformFailure(cause) = error else { return false };
    let text = cause.to_string();
    ["disconnected from message bus without replying", "NoReply", "ServiceUnknown", "Disconnected"]
        .iter()
        .any(|sign| text.contains(sign))
}

/// The locked file (unlocked when dropped), or `None` when it cannot be had.
fn cross_process_turn() -> Option<std::fs::File> {
    let dir = directories::BaseDirs::new()?.cache_dir().join("mamori");
    std::fs::create_dir_all(&dir).ok()?;
    let file =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("keyring.lock")).ok()?;
    file.lock().ok()?;
    Some(file)
}

fn keyring_error(error: keyring::Error) -> Error {
    // The kind only: the platform's message is not checked for what it might quote.
    let kind = match &error {
        keyring::Error::PlatformFailure(_) => "platform_failure",
        keyring::Error::NoStorageAccess(_) => "no_storage_access",
        keyring::Error::NoEntry => "no_entry",
        keyring::Error::BadEncoding(_) => "bad_encoding",
        keyring::Error::TooLong(..) => "too_long",
        keyring::Error::Invalid(..) => "invalid",
        keyring::Error::Ambiguous(_) => "ambiguous",
        _ => "other",
    };
    crate::log_safe!(error, "keyring call failed", kind = kind);
    // keyring errors name the platform failure, never the secret.
    Error::KeyringUnavailable(error.to_string())
}

impl DeviceSecretStore for KeyringStore {
    fn create(&self, device: &str) -> Result<Key32> {
        let entry = self.entry(device)?;
        match one_at_a_time(|| entry.get_secret()) {
            Ok(_) => return Err(Error::DeviceSecretExists(device.to_string())),
            Err(keyring::Error::NoEntry) => {}
            Err(other) => return Err(keyring_error(other)),
        }
        let secret = Key32::random()?;
        one_at_a_time(|| entry.set_secret(secret.expose())).map_err(keyring_error)?;
        // Read it back: a keyring that silently keeps nothing must fail here, not at next unlock.
        match self.load(device)? {
            Some(stored) if stored.expose() == secret.expose() => Ok(secret),
            _ => {
                crate::log_safe!(error, "the keyring did not keep the new device secret");
                Err(Error::KeyringUnavailable("the keyring did not keep the device secret".into()))
            }
        }
    }

    fn load(&self, device: &str) -> Result<Option<Key32>> {
        let entry = self.entry(device)?;
        match one_at_a_time(|| entry.get_secret()) {
            Ok(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                Key32::from_slice(&bytes)
                    .map(Some)
                    .ok_or_else(|| Error::KeyringUnavailable("the keyring entry is not a Mamori device secret".into()))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(other) => Err(keyring_error(other)),
        }
    }

    fn delete(&self, device: &str) -> Result<()> {
        let entry = self.entry(device)?;
        match one_at_a_time(|| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(keyring_error(other)),
        }
    }

    fn load_record(&self, device: &str, kind: &str) -> Result<Option<Vec<u8>>> {
        let entry = self.named(&format!("{kind}-{device}"))?;
        match one_at_a_time(|| entry.get_secret()) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(other) => Err(keyring_error(other)),
        }
    }

    fn store_record(&self, device: &str, kind: &str, bytes: &[u8]) -> Result<()> {
        let entry = self.named(&format!("{kind}-{device}"))?;
        one_at_a_time(|| entry.set_secret(bytes)).map_err(keyring_error)
    }

    fn delete_record(&self, device: &str, kind: &str) -> Result<()> {
        let entry = self.named(&format!("{kind}-{device}"))?;
        match one_at_a_time(|| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(keyring_error(other)),
        }
    }
}

/// An in-memory store for unit tests of the logic above the keyring.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, [u8; 32]>>,
    records: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// How many device secrets it holds.
    pub fn len(&self) -> usize {
        self.secrets().len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets().is_empty()
    }

    fn secrets(&self) -> std::sync::MutexGuard<'_, HashMap<String, [u8; 32]>> {
        self.secrets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DeviceSecretStore for MemoryStore {
    fn create(&self, device: &str) -> Result<Key32> {
        let mut secrets = self.secrets();
        if secrets.contains_key(device) {
            return Err(Error::DeviceSecretExists(device.to_string()));
        }
        let secret = Key32::random()?;
        secrets.insert(device.to_string(), *secret.expose());
        Ok(secret)
    }

    fn load(&self, device: &str) -> Result<Option<Key32>> {
        Ok(self.secrets().get(device).map(|bytes| Key32::from_bytes(*bytes)))
    }

    fn delete(&self, device: &str) -> Result<()> {
        self.secrets().remove(device);
        Ok(())
    }

    fn load_record(&self, device: &str, kind: &str) -> Result<Option<Vec<u8>>> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(records.get(&format!("{kind}-{device}")).cloned())
    }

    fn store_record(&self, device: &str, kind: &str, bytes: &[u8]) -> Result<()> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.insert(format!("{kind}-{device}"), bytes.to_vec());
        Ok(())
    }

    fn delete_record(&self, device: &str, kind: &str) -> Result<()> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.remove(&format!("{kind}-{device}"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(text: &str) -> keyring::Error {
        keyring::Error::PlatformFailure(text.to_string().into())
    }

    #[test]
    fn only_a_vanished_keyring_daemon_earns_a_second_call() {
        assert!(daemon_went_away(&platform(
            "DBus error: Message recipient disconnected from message bus without replying"
        )));
        assert!(daemon_went_away(&platform("org.freedesktop.DBus.Error.ServiceUnknown: no such name")));
        assert!(!daemon_went_away(&platform("DBus error: Cannot create an item in a locked collection")));
        assert!(!daemon_went_away(&keyring::Error::NoEntry));
        assert!(!daemon_went_away(&keyring::Error::NoStorageAccess("disconnected".to_string().into())));
    }
}
