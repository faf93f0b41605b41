//! Mamori's chart core: domain types, the encrypted store, the key vault, the change log and
//! how changes become state, patient search and the demo clinic.
//!
//! Nothing here knows about windows, HTTP or an async runtime. Every front end (the `mamori` CLI,
//! later the desktop shell) goes through [`clinic::Clinic`].

pub mod audit;
pub mod auth;
pub mod changelog;
pub mod clinic;
pub mod clock;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
mod fsutil;
pub mod messages;
pub mod policy;
pub mod report;
pub mod search;
pub mod secret;
pub mod store;
pub mod vault;

pub use error::{Error, ErrorCode, ErrorReport, Result};
