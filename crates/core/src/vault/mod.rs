//! The key hierarchy of ../shared/DESIGN.md: a random database key (DEK), a device secret in the
//! OS keyring, and per-user KEKs from password + device secret that wrap the DEK in the key file.

pub mod device_secret;
pub mod kdf;
pub mod keyfile;

pub use device_secret::{DeviceSecretStore, KeyringStore, MemoryStore};
pub use keyfile::KeyFile;
