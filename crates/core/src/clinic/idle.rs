//! Locking: on request or after the clinic's idle timeout, a session drops every key it holds;
//! it continues only after password and one-time code again.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::changelog::OpenBody;
use crate::domain::validation::{in_range, Check, Field};
use crate::policy::{Access, Section};
use crate::{Error, Result};

pub const DEFAULT_IDLE_MINUTES: i64 = 10;
/// The shortest and longest idle timeout a clinic may set, in minutes: the one copy of these
/// bounds (the CLI's help and the settings form read them from here).
pub const MIN_IDLE_MINUTES: i64 = 1;
pub const MAX_IDLE_MINUTES: i64 = 240;
const IDLE_SETTING: &str = "idle_timeout_minutes";

pub(super) struct IdleClock {
    timeout: Duration,
    last_activity: DateTime<Utc>,
}

impl IdleClock {
    pub(super) fn new(timeout: Duration, now: DateTime<Utc>) -> Self {
        Self { timeout, last_activity: now }
    }

    pub(super) fn touch(&mut self, now: DateTime<Utc>) {
        self.last_activity = now;
    }
}

/// Checks an idle timeout, in minutes, against the clinic's bounds (before asking for a login, a
/// front end may check what was typed with this).
pub fn valid_idle_timeout(minutes: i64) -> Check<i64> {
    in_range(Field::IdleTimeout, minutes, MIN_IDLE_MINUTES, MAX_IDLE_MINUTES)
}

/// The clinic's idle timeout (a clinic-wide setting carried by the change log). A stored value
/// outside the bounds (edited in the database) is not applied; the default is.
pub(super) fn configured_timeout(conn: &Connection) -> Result<Duration> {
    let minutes: Option<String> =
        conn.query_row("SELECT value FROM clinic_settings WHERE key = ?1", [IDLE_SETTING], |r| r.get(0)).optional()?;
    let minutes = minutes
        .and_then(|m| m.parse::<i64>().ok())
        .and_then(|m| valid_idle_timeout(m).ok())
        .unwrap_or(DEFAULT_IDLE_MINUTES);
    Ok(Duration::minutes(minutes))
}

impl Clinic {
    /// Locks now: records the lock, then drops the database connection and every key.
    pub fn lock(&mut self) -> Result<()> {
        if self.keys.is_none() {
            return Ok(());
        }
        crate::log_safe!(info, "session locked", user = crate::log::LoginName::of(&self.user), idle = false);
        self.lock_recording(NewEvent::allowed(Action::Lock, None, None))
    }

    /// Records the lock and pins the audit head, then drops every key, even when recording or
    /// pinning failed (a lock must never leave a session open); such a failure is returned.
    fn lock_recording(&mut self, event: NewEvent) -> Result<()> {
        let recorded = self.record(vec![event]).and_then(|()| self.save_pins());
        self.keys = None;
        self.grants.clear();
        recorded
    }

    pub fn is_locked(&self) -> bool {
        self.keys.is_none()
    }

    /// Called before every operation: past the idle timeout the session locks itself.
    pub(super) fn check_idle(&mut self) -> Result<()> {
        if self.lock_if_idle()? {
            return Err(Error::SessionLocked);
        }
        self.idle.touch(self.now());
        Ok(())
    }

    /// Applies the idle timeout without counting as activity (a window's periodic check); true
    /// when the session is locked.
    pub fn lock_if_idle(&mut self) -> Result<bool> {
        if self.keys.is_none() {
            return Ok(true);
        }
        if self.now() - self.idle.last_activity > self.idle.timeout {
            let minutes = self.idle.timeout.num_minutes();
            crate::log_safe!(
                info,
                "session locked",
                user = crate::log::LoginName::of(&self.user),
                idle = true,
                timeout_minutes = minutes
            );
            let event = NewEvent::allowed(Action::Lock, None, None)
                .with_reason(format!("idle for more than {minutes} minutes"));
            self.lock_recording(event)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The clinic's idle timeout in minutes, as this session applies it.
    pub fn idle_timeout_minutes(&self) -> i64 {
        self.idle.timeout.num_minutes()
    }

    /// Sets the clinic's idle timeout (admin only), within [`MIN_IDLE_MINUTES`] and
    /// [`MAX_IDLE_MINUTES`].
    pub fn set_idle_timeout(&mut self, minutes: i64) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let minutes = valid_idle_timeout(minutes)?;
        self.commit(OpenBody::SettingChanged { key: IDLE_SETTING.into(), value: minutes.to_string() })?;
        self.idle.timeout = Duration::minutes(minutes);
        crate::log_safe!(info, "idle timeout set", minutes = minutes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_setting(value: &str) -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        crate::store::migrations::migrate(&mut conn).expect("migrate");
        conn.execute("INSERT INTO clinic_settings (key, value) VALUES (?1, ?2)", [IDLE_SETTING, value]).expect("set");
        conn
    }

    #[test]
    fn the_idle_timeout_stays_within_the_clinics_bounds() {
        assert!(valid_idle_timeout(MIN_IDLE_MINUTES).is_ok() && valid_idle_timeout(MAX_IDLE_MINUTES).is_ok());
        for outside in [MIN_IDLE_MINUTES - 1, MAX_IDLE_MINUTES + 1, -5] {
            assert_eq!(valid_idle_timeout(outside).expect_err("outside").field, Field::IdleTimeout);
        }
        assert!((MIN_IDLE_MINUTES..=MAX_IDLE_MINUTES).contains(&DEFAULT_IDLE_MINUTES));
    }

    #[test]
    fn a_stored_timeout_outside_the_bounds_is_not_applied() {
        let minutes = |value: &str| configured_timeout(&store_with_setting(value)).expect("read").num_minutes();
        assert_eq!(minutes("15"), 15);
        assert_eq!(minutes("100000"), DEFAULT_IDLE_MINUTES, "a desk edit cannot switch the lock off");
        assert_eq!(minutes("0"), DEFAULT_IDLE_MINUTES);
    }
}
