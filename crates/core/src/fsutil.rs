//! Crash-safe file replacement: write a sibling temporary file, flush it to disk, rename it over
//! the target, flush the directory. A reader sees the old file or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::{Error, Result};

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp"));
    {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&temp).map_err(Error::io("create", &temp))?;
        file.write_all(bytes).map_err(Error::io("write", &temp))?;
        file.sync_all().map_err(Error::io("flush", &temp))?;
    }
    fs::rename(&temp, path).map_err(Error::io("replace", path))?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    // Directories cannot be opened for syncing on Windows; there the rename is already durable.
    if cfg!(unix) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io("flush", dir))?;
    }
    Ok(())
}

/// Creates `dir` (and parents) and makes it private to the current user.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    restrict_to_owner(dir, 0o700)
}

/// Makes `path` readable and writable by its owner only (no-op off Unix, where the OS ACLs apply).
pub fn restrict_to_owner(path: &Path, #[allow(unused_variables)] mode: u32) -> Result<()> {
    #[cfg(unix)]
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(Error::io("restrict access to", path))?;
    Ok(())
}
