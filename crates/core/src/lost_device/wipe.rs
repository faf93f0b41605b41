//! Destroying this device's chart, in the order that makes it unreadable soonest: the keyring
//! secret first (without it no password opens the key file, so the database is unreadable from
//! that instant), then the keyring records beside it, then the database with its WAL and shared
//! memory, the key file, and the rest of the data folder. Copies taken earlier are untouched,
//! and the keyring's storage is not securely erased: laptops need full-disk encryption too.

use super::standing::{Standing, RECORD as STANDING_RECORD};
use crate::clinic::DataDir;
use crate::vault::DeviceSecretStore;
use crate::{log_safe, Error, Result};

/// What a wipe did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wiped {
    /// Own changes the server had not acknowledged: lost with the device.
    pub unsent: u64,
    /// Whether the keyring gave up the secret (if it refused, the files are gone all the same).
    pub keyring_cleared: bool,
}

pub fn wipe(dir: &DataDir, secrets: &dyn DeviceSecretStore, device: &str) -> Result<Wiped> {
    let acknowledged = Standing::load(secrets, device).map(|s| s.own_acknowledged).unwrap_or(0);
    let unsent = super::unsent::own_changes_written(dir).saturating_sub(acknowledged);
    let keyring_cleared = secrets.delete(device).is_ok();
    for record in [STANDING_RECORD, crate::auth::guard::RECORD] {
        if secrets.delete_record(device, record).is_err() {
            log_safe!(warn, "a keyring record could not be removed during the wipe");
        }
    }
    for file in dir.database_files().into_iter().chain([dir.key_file()]) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", file)(e)),
        }
    }
    match std::fs::remove_dir_all(dir.root()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("remove", dir.root())(e)),
    }
    log_safe!(warn, "this device was wiped on the clinic's order", unsent = unsent, keyring_cleared = keyring_cleared);
    Ok(Wiped { unsent, keyring_cleared })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryStore;

    #[test]
    fn the_secret_its_records_and_the_whole_data_folder_go() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = DataDir::new(tmp.path().join("clinic"));
        std::fs::create_dir_all(dir.root().join("logs")).expect("dirs");
        for file in dir.database_files().into_iter().chain([dir.key_file(), dir.root().join("logs/app.log")]) {
            std::fs::write(file, b"x").expect("file");
        }
        let secrets = MemoryStore::default();
        secrets.create("dev-1").expect("secret");
        super::super::unsent::note_own_changes(&dir, 7).expect("count");
        let standing = Standing { own_acknowledged: 4, ..Standing::default() };
        standing.store(&secrets, "dev-1").expect("standing");
        secrets.store_record("dev-1", crate::auth::guard::RECORD, b"{}").expect("guard");
        secrets.create("dev-2").expect("another device's secret");

        let wiped = wipe(&dir, &secrets, "dev-1").expect("wiped");
        assert_eq!(wiped, Wiped { unsent: 3, keyring_cleared: true });
        assert!(secrets.load("dev-1").expect("load").is_none(), "the secret is gone");
        assert!(secrets.load_record("dev-1", STANDING_RECORD).expect("load").is_none());
        assert!(secrets.load_record("dev-1", crate::auth::guard::RECORD).expect("load").is_none());
        assert!(!dir.root().exists(), "the data folder is gone");
        assert!(secrets.load("dev-2").expect("load").is_some(), "another device's secret stays");
        assert_eq!(wipe(&dir, &secrets, "dev-1").expect("again").unsent, 0, "a second wipe finds nothing");
    }
}
