//! Lost devices (DESIGN.md, "Lost devices"), on the device itself: what it knows of its standing
//! with the clinic outside its database (`standing.rs`, a keyring record beside its device
//! secret), how old its offline lease is on a clock that never runs back (`lease.rs`), and how
//! it destroys its chart when the clinic orders it (`wipe.rs`). The order itself is a link of the
//! membership chain, checked from the clinic root this device pinned (`order.rs`), so a server
//! cannot forge one.
//!
//! Everything here runs before anyone logs in: a locked device reads no table.

mod lease;
mod order;
mod standing;
mod unsent;
mod wipe;

pub use lease::{LeaseVerdict, DAY_SECS};
pub use order::{find_wipe_order, WipeOrder};
pub use standing::{Standing, RECORD as STANDING_RECORD};
pub use unsent::{add_own_changes, note_own_changes, own_changes_written};
pub use wipe::{wipe, Wiped};

use crate::clinic::DataDir;
use crate::vault::KeyFile;
use crate::Result;

/// The device id the key file beside the chart names (not secret; the keyring entries are
/// named by it).
pub fn device_id_of(dir: &DataDir) -> Result<String> {
    Ok(KeyFile::load(&dir.key_file())?.device_id)
}
