//! Locking: on request or after the clinic's idle timeout, a session drops every key it holds;
//! it continues only after password and one-time code again.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::changelog::ChangeBody;
use crate::domain::validation::{in_range, Field};
use crate::policy::{Access, Section};
use crate::{Error, Result};

pub const DEFAULT_IDLE_MINUTES: i64 = 10;
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

/// The clinic's idle timeout (a clinic-wide setting carried by the change log).
pub(super) fn configured_timeout(conn: &Connection) -> Result<Duration> {
    let minutes: Option<String> =
        conn.query_row("SELECT value FROM clinic_settings WHERE key = ?1", [IDLE_SETTING], |r| r.get(0)).optional()?;
    let minutes = minutes.and_then(|m| m.parse::<i64>().ok()).unwrap_or(DEFAULT_IDLE_MINUTES);
    Ok(Duration::minutes(minutes))
}

impl Clinic {
    /// Locks now: records the lock, then drops the database connection and every key.
    pub fn lock(&mut self) -> Result<()> {
        if self.keys.is_none() {
            return Ok(());
        }
        self.lock_recording(NewEvent::allowed(Action::Lock, None, None))
    }

    fn lock_recording(&mut self, event: NewEvent) -> Result<()> {
        self.record(vec![event])?;
        self.keys = None;
        self.grants.clear();
        Ok(())
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

    /// Sets the clinic's idle timeout (admin only), 1 to 240 minutes.
    pub fn set_idle_timeout(&mut self, minutes: i64) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        in_range(Field::IdleTimeout, minutes, 1, 240)?;
        self.commit(vec![ChangeBody::SettingChanged { key: IDLE_SETTING.into(), value: minutes.to_string() }])?;
        self.idle.timeout = Duration::minutes(minutes);
        Ok(())
    }
}
