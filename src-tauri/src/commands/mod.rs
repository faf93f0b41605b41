//! The IPC commands, by screen. Each is a short adapter: take the arguments, call the core on the
//! window's session, return the core's answer. Every one is `async` so the window's main thread
//! never waits on Argon2id or the disk.

pub mod admin;
pub mod alerts;
pub mod chart;
pub mod clinical_key;
pub mod devices;
pub mod front_desk;
pub mod join;
pub mod posture;
pub mod session;
pub mod sync;
