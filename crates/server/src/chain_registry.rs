//! The devices the server serves, from the membership chain it stores — verified from the clinic
//! root fingerprint given at `mamori server init`, never from a table an intruder could edit. The
//! server holds no signing key: it can store links others signed, not write its own.

use std::sync::RwLock;

use mamori_core::chain::{Hex32, Link, Membership};
use mamori_sync::wire::Hash32;

use crate::service::DeviceRegistry;

/// Where a device stands in the verified chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Enrolled and not revoked: signs with its device key.
    Active(Hash32),
    /// Invited, not yet accepted: signs with its enrollment code's key, and may only read and
    /// extend the chain (to accept).
    Invited(Hash32),
    /// Revoked and ordered wiped: signs with its device key, and may only check in (to learn of
    /// the order) and acknowledge the wipe.
    Lost(Hash32),
}

pub struct ChainRegistry {
    root: Hex32,
    state: RwLock<Option<Membership>>,
}

impl ChainRegistry {
    pub fn new(root: Hex32) -> Self {
        Self { root, state: RwLock::new(None) }
    }

    pub fn root(&self) -> &Hex32 {
        &self.root
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Membership>> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The verified head's sequence (0 before any link).
    pub fn head(&self) -> u64 {
        self.read().as_ref().map_or(0, |m| m.head().0)
    }

    /// The membership `links` (numbered from `first`) would give on top of the verified chain,
    /// if every one of them verifies there; nothing is adopted.
    pub fn check(&self, first: u64, links: &[Link]) -> Result<Membership, String> {
        let current = self.read().clone();
        if first != current.as_ref().map_or(0, |m| m.head().0) + 1 {
            return Err("the links do not start right after the chain's head".into());
        }
        match current {
            None => Membership::verify(&self.root, links).map_err(|e| format!("link {}: {}", e.seq, e.problem)),
            Some(mut membership) => {
                for link in links {
                    membership.apply(link).map_err(|e| format!("link {}: {}", e.seq, e.problem))?;
                }
                Ok(membership)
            }
        }
    }

    /// Takes a membership [`ChainRegistry::check`] gave (if it is ahead of the one held).
    pub fn adopt(&self, membership: Membership) {
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.as_ref().is_none_or(|m| m.head().0 < membership.head().0) {
            *state = Some(membership);
        }
    }

    /// The signing key of `user` if the verified chain says they are an enabled administrator.
    pub fn admin_key(&self, user: &str) -> Option<Hash32> {
        let state = self.read();
        let member = state.as_ref()?.member(user)?;
        (member.accepted() && !member.disabled && member.role == mamori_core::domain::Role::Admin)
            .then_some(member.signing_key)
    }

    /// The signing key of `user` if the verified chain says they accepted their invitation and
    /// are enabled.
    pub fn user_key(&self, user: &str) -> Option<Hash32> {
        let state = self.read();
        let member = state.as_ref()?.member(user)?;
        (member.accepted() && !member.disabled).then_some(member.signing_key)
    }

    /// The link that ordered `device` wiped, if one did.
    pub fn wipe_order(&self, device: &str) -> Option<u64> {
        self.read().as_ref()?.devices().get(device)?.wipe_ordered_at
    }

    pub fn standing(&self, device: &str) -> Option<Standing> {
        standing_in(self.read().as_ref()?, device)
    }
}

/// Where `device` stands in `membership`.
pub fn standing_in(membership: &Membership, device: &str) -> Option<Standing> {
    let record = membership.devices().get(device)?;
    if record.revoked_at.is_some() {
        return (record.wipe_ordered_at.is_some() && record.invite_key.is_none())
            .then_some(Standing::Lost(record.signing_key));
    }
    Some(match record.invite_key {
        Some(invite_key) => Standing::Invited(invite_key),
        None => Standing::Active(record.signing_key),
    })
}

impl DeviceRegistry for ChainRegistry {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        match self.standing(device)? {
            Standing::Active(key) => Some(key),
            Standing::Invited(_) | Standing::Lost(_) => None,
        }
    }

    fn envelope_key(&self, device: &str, seq: u64) -> Option<Hash32> {
        let state = self.read();
        let record = state.as_ref()?.devices().get(device)?;
        record.takes_envelope(seq).then_some(record.signing_key)
    }
}
