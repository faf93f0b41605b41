//! Where the server keeps envelopes: one trait, an embedded SQLite backend (the default) and,
//! for clinics that outgrow one box, PostgreSQL. Nothing is kept outside the database, so two
//! server processes can share one.

pub mod sqlite;

use mamori_sync::wire::{Frontier, Hash32};
use uuid::Uuid;

use crate::Result;

/// An envelope the service has read and whose device signature it has checked.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub device: String,
    pub seq: u64,
    pub prev: Hash32,
    pub hash: Hash32,
    /// What the device's first envelope must name as its predecessor.
    pub genesis: Hash32,
    pub bytes: Vec<u8>,
}

/// What became of one incoming envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    Stored,
    AlreadyHeld,
    /// Not the device's next: the server holds up to `held`.
    Gap {
        held: u64,
    },
    /// Other bytes at a place already held, or a predecessor other than the one held.
    Fork,
}

#[allow(async_fn_in_trait)] // used generically, never as a trait object
pub trait Storage: Send + Sync {
    /// Made when the database is created.
    async fn instance(&self) -> Result<Uuid>;
    async fn frontier(&self) -> Result<Frontier>;
    /// Stores each envelope that is its device's next, in order, in one transaction, durably
    /// before it returns.
    async fn append(&self, batch: Vec<Incoming>) -> Result<Vec<Stored>>;
    /// Envelopes beyond `have`, in (device, sequence) order, at most `limit`; and whether more wait.
    async fn page(&self, have: &Frontier, limit: u32) -> Result<(Vec<Vec<u8>>, bool)>;
}
