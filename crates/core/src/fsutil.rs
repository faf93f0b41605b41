//! Crash-safe file replacement: write a sibling temporary file, flush it to disk, rename it over
//! the target, flush the directory. A reader sees the old file or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp"));
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .map_err(Error::io("create", &temp))?;
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
