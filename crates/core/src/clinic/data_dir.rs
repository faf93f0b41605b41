//! Where a device keeps its chart: the encrypted database and, beside it, the key file.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub const DATABASE: &'static str = "chart.db";
    pub const KEY_FILE: &'static str = "keys.json";

    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The OS's data folder for Mamori (`~/.local/share/mamori` on Linux), unless
    /// `MAMORI_DATA_DIR` names another; `None` when the OS has no home folder to offer.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os("MAMORI_DATA_DIR").filter(|d| !d.is_empty()) {
            return Some(Self::new(dir));
        }
        directories::ProjectDirs::from("jp", "Mamori", "Mamori").map(|dirs| Self::new(dirs.data_dir()))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database(&self) -> PathBuf {
        self.root.join(Self::DATABASE)
    }

    pub fn key_file(&self) -> PathBuf {
        self.root.join(Self::KEY_FILE)
    }

    /// `Ok` when this folder holds a chart store; otherwise the explained reason.
    pub fn check_initialized(&self) -> crate::Result<()> {
        if self.key_file().exists() {
            Ok(())
        } else if self.database().exists() {
            Err(crate::Error::IncompleteSetup(self.root.clone()))
        } else {
            Err(crate::Error::NotInitialized(self.root.clone()))
        }
    }

    /// The database and the files SQLite keeps beside it.
    pub fn database_files(&self) -> [PathBuf; 3] {
        let db = self.database();
        let with_suffix = |suffix: &str| {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        [db.clone(), with_suffix("-wal"), with_suffix("-shm")]
    }
}
