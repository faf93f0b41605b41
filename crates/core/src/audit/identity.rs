//! The device's Ed25519 identity key: made at init, kept inside the encrypted database, used to
//! sign the audit chain head (and, with sync, changes).

use ed25519_dalek::{SigningKey, VerifyingKey};
use rusqlite::{Connection, OptionalExtension};

use crate::secret::Key32;
use crate::{Error, Result};

pub struct DeviceIdentity {
    signing: SigningKey,
}

impl std::fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceIdentity([redacted])")
    }
}

impl DeviceIdentity {
    /// Loads the key from the device row, creating it for a store made before it existed.
    pub fn load_or_create(conn: &Connection) -> Result<Self> {
        let stored: Option<Option<Vec<u8>>> =
            conn.query_row("SELECT signing_key FROM device WHERE singleton = 1", [], |row| row.get(0)).optional()?;
        let stored = stored.ok_or(Error::InvalidState("the chart database has no device record"))?;
        if let Some(bytes) = stored {
            let bytes = zeroize::Zeroizing::new(bytes);
            let seed = Key32::from_slice(&bytes).ok_or(Error::InvalidState("the device identity key is damaged"))?;
            return Ok(Self { signing: SigningKey::from_bytes(seed.expose()) });
        }
        let seed = Key32::random()?;
        conn.execute("UPDATE device SET signing_key = ?1 WHERE singleton = 1", [seed.expose().to_vec()])?;
        Ok(Self { signing: SigningKey::from_bytes(seed.expose()) })
    }

    pub fn signer(&self) -> &SigningKey {
        &self.signing
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}
