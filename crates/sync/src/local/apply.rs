//! Applying a page of received envelopes: verified, then held and applied in one transaction.

use ed25519_dalek::VerifyingKey;
use mamori_core::replication::{self, Imported, VerifiedChange};
use rusqlite::{params, Connection, TransactionBehavior};

use super::{insert, position_of, DeviceIdentity, Directory};
use crate::error::{Error, Result};
use crate::wire::{genesis_prev, Envelope, Position};

/// What a page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageReport {
    /// Envelopes new to this replica, now held.
    pub held: u64,
    /// Of those, changes applied to the chart.
    pub applied: u64,
    /// Envelopes this replica already held (a repeat).
    pub repeats: u64,
    /// Held, but their change was not applied: the chain does not confirm its author.
    pub set_aside: u64,
    /// Applied, and flagged: stamped far ahead of this device's clock.
    pub far_ahead: u64,
}

/// A stamp more than this far ahead of the receiving device's clock is flagged.
pub const FAR_AHEAD_MS: i64 = 5 * 60 * 1000;

/// Verifies and applies `page` in one transaction: either every envelope in it is held (and its
/// change applied or set aside), or nothing is. An envelope that is not its device's signed next
/// one fails the whole page, and the frontier stays where it was.
pub fn apply_page(
    conn: &mut Connection,
    page: Vec<Vec<u8>>,
    me: &DeviceIdentity,
    directory: &dyn Directory,
) -> Result<PageReport> {
    apply_page_at(conn, page, me, directory, crate::engine::system_now_ms())
}

/// [`apply_page`], with this device's clock reading `now_ms` (for the far-ahead flag).
pub fn apply_page_at(
    conn: &mut Connection,
    page: Vec<Vec<u8>>,
    me: &DeviceIdentity,
    directory: &dyn Directory,
    now_ms: i64,
) -> Result<PageReport> {
    let mut envelopes = page.into_iter().map(Envelope::from_bytes).collect::<Result<Vec<_>>>()?;
    envelopes.sort_by(|a, b| (&a.header().device, a.header().seq).cmp(&(&b.header().device, b.header().seq)));
    verify_devices(&envelopes, me, directory)?;

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = PageReport::default();
    let mut at: Option<(String, Option<Position>)> = None;
    // The link the page's previous envelope of the same device named (read from the database
    // only for a device's first envelope in the page).
    let mut last_link: Option<(String, u64)> = None;
    for envelope in envelopes {
        let h = envelope.header();
        let current = match &at {
            Some((device, position)) if *device == h.device => *position,
            _ => position_of(&tx, &h.device)?,
        };
        let held = current.map_or(0, |p| p.seq);
        if h.seq <= held {
            let stored: Vec<u8> = tx
                .prepare_cached("SELECT hash FROM sync_envelopes WHERE device = ?1 AND seq = ?2")?
                .query_row(params![h.device, i64::try_from(h.seq).unwrap_or(i64::MAX)], |row| row.get(0))?;
            if stored != envelope.hash() {
                return Err(Error::Fork { device: h.device.clone(), seq: h.seq });
            }
            report.repeats += 1;
            continue;
        }
        let prev = current.map_or_else(|| genesis_prev(&me.clinic, &h.device), |p| p.hash);
        if h.seq != held + 1 || h.prev != prev {
            return Err(Error::Gap { device: h.device.clone(), seq: h.seq });
        }
        // From here on nothing about this envelope's content can fail the page: it is the
        // device's signed next one, so its place counts whatever it holds. Content that cannot be
        // opened, verified or applied is held and set aside (one bad envelope must not stop every
        // other device's sync), and retried when keys or links arrive.
        let previous = last_link.as_ref().filter(|(device, _)| *device == h.device).map(|(_, link)| *link);
        let (change_id, outcome) = match open_checked(&tx, &envelope, me, directory, previous) {
            Err((change_id, reason)) => (change_id, Err(reason)),
            Ok(verified) => {
                let change_id = verified.signed().id().to_string();
                let ahead = verified.signed().hlc().wall_ms.saturating_sub(now_ms);
                match import_alone(&tx, &verified) {
                    Ok(Imported::New) => {
                        report.applied += 1;
                        if ahead > FAR_AHEAD_MS {
                            tx.prepare_cached(
                                "INSERT OR IGNORE INTO sync_clock_flags (change_id, device, ahead_ms) VALUES (?1, ?2, ?3)",
                            )?
                            .execute(params![change_id, h.device, ahead])?;
                            report.far_ahead += 1;
                        }
                        (change_id, Ok(()))
                    }
                    Ok(Imported::AlreadyHeld) => (change_id, Ok(())),
                    Err(reason) => (change_id, Err(reason)),
                }
            }
        };
        if let Err(reason) = outcome {
            tx.prepare_cached("INSERT INTO sync_set_aside (device, seq, change_id, reason) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![h.device, i64::try_from(h.seq).unwrap_or(i64::MAX), change_id, reason])?;
            mamori_core::log_safe!(warn, "a received change was set aside", seq = h.seq, reason = reason);
            report.set_aside += 1;
        }
        insert(&tx, &envelope, &change_id)?;
        report.held += 1;
        at = Some((h.device.clone(), Some(Position { seq: h.seq, hash: envelope.hash() })));
        last_link = Some((h.device.clone(), h.chain_seq));
    }
    tx.commit()?;
    Ok(report)
}

/// Checks every envelope's clinic and device signature, in one batch where the page is large
/// enough for it to pay; a failed batch is checked one by one to name the envelope.
fn verify_devices(envelopes: &[Envelope], me: &DeviceIdentity, directory: &dyn Directory) -> Result<()> {
    let mut keys = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        let h = envelope.header();
        if h.clinic != me.clinic {
            return Err(Error::OtherClinic);
        }
        let key = directory.device_key(&h.device).ok_or_else(|| Error::UnknownDevice { device: h.device.clone() })?;
        keys.push(key);
    }
    if envelopes.len() >= 8 {
        let parts: Vec<_> = envelopes.iter().map(Envelope::device_signature_parts).collect();
        let verifying: Option<Vec<VerifyingKey>> = keys.iter().map(|k| VerifyingKey::from_bytes(k).ok()).collect();
        if let Some(verifying) = verifying {
            let messages: Vec<&[u8]> = parts.iter().map(|(m, _)| m.as_slice()).collect();
            let signatures: Vec<_> = parts.iter().map(|(_, s)| *s).collect();
            if ed25519_dalek::verify_batch(&messages, &signatures, &verifying).is_ok() {
                return Ok(());
            }
        }
    }
    envelopes.iter().zip(&keys).try_for_each(|(envelope, key)| envelope.verify_device(key))
}

/// Opens and checks an envelope's change: the key of its epoch, the change inside, its device and
/// its author, and its place in its device's run. On failure: an id for the record (the
/// change's, or the envelope's hash) and why. `previous_link` is the link the envelope before it in
/// its device's run names, when the caller has it at hand; otherwise that envelope is read from
/// `conn` (where it must be held already).
pub(crate) fn open_checked(
    conn: &Connection,
    envelope: &Envelope,
    me: &DeviceIdentity,
    directory: &dyn Directory,
    previous_link: Option<u64>,
) -> std::result::Result<VerifiedChange, (String, &'static str)> {
    let fallback = || hex::encode(envelope.hash());
    let h = envelope.header();
    if !directory.takes_envelope(&h.device, h.seq) {
        return Err((fallback(), "after_its_device_was_revoked"));
    }
    let key = me.data_key(h.cdk_epoch).map_err(|e| (fallback(), e.code()))?;
    let change = envelope.open(key).map_err(|e| (fallback(), e.code()))?;
    let change_id = change.id().to_string();
    if change.device() != h.device {
        return Err((change_id, "carried_in_another_devices_envelope"));
    }
    // The envelope shows the chain link its change names, and a device's links only grow along
    // its run: a change naming a link from before the one that demoted or disabled its author
    // counts only while nothing the device sent before it named a later link.
    if change.chain_seq() != h.chain_seq {
        return Err((change_id, "names_another_link_than_its_envelope"));
    }
    if h.chain_seq < directory.enrolled_at(&h.device) {
        return Err((change_id, "names_a_link_from_before_its_device_was_enrolled"));
    }
    match previous_link.map_or_else(|| previous_chain_seq(conn, &h.device, h.seq), Ok) {
        Ok(previous) if previous <= h.chain_seq => {}
        Ok(_) => return Err((change_id, "names_an_earlier_link_than_its_device_before_it")),
        Err(_) => return Err((change_id, "database")),
    }
    VerifiedChange::check(change, directory).map_err(|e| (change_id, e.code().as_str()))
}

/// The chain link named by the device's envelope before `seq` (0 before its first).
fn previous_chain_seq(conn: &Connection, device: &str, seq: u64) -> Result<u64> {
    if seq <= 1 {
        return Ok(0);
    }
    let bytes: Vec<u8> = conn
        .prepare_cached("SELECT bytes FROM sync_envelopes WHERE device = ?1 AND seq = ?2")?
        .query_row(params![device, i64::try_from(seq - 1).unwrap_or(i64::MAX)], |row| row.get(0))?;
    Ok(Envelope::from_bytes(bytes)?.header().chain_seq)
}

/// Imports one change inside a savepoint, so a change that cannot be applied (an id another
/// change holds, a value state refuses) rolls back alone and is set aside.
pub(crate) fn import_alone(conn: &Connection, change: &VerifiedChange) -> std::result::Result<Imported, &'static str> {
    let savepoint = |sql: &str| conn.execute_batch(sql).map_err(|_| "database");
    savepoint("SAVEPOINT one_change")?;
    match replication::import(conn, change) {
        Ok(imported) => {
            savepoint("RELEASE one_change")?;
            Ok(imported)
        }
        Err(error) => {
            savepoint("ROLLBACK TO one_change")?;
            savepoint("RELEASE one_change")?;
            Err(error.code().as_str())
        }
    }
}
