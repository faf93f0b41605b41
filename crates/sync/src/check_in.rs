//! A device's check-in with the clinic server (DESIGN.md, "Lost devices"), possible while
//! nobody is logged in. It authenticates with the device key its keyring secret derives, takes
//! the whole membership chain and a lease, and verifies the chain from the clinic root it pinned
//! at its last unlock. If a link orders this device (its own signing key, under its own name)
//! wiped, it destroys its keyring secret, then its chart, and sends the administrator an
//! acknowledgement signed with the device key it still holds in memory. Otherwise it keeps the
//! lease: its age counts from now, on the clock that never runs back.
//!
//! An unlocked session checks in the same way at the start of every sync ([`check_in_open`]) but
//! cannot wipe a chart it holds open: it stops with [`Error::WipeOrdered`], and the caller logs
//! out and checks in again.

use mamori_core::chain::{Hex32, LeasePolicy, Link};
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::lost_device::{self, find_wipe_order, LeaseVerdict, Standing, WipeOrder};
use mamori_core::vault::device_secret::load_required;
use mamori_core::vault::{DeviceKeys, DeviceSecretStore};

use crate::error::{Error, Result};
use crate::http::HttpTransport;
use crate::server_settings::ServerSettings;
use crate::wire::{CheckIn, CheckInRequest, Lease, WipeAck};

/// What a check-in came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckedIn {
    /// A fresh lease: the device may stay away `lease_days` days.
    Leased { lease_days: u32 },
    /// The chart is gone; `acknowledged` says whether the server took the report.
    Wiped { unsent: u64, acknowledged: bool },
}

/// What the server's answer means for this device.
enum Judged {
    Wipe(WipeOrder),
    Leased(LeasePolicy),
}

/// Checks in from the locked device in `dir` with the server it remembers.
pub async fn check_in(dir: &DataDir, secrets: &dyn DeviceSecretStore, now: i64) -> Result<CheckedIn> {
    let server = ServerSettings::remembered(dir)?.ok_or(Error::NoServer)?;
    let device = lost_device::device_id_of(dir)?;
    let keys = DeviceKeys::derive(&load_required(secrets, &device, dir.root())?)?;
    let mut standing = Standing::load(secrets, &device)?;
    let loaded = standing.clone();
    let root = standing.root.ok_or(Error::CannotCheckIn("nobody has logged in on it since it was enrolled"))?;
    let transport = HttpTransport::new(&server.server, server.pin()?, &device, keys.signing_key())?;
    let waiting = lost_device::own_changes_written(dir).saturating_sub(standing.own_acknowledged);
    let answer = transport.check_in(&report(waiting)).await?;
    match judge(&answer, &root, &device, &keys.signing_public(), &mut standing, now)? {
        Judged::Leased(policy) => {
            store_if_moved(secrets, &device, &loaded, &standing)?;
            Ok(CheckedIn::Leased { lease_days: policy.lease_days })
        }
        Judged::Wipe(order) => {
            // The key signs the report after the keyring secret it came from is gone.
            let signing_key = keys.signing_key();
            let wiped = lost_device::wipe(dir, secrets, &device)?;
            let ack = WipeAck {
                clinic: root,
                device: device.clone(),
                wipe_link: order.link,
                unsent: wiped.unsent,
                wiped_at: now,
                keyring_cleared: wiped.keyring_cleared,
            }
            .sign(&signing_key);
            let acknowledged = match transport.wipe_ack(&ack).await {
                Ok(()) => true,
                Err(error) => {
                    mamori_core::log_safe!(warn, "the wipe report did not reach the server", reason = error.code());
                    false
                }
            };
            Ok(CheckedIn::Wiped { unsent: wiped.unsent, acknowledged })
        }
    }
}

/// The check-in of an open session; a wipe order stops it with [`Error::WipeOrdered`].
pub async fn check_in_open(
    clinic: &Clinic,
    secrets: &dyn DeviceSecretStore,
    transport: &HttpTransport,
) -> Result<LeasePolicy> {
    let device = clinic.device_id().to_owned();
    let keys = clinic.sync_keys(secrets)?;
    let mut standing = Standing::load(secrets, &device)?;
    let loaded = standing.clone();
    // The session's own chain (verified from its user's pins, and just extended by the sync) is
    // what the answer must extend.
    standing.pin_head(clinic.membership()?.head());
    let waiting = clinic.own_change_count()?.saturating_sub(standing.own_acknowledged);
    let answer = transport.check_in(&report(waiting)).await?;
    let now = clinic.now().timestamp();
    match judge(&answer, &keys.clinic, &device, &keys.device_keys.signing_public(), &mut standing, now)? {
        Judged::Wipe(_) => Err(Error::WipeOrdered),
        Judged::Leased(policy) => {
            standing.root = Some(keys.clinic);
            store_if_moved(secrets, &device, &loaded, &standing)?;
            Ok(policy)
        }
    }
}

/// A lease renewed within the hour is not written again: a window checking in every few seconds
/// reads the keyring, and writes it only when something moved.
const LEASE_KEPT_EVERY_SECS: i64 = 60 * 60;

fn store_if_moved(secrets: &dyn DeviceSecretStore, device: &str, loaded: &Standing, now: &Standing) -> Result<()> {
    let recent = |s: &Standing| Standing { lease_received_at: None, clock_high: 0, ..s.clone() };
    let moved = match (loaded.lease_received_at, now.lease_received_at) {
        (Some(before), Some(after)) => after - before >= LEASE_KEPT_EVERY_SECS,
        (before, after) => before != after,
    };
    if moved || recent(loaded) != recent(now) {
        now.store(secrets, device)?;
    }
    Ok(())
}

/// What this device tells the server of itself.
fn report(waiting: u64) -> CheckInRequest {
    CheckInRequest { app_version: env!("CARGO_PKG_VERSION").to_owned(), waiting }
}

/// Notes how many of this device's own changes the server holds, for a later wipe's report.
pub fn note_acknowledged(secrets: &dyn DeviceSecretStore, device: &str, acknowledged: u64) -> Result<()> {
    let mut standing = Standing::load(secrets, device)?;
    if standing.own_acknowledged != acknowledged {
        standing.own_acknowledged = acknowledged;
        standing.store(secrets, device)?;
    }
    Ok(())
}

/// How many whole days the lease of `device` has left, on its standing record.
pub fn lease_days_left(secrets: &dyn DeviceSecretStore, device: &str, now: i64) -> Result<Option<i64>> {
    let standing = Standing::load(secrets, device)?;
    if standing.lease_received_at.is_none() {
        return Ok(None);
    }
    Ok(match LeaseVerdict::of(&standing, standing.policy, now) {
        LeaseVerdict::Open { days_left } => Some(days_left),
        LeaseVerdict::Expired { .. } | LeaseVerdict::SelfWipe { .. } => Some(0),
    })
}

/// Checks the answer against the root this device pinned and its own signing key `mine`. A
/// wipe order counts only if the verified chain names this device; a lease only if it is signed
/// with the server's key (as first seen), names this clinic and device, and the chain head it
/// was given with.
fn judge(
    answer: &CheckIn,
    root: &Hex32,
    device: &str,
    mine: &Hex32,
    standing: &mut Standing,
    now: i64,
) -> Result<Judged> {
    if answer.links.first != 1 {
        return Err(Error::Server("the check-in answer does not carry the whole chain".into()));
    }
    let links: Vec<Link> =
        answer.links.links.iter().map(|(body, signature)| Link::from_parts(body.clone(), signature.clone())).collect();
    let (membership, order) = find_wipe_order(root, standing.chain_head, &links, device, mine)?;
    if let Some(order) = order {
        return Ok(Judged::Wipe(order));
    }
    let me = membership.devices().get(device).filter(|d| d.signing_key == *mine && d.is_active());
    if me.is_none() {
        return Err(Error::CannotCheckIn("the clinic's chain does not enroll this computer's keys (revoked?)"));
    }
    let signed = answer.lease.as_ref().ok_or(Error::CannotCheckIn("the server gave no lease"))?;
    if standing.server_key.is_some_and(|pinned| pinned != answer.server_key) {
        return Err(Error::CannotCheckIn("the server signs leases with another key than it did before"));
    }
    let lease = Lease::open(signed, &answer.server_key)?;
    if lease.clinic != *root || lease.device != device || lease.chain_head != membership.head().0 {
        return Err(Error::CannotCheckIn("the lease is for another clinic, device or chain"));
    }
    let policy = membership.devices().lease_policy();
    standing.server_key = Some(answer.server_key);
    standing.policy = policy;
    standing.pin_head(membership.head());
    standing.take_lease(now);
    Ok(Judged::Leased(policy))
}
