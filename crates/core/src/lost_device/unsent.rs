//! How many changes this device has written itself, kept in a small file in the data folder (a
//! number, nothing of what the changes say): raised at every commit and counted again exactly at
//! every login, lock and logout, so that a locked device ordered wiped can tell the
//! administrator how many of them the server never received (this count less the acknowledged
//! one in its standing record), even when the app was killed. The count is the device's own
//! word: whoever holds a lost device can edit it, as they can keep it from reporting at all.

use crate::clinic::DataDir;
use crate::{fsutil, Result};

const FILE: &str = "own-changes";

pub fn note_own_changes(dir: &DataDir, count: u64) -> Result<()> {
    let path = dir.root().join(FILE);
    if own_changes_written(dir) == count && path.exists() {
        return Ok(());
    }
    fsutil::write_atomically(&path, count.to_string().as_bytes())
}

/// Raises the count by `more` (changes just committed). On the commit path, so a plain write
/// with no flush of its own: it survives the app being killed; after a power cut the next login
/// counts again.
pub fn add_own_changes(dir: &DataDir, more: u64) -> Result<()> {
    if more == 0 {
        return Ok(());
    }
    let path = dir.root().join(FILE);
    let count = (own_changes_written(dir) + more).to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, count.as_bytes()))
        .map_err(|source| crate::Error::Io { action: "write", path, source })
}

/// The last count noted; 0 when none was (or the file was edited into nonsense).
pub fn own_changes_written(dir: &DataDir) -> u64 {
    std::fs::read_to_string(dir.root().join(FILE)).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(0)
}
