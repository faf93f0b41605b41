//! Mamori's chart core: domain types, the encrypted store, the key vault, the change log and
//! how changes become state, patient search and the demo clinic.
//!
//! Nothing here knows about windows, HTTP or an async runtime. Every front end (the `mamori` CLI,
//! later the desktop shell) goes through [`clinic::Clinic`].

pub mod audit;
pub mod auth;
pub mod chain;
pub(crate) mod changelog;
pub mod clinic;
pub mod clock;
pub(crate) mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
mod fsutil;
pub mod hardening;
pub mod log;
pub mod lost_device;
pub mod messages;
pub mod policy;
pub mod replication;
pub mod report;
pub mod search;
pub mod secret;
pub(crate) mod store;
pub mod vault;

/// The sealed clinical record format (v2: bound to its place, signed by its author).
pub use changelog::record;
/// What a change does, and the sealed boundary: the log takes an [`OpenBody`] in the clear or a
/// [`SealedBody`], which only [`ClinicalBody::seal`] makes. The log itself stays private.
pub use changelog::{
    ChangeBody, ClinicalBody, ClinicalIndex, ClinicalKind, ClinicalOp, LoggedBody, OpenBody, SealedBody,
};
pub use clinic::alerts;
pub use error::{Error, ErrorCode, ErrorReport, Result};

#[cfg(test)]
mod frozen_formats;
