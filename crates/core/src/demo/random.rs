//! Seeded randomness for the demo: the same seed gives the same clinic.

use chrono::{DateTime, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

pub struct DemoRng(ChaCha8Rng);

impl DemoRng {
    pub fn seeded(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn range(&mut self, low: i64, high_inclusive: i64) -> i64 {
        self.0.random_range(low..=high_inclusive)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.0).expect("demo catalogs are never empty")
    }

    /// Picks with a bias toward the front of the list (the catalogs are most-common-first).
    pub fn pick_common<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let a = self.0.random_range(0..items.len());
        let b = self.0.random_range(0..items.len());
        &items[a.min(b)]
    }

    /// Approximately normal (Irwin–Hall with four terms).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let sum: f64 = (0..4).map(|_| self.0.random::<f64>()).sum();
        mean + (sum - 2.0) * sd * 3f64.sqrt()
    }

    /// A UUIDv7 for a record made at `at`, with seeded random bits.
    pub fn id_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let random: [u8; 10] = self.0.random();
        uuid::Builder::from_unix_timestamp_millis(u64::try_from(at.timestamp_millis()).unwrap_or(0), &random)
            .into_uuid()
    }
}
