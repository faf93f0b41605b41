//! Hybrid logical clock stamps: wall-clock milliseconds plus a counter, so stamps from one device
//! always increase even when the wall clock stands still or steps back.

use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:05}", self.wall_ms, self.counter)
    }
}

/// Issues increasing stamps from an injected wall clock.
pub struct HlcClock {
    clock: Box<dyn Clock>,
    last: Mutex<Hlc>,
}

impl HlcClock {
    /// `last` is the newest stamp already issued on this device (from the change log).
    pub fn new(clock: Box<dyn Clock>, last: Hlc) -> Self {
        Self { clock, last: Mutex::new(last) }
    }

    pub fn tick(&self) -> Hlc {
        let wall = self.clock.now().timestamp_millis();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = if wall > last.wall_ms {
            Hlc { wall_ms: wall, counter: 0 }
        } else {
            Hlc { wall_ms: last.wall_ms, counter: last.counter.saturating_add(1) }
        };
        *last = next;
        next
    }

    pub fn wall_clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Gives the wall clock back, for a new session on the same device.
    pub fn into_wall_clock(self) -> Box<dyn Clock> {
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn stamps_increase_even_when_the_wall_clock_stalls_or_steps_back() {
        let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("date"));
        let hlc = HlcClock::new(Box::new(clock.clone()), Hlc::default());
        let a = hlc.tick();
        let b = hlc.tick();
        clock.advance(Duration::seconds(-30));
        let c = hlc.tick();
        clock.advance(Duration::seconds(60));
        let d = hlc.tick();
        assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
        assert_eq!(d.counter, 0);
        assert_eq!(c.wall_ms, a.wall_ms);
    }

    #[test]
    fn a_reopened_device_continues_after_its_last_stamp() {
        let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("date"));
        let last = Hlc { wall_ms: clock.now().timestamp_millis() + 5_000, counter: 7 };
        let hlc = HlcClock::new(Box::new(clock), last);
        assert!(hlc.tick() > last);
    }
}
