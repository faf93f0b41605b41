//! The sync simulation's clinic, shared by the story tests and the `sync-client` helper: fixed
//! users, devices and keys, as the verified chain would give them.

use ed25519_dalek::SigningKey;
use mamori_core::domain::Role;
use mamori_core::replication::AuthorKeys;
use mamori_core::secret::Key32;
use mamori_server::DeviceRegistry;
use mamori_sync::wire::{DataKey, Hash32};
use mamori_sync::Directory;

pub const CLINIC: Hash32 = [0xC1; 32];
pub const USERS: [(&str, Role); 3] = [("admin", Role::Admin), ("reception", Role::Reception), ("doctor", Role::Doctor)];

pub fn user_key(user: &str) -> SigningKey {
    let mut seed = [0x55u8; 32];
    seed[..user.len()].copy_from_slice(user.as_bytes());
    SigningKey::from_bytes(&seed)
}

pub fn device_key(device: &str) -> SigningKey {
    let mut seed = [0xD0u8; 32];
    seed[..device.len()].copy_from_slice(device.as_bytes());
    SigningKey::from_bytes(&seed)
}

/// Whose keys are whose, as the verified chain would say.
#[derive(Clone)]
pub struct Keys {
    pub devices: Vec<String>,
}

impl AuthorKeys for Keys {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        USERS.iter().filter(|(u, _)| *u == user).map(|(u, _)| user_key(u).verifying_key().to_bytes()).collect()
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        USERS.iter().filter(|(u, _)| *u == user).map(|(_, role)| *role).collect()
    }
}

impl Directory for Keys {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        self.devices.iter().any(|d| d == device).then(|| device_key(device).verifying_key().to_bytes())
    }
}

impl DeviceRegistry for Keys {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        Directory::device_key(self, device)
    }
}

pub fn data_key(seed: u64) -> DataKey {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    DataKey { epoch: 1, key: Key32::from_bytes(bytes) }
}
