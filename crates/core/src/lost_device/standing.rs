//! What a device knows of its standing with the clinic outside its chart database: the clinic
//! root it checks wipe orders from, the lease policy the chain last said, when its last lease
//! arrived and the highest reading its clock has shown, and how many of its own changes the
//! server had acknowledged at the last sync (`unsent.rs` counts those written). It is kept as a keyring record beside the device secret, like the
//! login guard's counters: out of reach of whoever can only edit files in the data folder. A
//! colleague with this computer's OS account can rewrite it (and so script past the lease); the
//! design says so ("The app enforces this; someone holding a password can script past it").

use serde::{Deserialize, Serialize};

use crate::chain::{Hex32, LeasePolicy};
use crate::vault::DeviceSecretStore;
use crate::Result;

pub const RECORD: &str = "standing";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The clinic root this device verified at its last unlock (or its enrollment).
    #[serde(default)]
    pub root: Option<Hex32>,
    /// The membership chain head (sequence, hash) this device last verified: a check-in answer
    /// must extend it, so a server cannot serve an older chain or a fork (a wipe order signed
    /// with a key the clinic has since disabled, a self-wipe policy since withdrawn).
    #[serde(default)]
    pub chain_head: Option<(u64, Hex32)>,
    /// The lease policy of the chain this device last verified.
    #[serde(default)]
    pub policy: LeasePolicy,
    /// When its last lease arrived, on this computer's clock (Unix seconds, never below an
    /// earlier reading): `None` before the first.
    #[serde(default)]
    pub lease_received_at: Option<i64>,
    /// The key the server signs leases with, as first seen over the pinned connection.
    #[serde(default)]
    pub server_key: Option<Hex32>,
    /// The highest reading this computer's clock has shown (Unix seconds): a clock wound back
    /// does not make a lease younger.
    #[serde(default)]
    pub clock_high: i64,
    /// How many of this device's own changes the server had acknowledged at the last sync.
    #[serde(default)]
    pub own_acknowledged: u64,
}

impl Standing {
    /// The record for `device`; an absent or unreadable one reads as empty (what it guards is
    /// then asked for again: a lease at the next unlock, the root at the next login).
    pub fn load(secrets: &dyn DeviceSecretStore, device: &str) -> Result<Self> {
        let bytes = secrets.load_record(device, RECORD)?;
        Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default())
    }

    pub fn store(&self, secrets: &dyn DeviceSecretStore, device: &str) -> Result<()> {
        let bytes = serde_json::to_vec(self).map_err(|_| crate::Error::InvalidState("the standing record"))?;
        secrets.store_record(device, RECORD, &bytes)
    }

    /// Takes a clock reading; returns the highest one seen (the clock the lease is measured on).
    pub fn observe_clock(&mut self, now: i64) -> i64 {
        self.clock_high = self.clock_high.max(now);
        self.clock_high
    }

    /// Pins `head` if it is at or beyond the one pinned (a chain verified from the root that
    /// the caller has checked extends it).
    pub fn pin_head(&mut self, head: (u64, Hex32)) {
        if self.chain_head.is_none_or(|(seq, _)| head.0 >= seq) {
            self.chain_head = Some(head);
        }
    }

    /// A lease arrived now.
    pub fn take_lease(&mut self, now: i64) {
        self.lease_received_at = Some(self.observe_clock(now));
    }
}
