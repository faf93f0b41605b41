//! Timing wrappers: the engine's wait on its transport, and the server's time in its storage.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mamori_server::storage::{
    AuditEntry, AuditStorage, ChainStorage, Incoming, RequestCounters, ShippedBatch, Storage, Stored, StoredLink,
};
use mamori_sync::wire::{
    AuditOutcome, Frontier, Hash32, PullRequest, PullResponse, PushRequest, PushResponse, ServerState,
};
use mamori_sync::Transport;
use uuid::Uuid;

use crate::run::Parts;

/// A transport that adds up the time the engine waits on it.
pub struct TimedTransport<T> {
    inner: T,
    waited: std::cell::Cell<Duration>,
}

impl<T> TimedTransport<T> {
    pub fn new(inner: T) -> Self {
        Self { inner, waited: std::cell::Cell::default() }
    }

    pub fn take(&self) -> f64 {
        self.waited.take().as_secs_f64()
    }

    async fn time<R>(&self, work: impl Future<Output = R>) -> R {
        let started = Instant::now();
        let out = work.await;
        self.waited.set(self.waited.get() + started.elapsed());
        out
    }
}

impl<T: Transport> Transport for TimedTransport<T> {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        self.time(self.inner.state()).await
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        self.time(self.inner.push(request)).await
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        self.time(self.inner.pull(request)).await
    }
}

/// A server storage that adds up the time spent in it: appends, pages, and everything else. A
/// storage trait added to `mamori_server::http::Backend` needs a delegating impl here.
pub struct Timed<S> {
    inner: S,
    append_ns: AtomicU64,
    page_ns: AtomicU64,
    other_ns: AtomicU64,
}

impl<S> Timed<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, append_ns: AtomicU64::new(0), page_ns: AtomicU64::new(0), other_ns: AtomicU64::new(0) }
    }

    pub fn snapshot(&self) -> [u64; 3] {
        [&self.append_ns, &self.page_ns, &self.other_ns].map(|c| c.load(Ordering::Relaxed))
    }
}

/// The phase's parts from the server's counters before and after it (nanoseconds).
pub fn parts_since(before: [u64; 3], now: [u64; 3], transport: f64, push: bool) -> Parts {
    let s = |i: usize| now[i].saturating_sub(before[i]) as f64 / 1e9;
    Parts { transport, storage_main: if push { s(0) } else { s(1) }, storage_other: s(2) }
}

async fn add_time<R>(counter: &AtomicU64, work: impl Future<Output = R>) -> R {
    let started = Instant::now();
    let out = work.await;
    counter.fetch_add(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    out
}

impl<S: Storage> Storage for Timed<S> {
    async fn instance(&self) -> mamori_server::Result<Uuid> {
        add_time(&self.other_ns, self.inner.instance()).await
    }

    async fn frontier(&self) -> mamori_server::Result<Frontier> {
        add_time(&self.other_ns, self.inner.frontier()).await
    }

    async fn append(&self, batch: Vec<Incoming>) -> mamori_server::Result<Vec<Stored>> {
        add_time(&self.append_ns, self.inner.append(batch)).await
    }

    async fn page(&self, have: &Frontier, limit: u32) -> mamori_server::Result<(Vec<Vec<u8>>, bool)> {
        add_time(&self.page_ns, self.inner.page(have, limit)).await
    }
}

impl<S: RequestCounters> RequestCounters for Timed<S> {
    async fn advance_counter(&self, device: &str, counter: u64) -> mamori_server::Result<Result<(), u64>> {
        add_time(&self.other_ns, self.inner.advance_counter(device, counter)).await
    }
}

impl<S: AuditStorage> AuditStorage for Timed<S> {
    async fn append_audit(
        &self,
        device: &str,
        prev: Option<Hash32>,
        entries: Vec<AuditEntry>,
        shipped: ShippedBatch,
    ) -> mamori_server::Result<(AuditOutcome, u64, Hash32)> {
        self.inner.append_audit(device, prev, entries, shipped).await
    }

    async fn audit_batches(
        &self,
        since: i64,
        after: u64,
        limit: usize,
    ) -> mamori_server::Result<mamori_server::storage::BatchPage> {
        self.inner.audit_batches(since, after, limit).await
    }

    async fn audit_for_patient(&self, patient: &str) -> mamori_server::Result<Vec<(String, u64, Vec<u8>)>> {
        self.inner.audit_for_patient(patient).await
    }
}

impl<S: ChainStorage> ChainStorage for Timed<S> {
    async fn links_after(&self, after: u64) -> mamori_server::Result<Vec<StoredLink>> {
        add_time(&self.other_ns, self.inner.links_after(after)).await
    }

    async fn append_links(&self, first: u64, links: Vec<(Vec<u8>, Vec<u8>)>) -> mamori_server::Result<bool> {
        self.inner.append_links(first, links).await
    }

    async fn put_wrap(&self, device: &str, bytes: Vec<u8>) -> mamori_server::Result<()> {
        self.inner.put_wrap(device, bytes).await
    }

    async fn wraps_for(&self, device: &str) -> mamori_server::Result<Vec<Vec<u8>>> {
        self.inner.wraps_for(device).await
    }

    async fn put_vault_record(
        &self,
        user: &str,
        version: u64,
        record: (Vec<u8>, Vec<u8>),
    ) -> mamori_server::Result<bool> {
        self.inner.put_vault_record(user, version, record).await
    }

    async fn vault_records(&self) -> mamori_server::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.inner.vault_records().await
    }

    async fn put_wipe_ack(&self, device: &str, ack: (Vec<u8>, Vec<u8>)) -> mamori_server::Result<()> {
        self.inner.put_wipe_ack(device, ack).await
    }

    async fn wipe_acks(&self) -> mamori_server::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.inner.wipe_acks().await
    }

    async fn note_check_in(&self, report: mamori_sync::wire::DeviceReport) -> mamori_server::Result<()> {
        self.inner.note_check_in(report).await
    }

    async fn device_reports(&self) -> mamori_server::Result<Vec<mamori_sync::wire::DeviceReport>> {
        self.inner.device_reports().await
    }
}
