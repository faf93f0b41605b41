//! The sync simulation (`sync_simulation.rs`, a thousand seeds), in a test process of its own.
//!
//! SQLCipher's memory security, which every chart database the other stories open turns on, holds
//! for the whole process: every SQLite allocation afterwards is locked in memory, which made the
//! simulation's plain SQLite replicas and server about eight times slower inside the stories
//! binary (80 s alone, over 10 minutes there).

#[path = "sync_chains.rs"]
mod sync_chains;
#[path = "sync_sim/mod.rs"]
mod sync_sim;
#[path = "sync_simulation.rs"]
mod sync_simulation;
