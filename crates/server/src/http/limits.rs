//! Per-device rate limits: a token bucket per device in this process. (The limit is per server
//! instance; two instances on one database each allow the rate. Everything that must hold across
//! instances — envelopes, counters — is in the database.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request's token; `Err(seconds)` to wait when the device has none left.
    pub fn take(&self, device: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, at) = buckets.entry(device.to_owned()).or_insert((self.burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let wait = ((1.0 - refilled) / self.per_second).ceil() as u64;
            Err(wait.max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_device_past_its_burst_waits_and_others_do_not() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("desk", now).is_ok());
        }
        assert_eq!(limiter.take("desk", now), Err(1));
        assert!(limiter.take("laptop", now).is_ok(), "buckets are per device");
        assert!(limiter.take("desk", now + Duration::from_millis(600)).is_ok(), "refilled at the rate");
    }
}
