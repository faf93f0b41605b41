//! The membership chain (DESIGN.md, "The key hierarchy"): an append-only, hash-linked list of
//! signed links that says who is in the clinic, with which role and keys, and which clinical key
//! epochs exist. Rule zero: trust comes from signatures, not rows. The first link is signed by
//! the clinic root key, whose private half is on no device (only in the printed recovery kit);
//! every later link by an administrator (users, roles, disabling) or by a clinician (clinical key
//! epochs, confirming a new recipient), each checked against the power its signer held at the
//! link before; devices are invited by an administrator and accept with the key their one-time
//! enrollment code derives (`devices.rs`). Every user pins the root and the head they verified in their own sealed key-file
//! entry; a login verifies the stored chain from that root and refuses one that does not extend
//! the pinned head. The `membership_links` table is only where the links are kept.

mod devices;
mod link;
mod membership;
mod root;
mod statement;
mod store;

pub use devices::{DataEpochRecord, DeviceRecord, Devices, LeasePolicy};
pub use link::{genesis_prev, Body, Link};
pub use membership::{EpochRecord, Member, Membership};
pub use root::{fingerprint, RecoveryKit, RootKey};
pub use statement::{Hex32, Statement};
pub use store::{append, load};

/// Where and why the chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    pub seq: u64,
    pub problem: &'static str,
}

impl ChainError {
    pub fn new(seq: u64, problem: &'static str) -> Self {
        Self { seq, problem }
    }
}

impl From<ChainError> for crate::Error {
    fn from(error: ChainError) -> Self {
        crate::Error::ChainBroken { seq: error.seq, problem: error.problem }
    }
}

/// A commitment to a clinic data key: what the chain records for a data key epoch, so a wrap
/// is accepted only if it opens to exactly that key (a server cannot hand a device its own).
pub fn data_key_commitment(epoch: u32, key: &crate::secret::Key32) -> Hex32 {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(b"mamori cdk commitment v1\0")
        .chain_update(epoch.to_be_bytes())
        .chain_update(key.expose())
        .finalize()
        .into()
}

/// A commitment to a clinical section key: what the chain records for an epoch, so a wrap is
/// accepted only if it opens to exactly that key.
pub fn key_commitment(epoch: u32, key: &crate::secret::Key32) -> Hex32 {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(b"mamori csk commitment v1\0")
        .chain_update(epoch.to_be_bytes())
        .chain_update(key.expose())
        .finalize()
        .into()
}
