//! What a device and the server say to each other. Envelopes travel as their exact bytes.

use uuid::Uuid;

use super::frontier::Frontier;

/// The server's identity and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerState {
    /// Made when the server's database is created; a restore from backup keeps it, so a client
    /// finds a restore by the frontier falling below what the server acknowledged.
    pub instance: Uuid,
    pub frontier: Frontier,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRequest {
    pub envelopes: Vec<Vec<u8>>,
}

/// What became of one pushed envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored durably: acknowledged.
    Stored,
    /// The same bytes were already held: a harmless repeat.
    AlreadyHeld,
    /// Not at the device's frontier + 1: the server holds only up to `held`.
    Gap { held: u64 },
    /// Different bytes at a sequence already held: refused and reported.
    Fork,
    /// Refused (unknown or revoked device, bad signature, malformed): the reason, for the log.
    Refused(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushResponse {
    pub outcomes: Vec<PushOutcome>,
    pub state: ServerState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    /// What the client holds; the server sends what lies beyond it.
    pub have: Frontier,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullResponse {
    /// In (device, sequence) order, each device's run starting right after `have`.
    pub envelopes: Vec<Vec<u8>>,
    /// Whether more waits beyond this page.
    pub more: bool,
    pub state: ServerState,
}

/// Membership chain links, numbered from `first` (each its exact signed body and signature).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainLinks {
    pub first: u64,
    pub links: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Users' vault records (`mamori_core::vault::vault_record`): each its exact bytes and its user's
/// signature. The server keeps the newest of each user's, checked against the chain; it cannot
/// open them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultRecords {
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Clinic data key wraps (`mamori_core::vault::WrappedDataKey` bytes), which the server cannot open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyWraps {
    pub wraps: Vec<Vec<u8>>,
}

/// What became of an audit batch, and what the server now holds of the device's audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditOutcome {
    Stored,
    /// Every event was held already, with the same bytes.
    AlreadyHeld,
    /// The batch does not start right after what the server holds.
    Gap,
    /// Other bytes at a held place: a rewrite of events already shipped. Refused and kept.
    Fork,
}

/// The server's answer to an audit batch: the outcome, the device's audit head it holds
/// (sequence, hash), its countersignature over that head (`wire::audit::anchor_message`), and the
/// key that signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReceipt {
    pub outcome: AuditOutcome,
    pub seq: u64,
    pub hash: [u8; 32],
    pub countersignature: Vec<u8>,
    pub server_key: [u8; 32],
}

/// Audit events from every device (device, sequence, the event's JSON), for a report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEvents {
    pub events: Vec<(String, u64, Vec<u8>)>,
}
