//! The key hierarchy: a random database key (DEK), a device secret in the OS keyring, and one
//! sealed key-file entry per user under a KEK from their password and the device secret, holding
//! the DEK, their user key seed, their second factor and their pins; and the clinical section
//! key wrapped to clinical users.

pub mod data_key;
pub mod device_secret;
pub mod entry;
pub mod kdf;
pub mod keyfile;
pub mod keyfile_v1;
pub mod password_updates;
pub mod pins;
pub mod section_key;
pub mod vault_record;

pub use data_key::{DeviceKeys, WrappedDataKey};
pub use device_secret::{DeviceSecretStore, KeyringStore, MemoryStore};
pub use entry::EntrySecrets;
pub use keyfile::KeyFile;
pub use pins::{AuditPin, ChainPin, Pins};
pub use section_key::{SectionKeys, UserKeyPair};
