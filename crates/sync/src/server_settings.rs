//! The clinic server a data folder syncs with: its address and certificate fingerprint, given
//! once (by `mamori sync --server …`, a join code or the desktop app) and kept in `sync.toml`
//! beside the chart. Neither is a secret; the fingerprint pins the server's certificate.

use mamori_core::clinic::DataDir;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::wire::Hash32;

const FILE: &str = "sync.toml";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub server: String,
    pub server_fingerprint: String,
}

impl ServerSettings {
    /// Checked settings: an `https://` address and a 64-hex-character fingerprint.
    pub fn new(server: &str, fingerprint: &str) -> Result<Self> {
        let settings = Self { server: server.trim().to_owned(), server_fingerprint: fingerprint.trim().to_owned() };
        if !settings.server.starts_with("https://") {
            return Err(Error::CannotCheckIn("the server is an https:// address, e.g. https://192.168.1.10:8443"));
        }
        settings.pin()?;
        Ok(settings)
    }

    pub fn pin(&self) -> Result<Hash32> {
        hex::decode(self.server_fingerprint.trim()).ok().and_then(|bytes| bytes.try_into().ok()).ok_or(
            Error::CannotCheckIn("the server fingerprint is 64 hex characters (as `mamori server init` printed it)"),
        )
    }

    /// The settings remembered for `dir`; `Ok(None)` when none were given yet.
    pub fn remembered(dir: &DataDir) -> Result<Option<Self>> {
        let path = dir.root().join(FILE);
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
        let settings: Self =
            toml::from_str(&text).map_err(|_| Error::CannotCheckIn("sync.toml beside the chart is not readable"))?;
        Ok(Some(Self::new(&settings.server, &settings.server_fingerprint)?))
    }

    pub fn remember(&self, dir: &DataDir) -> Result<()> {
        let text = toml::to_string(self).map_err(|_| Error::CannotCheckIn("the sync settings could not be written"))?;
        let path = dir.root().join(FILE);
        std::fs::write(&path, text).map_err(|source| mamori_core::Error::Io { action: "write", path, source }.into())
    }
}
