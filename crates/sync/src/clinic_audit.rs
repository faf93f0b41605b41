//! The clinic-wide audit for the insider detector, on an administrator's device: every other
//! device's audit batches, paged from the clinic server by a request the administrator signs,
//! each checked against its device's key in this device's own verified membership chain and
//! against the batches before it from the same device (the hash chain), then handed to the
//! core's detector for this session. The server's rows are not trusted: a batch it altered or
//! invented fails its signature and is left out; events it holds back between batches show as a
//! gap on the alerts page. Events it withholds at the end of a device's chain cannot be seen
//! from here — the device's own scan still flags them, and its check-ins show how much it has
//! not shipped.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use mamori_core::alerts::{AlertCoverage, OtherDevicesAudit, SCAN_DAYS};
use mamori_core::chain::Membership;
use mamori_core::clinic::Clinic;
use mamori_core::replication::audit_event_hash;

use crate::error::Result;
use crate::http::{HttpTransport, UserSigner};
use crate::local::Directory;
use crate::wire::audit::AuditBatch;
use crate::wire::{AuditBatches, AuditBatchesRequest, Hash32};

/// Most pages read in one fetch (64 batches each): far beyond six weeks of a small clinic.
pub const MAX_PAGES: usize = 1000;
/// Most bytes of signed batches read in one fetch, all pages together (a batch is a few hundred
/// bytes per event): a server cannot make an administrator's device hold gigabytes.
pub const MAX_FETCH_BYTES: usize = 256 * 1024 * 1024;

/// Fetches and checks every other device's audit events of the detector's window (six weeks
/// before `now`) and gives them to the session; what the alerts now cover.
pub async fn refresh(clinic: &mut Clinic, transport: &HttpTransport, now: DateTime<Utc>) -> Result<AlertCoverage> {
    clinic.authorize_admin()?;
    let since = (now - Duration::days(SCAN_DAYS)).timestamp();
    let user = clinic.user().name.clone();
    let batches = {
        let session: &Clinic = clinic;
        let sign = |message: &[u8]| session.sign_server_request(message).map_err(crate::Error::from);
        let signer: UserSigner<'_> = (&user, &sign);
        fetch_pages(since, |request| transport.audit_batches(request, signer)).await?
    };
    let audit = check(&batches, clinic.membership()?, clinic.device_id());
    Ok(clinic.take_clinic_wide_audit(audit)?)
}

/// Reads every page of signed batches since `since` from `page` (the server's route). Each page
/// must move forward: its numbers above the last page's and rising, so a server repeating or
/// renumbering pages cannot keep the device asking; a fetch that would pass [`MAX_PAGES`] or
/// [`MAX_FETCH_BYTES`] is refused whole, never cut short in silence (batches past the cut
/// would be missing with no hole to show).
pub async fn fetch_pages<F, Fut>(since: i64, mut page: F) -> Result<Vec<Vec<u8>>>
where
    F: FnMut(AuditBatchesRequest) -> Fut,
    Fut: std::future::Future<Output = Result<AuditBatches>>,
{
    let mut batches = Vec::new();
    let mut bytes = 0usize;
    let mut after = 0;
    for _ in 0..MAX_PAGES {
        let answer = page(AuditBatchesRequest { since, after }).await?;
        if answer.more && answer.batches.is_empty() {
            return Err(crate::Error::Malformed("the server's pages of audit batches do not move forward"));
        }
        for (number, batch) in answer.batches {
            if number <= after {
                return Err(crate::Error::Malformed("the server's pages of audit batches do not move forward"));
            }
            after = number;
            bytes = bytes.saturating_add(batch.len());
            if bytes > MAX_FETCH_BYTES {
                return Err(crate::Error::TooLarge);
            }
            batches.push(batch);
        }
        if !answer.more {
            return Ok(batches);
        }
    }
    Err(crate::Error::TooLarge)
}

/// One device's verified batch: where it starts, its predecessor, and its events with hashes.
struct Checked {
    first: u64,
    prev: Option<Hash32>,
    events: Vec<(Vec<u8>, Hash32)>,
}

/// Checks signed batches from the server: each must be signed by its device's key in
/// `membership`, name this clinic and chain to its own head; each device's batches must join up.
/// This device's own are skipped (its log here is the original).
pub fn check(batches: &[Vec<u8>], membership: &Membership, me: &str) -> OtherDevicesAudit {
    let mut audit = OtherDevicesAudit::default();
    let key_of = |device: &str| Directory::device_key(membership, device);
    let mut by_device: BTreeMap<String, Vec<Checked>> = BTreeMap::new();
    for bytes in batches {
        let Ok(batch) = AuditBatch::open(bytes, key_of) else {
            audit.refused += 1;
            continue;
        };
        if batch.device == me {
            continue;
        }
        let hashes = match batch.hashes(audit_event_hash) {
            Ok(hashes) if batch.clinic == *membership.root() => hashes,
            _ => {
                audit.refused += 1;
                continue;
            }
        };
        by_device.entry(batch.device.clone()).or_default().push(Checked {
            first: batch.first,
            prev: batch.prev,
            events: batch.bodies.into_iter().zip(hashes).collect(),
        });
    }
    for (device, mut checked) in by_device {
        checked.sort_by_key(|c| c.first);
        // The hash after each sequence taken so far, to join the next batch on.
        let mut hash_at: BTreeMap<u64, Hash32> = BTreeMap::new();
        let mut held = 0u64;
        let mut gap = false;
        for batch in checked {
            if held > 0 && batch.first > held + 1 {
                gap = true;
            } else if held > 0 && batch.first > 1 && hash_at.get(&(batch.first - 1)) != batch.prev.as_ref() {
                // Two signed histories of one device: keep the first, refuse the other.
                audit.refused += 1;
                continue;
            }
            let agrees = batch.events.iter().enumerate().all(|(offset, (_, hash))| {
                let seq = batch.first + offset as u64;
                seq > held || hash_at.get(&seq) == Some(hash)
            });
            if !agrees {
                audit.refused += 1;
                continue;
            }
            for (offset, (body, hash)) in batch.events.into_iter().enumerate() {
                let seq = batch.first + offset as u64;
                if seq > held {
                    hash_at.insert(seq, hash);
                    audit.events.push((device.clone(), seq, body));
                    held = seq;
                }
            }
        }
        if gap {
            audit.gaps.push(device);
        }
    }
    audit
}
