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
