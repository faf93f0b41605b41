//! A wipe order as the chain proves it: the links verify from the clinic root this device
//! pinned, and a `WipeDevice` link names the enrolled device whose signing key is this device's
//! own (derived from its keyring secret). An order a server made up, or one for another device
//! replayed to this one, is no order.

use crate::chain::{Hex32, Link, Membership};
use crate::Result;

/// The link that ordered this device wiped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WipeOrder {
    pub link: u64,
}

/// Verifies `links` (the whole chain) from `root` and that it extends `pinned` (the head this
/// device verified last, if any); returns the membership they give and, if one of them orders the
/// device named `device` with signing key `mine` wiped, that order.
pub fn find_wipe_order(
    root: &Hex32,
    pinned: Option<(u64, Hex32)>,
    links: &[Link],
    device: &str,
    mine: &Hex32,
) -> Result<(Membership, Option<WipeOrder>)> {
    let membership = Membership::verify(root, links)?;
    if let Some((seq, hash)) = pinned {
        if !membership.contains(seq, &hash) {
            return Err(crate::Error::ChainRolledBack);
        }
    }
    let order = membership
        .devices()
        .with_signing_key(mine)
        .filter(|record| record.name == device)
        .and_then(|record| record.wipe_ordered_at)
        .map(|link| WipeOrder { link });
    Ok((membership, order))
}
