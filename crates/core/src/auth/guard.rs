//! The login guard: a growing delay after each failed login and, after too many, a lockout that
//! only an administrator lifts. Its counters live in the OS keyring beside the device secret, so
//! deleting or restoring files in the data folder does not reset them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::vault::DeviceSecretStore;
use crate::{Error, Result};

/// Failed logins (wrong password or wrong one-time code) before an account locks.
pub const LOCKOUT_THRESHOLD: u32 = 10;
const MAX_DELAY_SECS: i64 = 300;
const MAX_PENDING: usize = 1000;
pub(crate) const RECORD: &str = "login-guard";

#[derive(Default, Serialize, Deserialize)]
struct Record {
    users: BTreeMap<String, Account>,
    /// Failures not yet written to the audit log (the database was closed when they happened).
    pending: Vec<FailedLogin>,
}

#[derive(Default, Serialize, Deserialize)]
struct Account {
    failures: u32,
    last_failure: Option<DateTime<Utc>>,
    locked: bool,
}

/// A failed login waiting to be audited.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FailedLogin {
    pub user: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

pub struct LoginGuard<'a> {
    store: &'a dyn DeviceSecretStore,
    device: &'a str,
}

/// Seconds to wait after `failures` consecutive failures: 1, 2, 4, … up to five minutes.
pub fn delay_after(failures: u32) -> i64 {
    if failures == 0 {
        return 0;
    }
    2i64.saturating_pow(failures - 1).min(MAX_DELAY_SECS)
}

impl<'a> LoginGuard<'a> {
    pub fn new(store: &'a dyn DeviceSecretStore, device: &'a str) -> Self {
        Self { store, device }
    }

    fn load(&self) -> Result<Record> {
        match self.store.load_record(self.device, RECORD)? {
            // A record the keyring returns damaged fails closed: nobody's counters are forgotten.
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|_| Error::KeyringUnavailable("the login guard record is damaged".into())),
            None => Ok(Record::default()),
        }
    }

    fn save(&self, record: &Record) -> Result<()> {
        let bytes =
            serde_json::to_vec(record).map_err(|_| Error::InvalidState("the login guard could not be saved"))?;
        self.store.store_record(self.device, RECORD, &bytes)
    }

    /// Refuses a login attempt while the account is locked or its delay has not passed.
    pub fn check(&self, user: &str, now: DateTime<Utc>) -> Result<()> {
        let record = self.load()?;
        let Some(account) = record.users.get(user) else { return Ok(()) };
        if account.locked {
            return Err(Error::LockedOut);
        }
        if let Some(last) = account.last_failure {
            let wait = delay_after(account.failures) - (now - last).num_seconds();
            if wait > 0 {
                return Err(Error::Throttled { retry_after_secs: wait });
            }
        }
        Ok(())
    }

    /// Counts a failure. `unaudited` carries the reason when the failure could not be written to
    /// the audit log (the database was still closed); it is audited at the next login.
    pub fn failed(&self, user: &str, now: DateTime<Utc>, unaudited: Option<&str>) -> Result<()> {
        let mut record = self.load()?;
        let account = record.users.entry(user.to_string()).or_default();
        account.failures += 1;
        account.last_failure = Some(now);
        account.locked = account.failures >= LOCKOUT_THRESHOLD;
        if let Some(reason) = unaudited {
            if record.pending.len() < MAX_PENDING {
                record.pending.push(FailedLogin { user: user.to_string(), at: now, reason: reason.to_string() });
            }
        }
        self.save(&record)
    }

    /// Clears the user's failures; returns the failures still to be audited (and forgets them).
    pub fn succeeded(&self, user: &str) -> Result<Vec<FailedLogin>> {
        let mut record = self.load()?;
        record.users.remove(user);
        let pending = std::mem::take(&mut record.pending);
        self.save(&record)?;
        Ok(pending)
    }

    /// The failures still to be audited, left in the record until [`LoginGuard::audited`] says
    /// they are in the audit log (a login that fails to save its audit loses none).
    pub fn pending(&self) -> Result<Vec<FailedLogin>> {
        Ok(self.load()?.pending)
    }

    /// After a successful login whose audit holds `written`: clears the user's failures and
    /// forgets exactly those pending failures (any that arrived since stay).
    pub fn audited(&self, user: &str, written: &[FailedLogin]) -> Result<()> {
        let mut record = self.load()?;
        record.users.remove(user);
        record.pending.retain(|p| !written.iter().any(|w| w.user == p.user && w.at == p.at && w.reason == p.reason));
        self.save(&record)
    }

    /// An administrator lifts a lockout.
    pub fn release(&self, user: &str) -> Result<()> {
        let mut record = self.load()?;
        record.users.remove(user);
        self.save(&record)
    }

    pub fn is_locked(&self, user: &str) -> Result<bool> {
        Ok(self.load()?.users.get(user).is_some_and(|a| a.locked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryStore;
    use chrono::Duration;

    #[test]
    fn delays_grow_then_the_account_locks_until_released() {
        let store = MemoryStore::default();
        let guard = LoginGuard::new(&store, "device");
        let mut now = Utc::now();
        for n in 1..LOCKOUT_THRESHOLD {
            guard.failed("doctor", now, Some("wrong password")).expect("count");
            assert!(
                matches!(guard.check("doctor", now), Err(Error::Throttled { retry_after_secs }) if retry_after_secs == delay_after(n))
            );
            now += Duration::seconds(delay_after(n));
            guard.check("doctor", now).expect("the delay has passed");
        }
        guard.failed("doctor", now, Some("wrong password")).expect("count");
        now += Duration::days(1);
        assert!(matches!(guard.check("doctor", now), Err(Error::LockedOut)), "time alone does not unlock");
        guard.check("nurse", now).expect("other users are unaffected");
        guard.release("doctor").expect("release");
        guard.check("doctor", now).expect("released");
    }

    #[test]
    fn failures_wait_in_the_record_until_someone_logs_in() {
        let store = MemoryStore::default();
        let guard = LoginGuard::new(&store, "device");
        guard.failed("ghost", Utc::now(), Some("wrong password")).expect("count");
        guard.failed("doctor", Utc::now(), None).expect("count");
        let pending = guard.succeeded("doctor").expect("ok");
        assert_eq!(pending.len(), 1, "only the failure the audit log has not seen waits");
        assert!(guard.succeeded("doctor").expect("ok").is_empty());
    }
}
