//! Sync for an open session on a real clinic device: the membership chain first (so devices,
//! roles and keys are current on both sides), then the clinic data key (taken from a wrap the
//! first time; shared with devices that lack it), then changes (`Engine::round`).

use mamori_core::chain::{Link, Membership};
use mamori_core::clinic::{Clinic, VaultRecordTaken};
use mamori_core::vault::vault_record::VaultRecord;
use mamori_core::vault::DeviceSecretStore;
use rusqlite::params;

use crate::check_in::{check_in_open, note_acknowledged};
use crate::engine::{Engine, RoundReport, Settings};
use crate::error::{Error, Result};
use crate::http::HttpTransport;
use crate::local::{self, DeviceIdentity, Directory};
use crate::wire::{ChainLinks, DataKey, Hash32, KeyWraps, VaultRecords};

/// Devices' keys come from the verified chain: every device that accepted its enrollment. A
/// revoked device's envelopes still verify (a replica that has not pulled them yet must not stall
/// on them), but only those up to its revoking link's cut-off are applied.
impl Directory for Membership {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        self.devices().get(device).filter(|d| d.invite_key.is_none()).map(|d| d.signing_key)
    }

    fn takes_envelope(&self, device: &str, seq: u64) -> bool {
        self.devices().get(device).is_some_and(|d| d.takes_envelope(seq))
    }

    fn enrolled_at(&self, device: &str) -> u64 {
        self.devices().get(device).map_or(u64::MAX, |d| d.earliest_link())
    }
}

/// What a session's sync round did, beyond the changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionReport {
    pub links_taken: usize,
    pub links_given: usize,
    pub data_keys_taken: usize,
    pub wraps_given: usize,
    /// Vault records the server took from this device, and colleagues' newer ones taken here.
    pub vault_records_given: usize,
    pub vault_records_taken: usize,
    pub round: RoundReport,
    /// Audit events the server took from this device.
    pub audit_shipped: u64,
    /// The lease this sync renewed, in days (the clinic's policy).
    pub lease_days: u32,
}

/// One sync round for `clinic` over `transport`.
pub async fn sync_session(
    clinic: &mut Clinic,
    secrets: &dyn DeviceSecretStore,
    transport: &HttpTransport,
    settings: Settings,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SessionReport> {
    let mut report = SessionReport::default();
    (report.links_taken, report.links_given) = match sync_chain(clinic, transport).await {
        Ok(counts) => counts,
        Err(error) => {
            // A server that shuts this device out may be telling it to wipe.
            check_in_open(clinic, secrets, transport).await?;
            return Err(error);
        }
    };
    report.lease_days = check_in_open(clinic, secrets, transport).await?.lease_days;
    report.data_keys_taken = take_data_keys(clinic, secrets, transport).await?;
    report.wraps_given = share_data_keys(clinic, transport).await?;
    // Vault records are passed on when they can be; a server answering junk costs this device
    // its colleagues' new records, never the rest of the sync.
    match share_vault_records(clinic, transport).await {
        Ok(counts) => (report.vault_records_given, report.vault_records_taken) = counts,
        Err(error) => mamori_core::log_safe!(warn, "vault records were not shared this time", reason = error.code()),
    }
    let keys = clinic.sync_keys(secrets)?;
    let membership = clinic.membership()?.clone();
    // Only keys the chain commits to: a key planted in `data_keys` with raw SQL seals nothing.
    let committed = |epoch: u32, key: &mamori_core::secret::Key32| {
        membership.devices().data_epoch(epoch).map(|r| r.commitment)
            == Some(mamori_core::chain::data_key_commitment(epoch, key))
    };
    let me = DeviceIdentity {
        clinic: keys.clinic,
        device: keys.device.clone(),
        signing_key: keys.device_keys.signing_key(),
        data_keys: keys
            .data_keys
            .into_iter()
            .filter(|(epoch, key)| committed(*epoch, key))
            .map(|(epoch, key)| DataKey { epoch, key })
            .collect(),
    };
    if me.data_keys.is_empty() {
        return Err(Error::UnknownDataKey(0));
    }
    let engine = Engine { transport, me: &me, directory: &membership, settings };
    report.round = engine.round(clinic.sync_connection()?, progress).await?;
    report.audit_shipped = crate::audit_ship::ship(clinic.sync_connection()?, &me, transport).await?;
    let acknowledged = local::server_held(clinic.sync_connection()?)?.seq(&me.device);
    note_acknowledged(secrets, &me.device, acknowledged)?;
    Ok(report)
}

/// Takes the server's links beyond this device's head and gives it this device's beyond its
/// head. Returns (taken, given). Two histories that split (each with links the other lacks) are
/// a fork: refused, never merged here.
async fn sync_chain(clinic: &mut Clinic, transport: &HttpTransport) -> Result<(usize, usize)> {
    let server = transport.chain_after(0).await?;
    let local = clinic.chain_links_after(0)?;
    let server_links: Vec<Link> =
        server.links.iter().map(|(body, signature)| Link::from_parts(body.clone(), signature.clone())).collect();
    let shared = local.len().min(server_links.len());
    if local[..shared].iter().zip(&server_links[..shared]).any(|(a, b)| a.hash != b.hash) {
        return Err(Error::Server("the server's membership chain splits from this device's (a fork)".into()));
    }
    if server_links.len() > local.len() {
        let first = local.len() as u64 + 1;
        let taken = clinic.adopt_chain_links(first, server_links[local.len()..].to_vec())?;
        return Ok((taken, 0));
    }
    if local.len() > server_links.len() {
        let given = &local[server_links.len()..];
        let offered = ChainLinks {
            first: server_links.len() as u64 + 1,
            links: given.iter().map(|link| (link.body.clone(), link.signature.clone())).collect(),
        };
        transport.append_chain(&offered).await?;
        return Ok((0, given.len()));
    }
    Ok((0, 0))
}

/// Gives the server every vault record this device holds (it keeps those newer than its own)
/// and takes colleagues' newer ones (a password changed elsewhere, a user new here). A record the
/// chain does not confirm is passed over. Returns (given, taken).
async fn share_vault_records(clinic: &mut Clinic, transport: &HttpTransport) -> Result<(usize, usize)> {
    let held = clinic.vault_records()?;
    let offered = VaultRecords {
        records: held.iter().map(|record| (record.bytes().to_vec(), record.signature().to_vec())).collect(),
    };
    let given = if offered.records.is_empty() { 0 } else { transport.put_vault_records(&offered).await? };
    let mut taken = 0;
    for (bytes, signature) in transport.vault_records().await?.records {
        let Ok(record) = VaultRecord::from_parts(bytes, &signature) else { continue };
        if let Ok(VaultRecordTaken::Kept) = clinic.take_vault_record(&record) {
            taken += 1;
        }
    }
    Ok((given, taken))
}

/// Takes every clinic data key wrapped to this device that it lacks.
async fn take_data_keys(
    clinic: &mut Clinic,
    secrets: &dyn DeviceSecretStore,
    transport: &HttpTransport,
) -> Result<usize> {
    // A server or device that buries this device's wraps in junk costs it the new keys, never
    // the rest of the sync: the round goes on with the keys it holds.
    let Ok(wraps) = transport.my_wraps().await else { return Ok(0) };
    let mut taken = 0;
    for wrap in wraps.wraps {
        // A wrap that does not open to the committed key (planted by a server) is passed over.
        if let Ok(Some(_)) = clinic.accept_data_key(secrets, &wrap) {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Wraps the data keys this device holds to every other enrolled device it has not given them
/// to yet, and gives the wraps to the server.
async fn share_data_keys(clinic: &mut Clinic, transport: &HttpTransport) -> Result<usize> {
    let me = clinic.device_id().to_owned();
    let devices: Vec<String> = clinic
        .membership()?
        .devices()
        .iter()
        .filter(|d| d.is_active() && d.name != me)
        .map(|d| d.name.clone())
        .collect();
    local::prepare(clinic.sync_connection()?)?;
    let mut wraps = KeyWraps::default();
    let mut sent = Vec::new();
    for device in devices {
        for (epoch, bytes) in clinic.wrap_data_keys_for(&device)? {
            let conn = clinic.sync_connection()?;
            let given: bool = conn
                .query_row(
                    "SELECT count(*) FROM sync_wraps_sent WHERE device = ?1 AND epoch = ?2",
                    params![device, epoch],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)?;
            if !given {
                wraps.wraps.push(bytes);
                sent.push((device.clone(), epoch));
            }
        }
    }
    if wraps.wraps.is_empty() {
        return Ok(0);
    }
    transport.put_wraps(&wraps).await?;
    let conn = clinic.sync_connection()?;
    for (device, epoch) in &sent {
        conn.execute("INSERT OR IGNORE INTO sync_wraps_sent (device, epoch) VALUES (?1, ?2)", params![device, epoch])?;
    }
    Ok(sent.len())
}
