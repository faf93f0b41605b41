//! What every command needs: the data folder, the keyring and the clock.

use std::path::PathBuf;

use anyhow::Context as _;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::SystemClock;
use mamori_core::vault::KeyringStore;

use crate::args::{Cli, Unlock};
use crate::password;

pub struct Context {
    pub dir: DataDir,
    pub keyring: KeyringStore,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let root = match &cli.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir().context("no --data-dir given and the OS data directory is unknown")?,
        };
        Ok(Self { dir: DataDir::new(root), keyring: KeyringStore::new(cli.keyring_service.clone()) })
    }

    pub fn unlock(&self, unlock: &Unlock) -> anyhow::Result<Clinic> {
        let password = password::read(unlock.password_stdin, "Password: ")?;
        Ok(Clinic::unlock(&self.dir, &self.keyring, Box::new(SystemClock), &unlock.user, &password)?)
    }
}

fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("jp", "Mamori", "Mamori").map(|dirs| dirs.data_dir().to_path_buf())
}
