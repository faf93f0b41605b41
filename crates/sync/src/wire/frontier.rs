//! A frontier: for each device, the highest sequence held with no gap below it, and that
//! envelope's hash. The server answers one; a client pulls what its own lacks.

use std::collections::BTreeMap;

use super::envelope::Hash32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub seq: u64,
    pub hash: Hash32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier(pub BTreeMap<String, Position>);

impl Frontier {
    /// The highest sequence held for `device` (0 when none).
    pub fn seq(&self, device: &str) -> u64 {
        self.0.get(device).map_or(0, |p| p.seq)
    }

    pub fn get(&self, device: &str) -> Option<&Position> {
        self.0.get(device)
    }

    /// How many envelopes `other` holds that this frontier lacks.
    pub fn behind(&self, other: &Frontier) -> u64 {
        other.0.iter().map(|(device, p)| p.seq.saturating_sub(self.seq(device))).sum()
    }
}
