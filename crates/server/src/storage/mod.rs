//! Where the server keeps envelopes: one trait, an embedded SQLite backend (the default) and,
//! for clinics that outgrow one box, PostgreSQL. Nothing is kept outside the database, so two
//! server processes can share one.

pub mod postgres;
pub mod sqlite;

use std::future::Future;

use mamori_sync::wire::{DeviceReport, Frontier, Hash32};
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

/// Implementations may write `async fn`; the futures must be `Send` (the HTTP server runs them on
/// a multi-threaded runtime).
pub trait Storage: Send + Sync + 'static {
    /// Made when the database is created.
    fn instance(&self) -> impl Future<Output = Result<Uuid>> + Send;
    fn frontier(&self) -> impl Future<Output = Result<Frontier>> + Send;
    /// Stores each envelope that is its device's next, in order, in one transaction, durably
    /// before it returns.
    fn append(&self, batch: Vec<Incoming>) -> impl Future<Output = Result<Vec<Stored>>> + Send;
    /// Envelopes beyond `have`, in (device, sequence) order, at most `limit`; and whether more wait.
    fn page(&self, have: &Frontier, limit: u32) -> impl Future<Output = Result<(Vec<Vec<u8>>, bool)>> + Send;
}

/// Each device's highest request counter, kept in the database so that a captured request
/// replayed to this or another server instance is refused.
pub trait RequestCounters: Send + Sync + 'static {
    /// Raises the device's counter to `counter` if it is higher than the one held; `Err(floor)`
    /// (the lowest counter that would be taken) otherwise.
    fn advance_counter(
        &self,
        device: &str,
        counter: u64,
    ) -> impl Future<Output = Result<std::result::Result<(), u64>>> + Send;
}

/// A stored chain link: its sequence, its exact signed body and its signature.
pub type StoredLink = (u64, Vec<u8>, Vec<u8>);

/// The membership chain and the clinic data key wraps, as the server keeps them. The server
/// verifies every link against the clinic root before it stores it (it holds no signing key, so
/// it can only store what an administrator, a clinician or an enrollment code signed); it cannot
/// open a wrap.
pub trait ChainStorage: Send + Sync + 'static {
    /// Links after `after`, in order: (sequence, body, signature).
    fn links_after(&self, after: u64) -> impl Future<Output = Result<Vec<StoredLink>>> + Send;
    /// Stores `links` as sequences `first`, `first + 1` … only if `first` is the stored head + 1;
    /// `Ok(false)` (nothing stored) if another process stored links there first.
    fn append_links(&self, first: u64, links: Vec<(Vec<u8>, Vec<u8>)>) -> impl Future<Output = Result<bool>> + Send;
    /// Keeps a wrap for `device` (the same bytes twice are kept once).
    fn put_wrap(&self, device: &str, bytes: Vec<u8>) -> impl Future<Output = Result<()>> + Send;
    /// Every wrap kept for `device`.
    fn wraps_for(&self, device: &str) -> impl Future<Output = Result<Vec<Vec<u8>>>> + Send;
    /// Keeps `user`'s vault record if `version` is newer than the one held; `Ok(false)` if not.
    fn put_vault_record(
        &self,
        user: &str,
        version: u64,
        record: (Vec<u8>, Vec<u8>),
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The newest vault record of every user: (bytes, signature).
    fn vault_records(&self) -> impl Future<Output = Result<Vec<(Vec<u8>, Vec<u8>)>>> + Send;
    /// Keeps a wiped device's signed acknowledgement (the first one it sends).
    fn put_wipe_ack(&self, device: &str, ack: (Vec<u8>, Vec<u8>)) -> impl Future<Output = Result<()>> + Send;
    /// Every wiped device's acknowledgement: (bytes, signature), by device.
    fn wipe_acks(&self) -> impl Future<Output = Result<Vec<(Vec<u8>, Vec<u8>)>>> + Send;
    /// Notes a device's check-in (server time, Unix seconds): what it said of itself, and whether
    /// it got a lease.
    fn note_check_in(&self, report: DeviceReport) -> impl Future<Output = Result<()>> + Send;
    /// What the server last heard from every device, by device.
    fn device_reports(&self) -> impl Future<Output = Result<Vec<DeviceReport>>> + Send;
}

/// One audit event as the server keeps it: its sequence, exact body, hash, and the patient it
/// names (read from the body by the service, for the clinic-wide report).
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub seq: u64,
    pub body: Vec<u8>,
    pub hash: Hash32,
    pub patient: Option<String>,
}

/// A page of signed audit batches, each with its number, and whether more follow.
pub type BatchPage = (Vec<(u64, Vec<u8>)>, bool);

/// A device's audit batch exactly as it signed it, kept beside its events so an administrator's
/// device can check every event against its device's key (it does not trust the server's rows);
/// `newest_at` (Unix seconds, the latest event time in it) lets it ask for recent weeks only.
#[derive(Clone, Debug)]
pub struct ShippedBatch {
    pub bytes: Vec<u8>,
    pub newest_at: i64,
}

/// Whether a batch of audit events starting at `first`, after `prev`, cannot be stored against a
/// chain held up to `held` (hash `held_hash`): a gap, or another predecessor than the one held.
/// `None`: compare the events one by one.
pub(crate) fn audit_boundary(
    held: u64,
    held_hash: &Hash32,
    first: u64,
    prev: Option<Hash32>,
) -> Option<mamori_sync::wire::AuditOutcome> {
    use mamori_sync::wire::AuditOutcome;
    if first > held + 1 {
        Some(AuditOutcome::Gap)
    } else if first == held + 1 && held > 0 && prev != Some(*held_hash) {
        Some(AuditOutcome::Fork)
    } else {
        None
    }
}

/// Every device's audit chain as shipped: gap-free per device; other bytes at a held place (a
/// rewrite of what was shipped) are refused and kept.
pub trait AuditStorage: Send + Sync + 'static {
    /// Stores `entries` (consecutive, from `first`, chaining from `prev`) where they follow what
    /// is held, and the signed batch they came in when it added any; returns the outcome and the
    /// device's head after it (sequence, hash).
    fn append_audit(
        &self,
        device: &str,
        prev: Option<Hash32>,
        entries: Vec<AuditEntry>,
        shipped: ShippedBatch,
    ) -> impl Future<Output = Result<(mamori_sync::wire::AuditOutcome, u64, Hash32)>> + Send;
    /// Up to `limit` signed batches numbered after `after` holding events at or after `since`
    /// (Unix seconds), by number; and whether more follow.
    fn audit_batches(&self, since: i64, after: u64, limit: usize) -> impl Future<Output = Result<BatchPage>> + Send;
    /// Every device's events naming `patient`: (device, sequence, body), by device and sequence.
    fn audit_for_patient(&self, patient: &str) -> impl Future<Output = Result<Vec<(String, u64, Vec<u8>)>>> + Send;
}
