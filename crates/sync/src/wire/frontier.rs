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

/// SQL (SQLite) giving each device's highest envelope in `table` (columns device, seq, hash): the
/// devices are visited by index seeks, hopping from one to the next (a loose index scan), never by
/// reading every envelope. Used by devices and by the server's SQLite backend.
pub fn frontier_query(table: &str) -> String {
    format!(
        "WITH RECURSIVE devices(device) AS (
             SELECT (SELECT min(device) FROM {table})
             UNION ALL
             SELECT (SELECT min(device) FROM {table} WHERE device > devices.device) FROM devices
             WHERE devices.device IS NOT NULL
         )
         SELECT e.device, e.seq, e.hash FROM devices
         JOIN {table} e ON e.device = devices.device
          AND e.seq = (SELECT max(seq) FROM {table} WHERE device = devices.device)"
    )
}
