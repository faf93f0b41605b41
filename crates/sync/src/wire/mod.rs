//! The versioned wire format: sealed change envelopes and what a device and the server exchange.

pub mod audit;
pub mod auth;
pub mod clinic_audit;
pub mod codec;
pub mod envelope;
pub mod frontier;
pub mod messages;
pub mod standing;

pub use clinic_audit::{AuditBatches, AuditBatchesRequest};
pub use codec::Codec;
pub use envelope::{genesis_prev, DataKey, Envelope, Hash32, Header};
pub use frontier::{Frontier, Position};
pub use messages::{
    AuditEvents, AuditOutcome, AuditReceipt, ChainLinks, KeyWraps, PullRequest, PullResponse, PushOutcome, PushRequest,
    PushResponse, ServerState, VaultRecords,
};
pub use standing::{CheckIn, CheckInRequest, DeviceReport, DeviceReports, Lease, Signed, WipeAck, WipeAcks};

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod envelope_tests;
