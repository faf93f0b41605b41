//! What a user has verified, pinned in their own sealed key-file entry so that nobody without
//! their password can move it back: the clinic root and the membership chain's head, and the
//! device's audit signing key and the audit chain's head at their last login, lock or logout
//! (DESIGN.md, "The key hierarchy"). A later login checks both chains against the pins.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditPin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainPin>,
    /// The link of the newest second-factor reset this user redeemed (each redeems once).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub second_factor_reset_redeemed: u64,
    /// An administrator's disables begun (entry removed, database rekeyed) but not yet signed
    /// into the chain: finished at their next login, and nobody on it is sent a database key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_disables: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The membership chain as a user last verified it: the clinic root (the clinic's identity) and
/// the head. A login refuses a chain from another root or one that does not extend the head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPin {
    #[serde(with = "hex::serde")]
    pub root: [u8; 32],
    pub seq: u64,
    #[serde(with = "hex::serde")]
    pub hash: [u8; 32],
}

/// The audit chain as a user last saw it on this device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPin {
    /// The device's audit verifying key (Ed25519).
    #[serde(with = "hex::serde")]
    pub verifying_key: [u8; 32],
    /// The newest event then, and its chain hash.
    pub seq: u64,
    #[serde(with = "hex::serde")]
    pub hash: [u8; 32],
}
