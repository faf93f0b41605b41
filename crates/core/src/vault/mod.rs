//! The key hierarchy: a random database key (DEK), a device secret in the
//! OS keyring, per-user KEKs from password + device secret that wrap the DEK (and the user's
//! X25519 key) in the key file, and the clinical section key wrapped to clinical users.

pub mod device_secret;
pub mod kdf;
pub mod keyfile;
pub mod section_key;

pub use device_secret::{DeviceSecretStore, KeyringStore, MemoryStore};
pub use keyfile::KeyFile;
pub use section_key::{SectionKeys, UserKeyPair};
