//! What every command needs: the data folder, the keyring and the clock.

use anyhow::Context as _;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::{Clock, SystemClock};
use mamori_core::vault::KeyringStore;

use crate::args::{Cli, Unlock};
use crate::password;

pub struct Context {
    pub dir: DataDir,
    pub keyring: KeyringStore,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let dir = match &cli.data_dir {
            Some(dir) => DataDir::new(dir),
            None => DataDir::default_location().context("no --data-dir given and the OS data directory is unknown")?,
        };
        Ok(Self { dir, keyring: KeyringStore::new(cli.keyring_service.clone()) })
    }

    pub fn unlock(&self, unlock: &Unlock) -> anyhow::Result<Clinic> {
        // Ask for nothing when there is nothing to open.
        self.dir.check_initialized()?;
        let password = password::read(unlock.password_stdin, "Password: ")?;
        self.unlock_with(unlock, &password)
    }

    /// [`Context::unlock`] with the password already read (a command that needs it again).
    pub fn unlock_with(&self, unlock: &Unlock, password: &mamori_core::secret::Password) -> anyhow::Result<Clinic> {
        self.dir.check_initialized()?;
        let second_factor = password::read_second_factor(unlock)?;
        let mut clinic = Clinic::unlock(&self.dir, &self.keyring, clock(), &unlock.user, password, &second_factor)?;
        // Tampering with what this user verified at their last visit: said before anything else.
        let lang = crate::locale::lang();
        for found in clinic.tampering_found_at_login() {
            eprintln!("{}", mamori_core::messages::tampering(found, lang));
        }
        // A reset code was redeemed: the new authenticator, shown once, to this user only.
        if let Some(enrollment) = clinic.take_new_second_factor() {
            println!("Your second factor was reset. Set up your new authenticator now:");
            crate::commands::show_enrollment(&enrollment)?;
        }
        Ok(clinic)
    }
}

/// The wall clock. Debug builds (the test suite) may pin it with MAMORI_TEST_NOW (RFC 3339), so
/// tests can present a fresh one-time code at every login; release builds always use the system.
pub fn clock() -> Box<dyn Clock> {
    #[cfg(debug_assertions)]
    if let Some(now) = std::env::var("MAMORI_TEST_NOW").ok().and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
    {
        return Box::new(mamori_core::clock::ManualClock::at(now.with_timezone(&chrono::Utc)));
    }
    Box::new(SystemClock)
}
