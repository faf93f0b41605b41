//! Seeded randomness for the generator.

use rand::seq::IndexedRandom;
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn range(&mut self, low: i64, high_inclusive: i64) -> i64 {
        self.0.random_range(low..=high_inclusive)
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.0.random_range(0..len.max(1))
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.0).expect("the generator's lists are never empty")
    }

    /// Biased toward the front (the surname and town lists are most-common-first).
    pub fn pick_common<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let (a, b) = (self.index(items.len()), self.index(items.len()));
        &items[a.min(b)]
    }
}
