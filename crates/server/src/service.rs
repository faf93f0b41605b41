//! What the server does with a request, whatever carried it (HTTP, or in-process in tests):
//! read each envelope, check its clinic, its device and the device's signature over the exact
//! bytes, and store it only as its device's next; answer frontiers and pages.

use std::sync::Arc;

use mamori_core::chain::Link;
use mamori_core::vault::vault_record::VaultRecord;
use mamori_core::vault::WrappedDataKey;
use mamori_sync::wire::{
    genesis_prev, ChainLinks, Envelope, Hash32, KeyWraps, PullRequest, PullResponse, PushOutcome, PushRequest,
    PushResponse, ServerState, VaultRecords,
};

use crate::chain_registry::{ChainRegistry, Standing};
use crate::storage::{AuditEntry, AuditStorage, ChainStorage, Incoming, ShippedBatch, Storage, Stored};
use crate::{Error, Result};
use mamori_sync::wire::audit::{anchor_message, AuditBatch};
use mamori_sync::wire::clinic_audit::MAX_BATCHES;
use mamori_sync::wire::{AuditBatches, AuditReceipt};

/// Most envelopes one push may carry.
pub const MAX_PUSH_ENVELOPES: usize = 2000;
/// Most data key wraps kept for one device and epoch.
pub const MAX_WRAPS_PER_EPOCH: usize = 8;
/// Most envelopes one pull page may carry.
pub const MAX_PULL_PAGE: u32 = 2000;

/// The enrolled devices' signing keys, from the verified membership chain.
pub trait DeviceRegistry: Send + Sync {
    /// The device's Ed25519 key, if it is enrolled and not revoked.
    fn device_key(&self, device: &str) -> Option<Hash32>;

    /// The key that signs the device's envelope `seq`, if the clinic takes it: an enrolled
    /// device's, or a revoked one's up to its revoking link's cut-off (another device giving back
    /// what the server lost).
    fn envelope_key(&self, device: &str, seq: u64) -> Option<Hash32> {
        let _ = seq;
        self.device_key(device)
    }
}

pub struct ClinicServer<S> {
    pub(crate) storage: S,
    pub(crate) clinic: Hash32,
    /// Signs receipts for shipped audit chains (anchors) and devices' leases; it signs nothing of
    /// the clinic's membership or chart.
    pub(crate) countersigner: ed25519_dalek::SigningKey,
    devices: Arc<dyn DeviceRegistry>,
    /// The membership chain the devices come from (absent only in tests with a fixed registry).
    pub(crate) chain: Option<Arc<ChainRegistry>>,
}

/// What became of links offered to the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainOutcome {
    Stored,
    /// Not right after the head (another device's links came first): the head to rebase on.
    NotAtHead {
        head: u64,
    },
    /// The links do not verify on the stored chain.
    Refused(String),
}

impl<S: Storage + ChainStorage> ClinicServer<S> {
    /// A server with a fixed set of devices (tests and the simulation).
    pub fn new(storage: S, clinic: Hash32, devices: Box<dyn DeviceRegistry>) -> Self {
        Self { storage, clinic, countersigner: random_key(), devices: Arc::from(devices), chain: None }
    }

    /// A clinic's server: its devices are those the membership chain it stores enrolls, verified
    /// from the clinic root key `root` (which is also the clinic's identity in envelopes).
    pub async fn following_chain(storage: S, root: Hash32) -> Result<Self> {
        let chain = Arc::new(ChainRegistry::new(root));
        let server =
            Self { storage, clinic: root, countersigner: random_key(), devices: chain.clone(), chain: Some(chain) };
        server.refresh_chain().await?;
        Ok(server)
    }

    /// Whether `user` is an enabled administrator in the stored chain whose key signed `message`
    /// (under `USER_REQUEST_DOMAIN`).
    pub async fn admin_signed(&self, user: &str, message: &[u8], signature_hex: &str) -> Result<bool> {
        self.refresh_chain().await?;
        let Some(chain) = &self.chain else { return Ok(false) };
        let Some(key) = chain.admin_key(user) else { return Ok(false) };
        let Some(signature) = hex_signature(signature_hex) else { return Ok(false) };
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else { return Ok(false) };
        let signed = [mamori_core::clinic::USER_REQUEST_DOMAIN, message].concat();
        Ok(key.verify_strict(&signed, &ed25519_dalek::Signature::from_bytes(&signature)).is_ok())
    }

    /// Uses `key` (kept in the server folder) to countersign audit heads.
    pub fn with_countersigner(mut self, key: ed25519_dalek::SigningKey) -> Self {
        self.countersigner = key;
        self
    }

    /// Takes links another server process stored since this one last looked.
    pub async fn refresh_chain(&self) -> Result<()> {
        let Some(chain) = &self.chain else { return Ok(()) };
        let head = chain.head();
        let stored = self.storage.links_after(head).await?;
        if stored.is_empty() {
            return Ok(());
        }
        let links: Vec<Link> =
            stored.into_iter().map(|(_, body, signature)| Link::from_parts(body, signature)).collect();
        let membership =
            chain.check(head + 1, &links).map_err(|_| Error::Corrupt("the stored chain does not verify"))?;
        chain.adopt(membership);
        Ok(())
    }

    /// Where `device` stands in the stored chain (after taking any new links).
    pub async fn standing(&self, device: &str) -> Result<Option<Standing>> {
        self.refresh_chain().await?;
        Ok(match &self.chain {
            Some(chain) => chain.standing(device),
            None => self.devices.device_key(device).map(Standing::Active),
        })
    }

    /// The stored chain's head (0 when none is stored yet, or this server keeps none).
    pub async fn chain_head(&self) -> Result<u64> {
        self.refresh_chain().await?;
        Ok(self.chain.as_ref().map_or(0, |chain| chain.head()))
    }

    /// Links after `after`, for a device catching up.
    pub async fn chain_after(&self, after: u64) -> Result<ChainLinks> {
        let links = self.storage.links_after(after).await?;
        Ok(ChainLinks {
            first: after + 1,
            links: links.into_iter().map(|(_, body, signature)| (body, signature)).collect(),
        })
    }

    /// Verifies offered links on the stored chain and stores them if they follow its head.
    pub async fn append_chain(&self, offered: ChainLinks) -> Result<ChainOutcome> {
        let Some(chain) = &self.chain else { return Ok(ChainOutcome::Refused("this server keeps no chain".into())) };
        self.refresh_chain().await?;
        let head = chain.head();
        if offered.first != head + 1 {
            return Ok(ChainOutcome::NotAtHead { head });
        }
        let links: Vec<Link> =
            offered.links.iter().map(|(body, signature)| Link::from_parts(body.clone(), signature.clone())).collect();
        let membership = match chain.check(offered.first, &links) {
            Ok(membership) => membership,
            Err(why) => return Ok(ChainOutcome::Refused(why)),
        };
        if !self.storage.append_links(offered.first, offered.links).await? {
            return Ok(ChainOutcome::NotAtHead { head: self.storage.links_after(0).await?.len() as u64 });
        }
        chain.adopt(membership);
        Ok(ChainOutcome::Stored)
    }

    /// The membership `offered` (from link 1) would give, for the very first upload; `None` if
    /// the server already holds a chain or the links do not verify.
    pub async fn first_chain(&self, offered: &ChainLinks) -> Result<Option<mamori_core::chain::Membership>> {
        let Some(chain) = &self.chain else { return Ok(None) };
        self.refresh_chain().await?;
        if chain.head() != 0 || offered.first != 1 {
            return Ok(None);
        }
        let links: Vec<Link> =
            offered.links.iter().map(|(body, signature)| Link::from_parts(body.clone(), signature.clone())).collect();
        Ok(chain.check(1, &links).ok())
    }

    /// Keeps wraps of the clinic data key for enrolled devices (a wrap for any other name is
    /// refused). The server cannot open them; devices check them against the chain's commitment.
    pub async fn put_wraps(&self, wraps: KeyWraps) -> Result<usize> {
        let mut kept = 0;
        for bytes in wraps.wraps {
            let Ok(wrap) = WrappedDataKey::from_bytes(&bytes) else { continue };
            // A few per device and epoch are plenty (each device gives each key once); a device
            // flooding junk for another cannot bury the real ones or grow the answer without end.
            let held = self.storage.wraps_for(&wrap.device).await?;
            let same_epoch =
                held.iter().filter(|w| WrappedDataKey::from_bytes(w).is_ok_and(|w| w.epoch == wrap.epoch)).count();
            if same_epoch >= MAX_WRAPS_PER_EPOCH {
                continue;
            }
            if matches!(self.standing(&wrap.device).await?, Some(Standing::Active(_))) {
                self.storage.put_wrap(&wrap.device, bytes).await?;
                kept += 1;
            }
        }
        Ok(kept)
    }

    pub async fn wraps_for(&self, device: &str) -> Result<KeyWraps> {
        Ok(KeyWraps { wraps: self.storage.wraps_for(device).await? })
    }

    /// Keeps users' vault records: each only if its user's key in the verified chain signed it
    /// and it is newer than the one held. Returns how many were kept. The server cannot open
    /// them (they need the user's password and Secret Key).
    pub async fn put_vault_records(&self, records: VaultRecords) -> Result<usize> {
        let Some(chain) = &self.chain else { return Ok(0) };
        self.refresh_chain().await?;
        let mut kept = 0;
        for (bytes, signature) in records.records {
            let Ok(record) = VaultRecord::from_parts(bytes, &signature) else { continue };
            let Some(key) = chain.user_key(record.user()) else { continue };
            if !record.signed_by(&key) {
                continue;
            }
            let (user, version) = (record.user().to_owned(), record.version());
            // One record the storage refuses does not cost the others their place.
            if let Ok(true) = self.storage.put_vault_record(&user, version, (record.bytes().to_vec(), signature)).await
            {
                kept += 1;
            }
        }
        Ok(kept)
    }

    /// The newest vault record of every user.
    pub async fn vault_records(&self) -> Result<VaultRecords> {
        Ok(VaultRecords { records: self.storage.vault_records().await? })
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub async fn state(&self) -> Result<ServerState> {
        self.refresh_chain().await?;
        Ok(ServerState { instance: self.storage.instance().await?, frontier: self.storage.frontier().await? })
    }

    /// Stores what `sender` pushed. Every envelope gets an outcome; none refused changes anything.
    pub async fn push(&self, sender: &str, request: PushRequest) -> Result<PushResponse> {
        self.refresh_chain().await?;
        self.known(sender)?;
        if request.envelopes.len() > MAX_PUSH_ENVELOPES {
            return Err(Error::TooMany { max: MAX_PUSH_ENVELOPES });
        }
        let mut outcomes: Vec<Option<PushOutcome>> = Vec::with_capacity(request.envelopes.len());
        let mut batch = Vec::new();
        for bytes in request.envelopes {
            match self.check(bytes) {
                Ok(incoming) => {
                    batch.push(incoming);
                    outcomes.push(None);
                }
                Err(reason) => outcomes.push(Some(PushOutcome::Refused(reason))),
            }
        }
        let mut stored = self.storage.append(batch).await?.into_iter();
        let outcomes = outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| match stored.next() {
                    Some(Stored::Stored) => PushOutcome::Stored,
                    Some(Stored::AlreadyHeld) => PushOutcome::AlreadyHeld,
                    Some(Stored::Gap { held }) => PushOutcome::Gap { held },
                    Some(Stored::Fork) => PushOutcome::Fork,
                    None => PushOutcome::Refused("not stored".into()),
                })
            })
            .collect();
        Ok(PushResponse { outcomes, state: self.state().await? })
    }

    /// A page of what `sender` lacks.
    pub async fn pull(&self, sender: &str, request: PullRequest) -> Result<PullResponse> {
        self.refresh_chain().await?;
        self.known(sender)?;
        let (envelopes, more) = self.storage.page(&request.have, request.limit.clamp(1, MAX_PULL_PAGE)).await?;
        Ok(PullResponse { envelopes, more, state: self.state().await? })
    }

    /// The device's enrolled key, if it is enrolled and not revoked.
    pub fn device_key(&self, device: &str) -> Option<Hash32> {
        self.devices.device_key(device)
    }

    fn known(&self, device: &str) -> Result<()> {
        self.devices.device_key(device).map(|_| ()).ok_or_else(|| Error::UnknownDevice(device.to_owned()))
    }

    /// Reads one envelope and checks it is this clinic's and its device's. The reason is for the
    /// client's log: device and sequence, never content.
    fn check(&self, bytes: Vec<u8>) -> Result<Incoming, String> {
        let envelope = Envelope::from_bytes(bytes).map_err(|e| e.to_string())?;
        let h = envelope.header();
        if h.clinic != self.clinic {
            return Err("the envelope belongs to another clinic".into());
        }
        let key = self
            .devices
            .envelope_key(&h.device, h.seq)
            .ok_or_else(|| format!("device {} is not enrolled, or revoked before envelope {}", h.device, h.seq))?;
        envelope.verify_device(&key).map_err(|e| e.to_string())?;
        // Devices give the server their links before their envelopes: one naming a link the
        // server does not hold names one that does not exist (it would raise its device's floor
        // for good on every replica).
        if let Some(chain) = &self.chain {
            if h.chain_seq > chain.head() {
                return Err(format!(
                    "envelope {} names membership link {}, beyond the chain's head",
                    h.seq, h.chain_seq
                ));
            }
        }
        Ok(Incoming {
            device: h.device.clone(),
            seq: h.seq,
            prev: h.prev,
            hash: envelope.hash(),
            genesis: genesis_prev(&self.clinic, &h.device),
            bytes: envelope.into_bytes(),
        })
    }
}

fn random_key() -> ed25519_dalek::SigningKey {
    let mut seed = [0u8; 32];
    // The OS random source; a server without one cannot run TLS either.
    let _ = mamori_core::secret::fill_random(&mut seed);
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

impl<S: Storage + ChainStorage + AuditStorage> ClinicServer<S> {
    /// Stores a device's audit batch (only its own: the batch must be signed by `sender`) where
    /// it follows what is held, and countersigns the head the server now holds. A rewrite of
    /// events already shipped is refused (`Fork`) and kept for an administrator.
    pub async fn push_audit(&self, sender: &str, bytes: &[u8]) -> Result<std::result::Result<AuditReceipt, String>> {
        self.refresh_chain().await?;
        let key = self.devices.device_key(sender);
        let batch = match AuditBatch::open(bytes, |device| key.filter(|_| device == sender)) {
            Ok(batch) => batch,
            Err(error) => return Ok(Err(error.to_string())),
        };
        if batch.clinic != self.clinic {
            return Ok(Err("the audit batch belongs to another clinic".into()));
        }
        let hashes = match batch.hashes(mamori_core::replication::audit_event_hash) {
            Ok(hashes) => hashes,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let entries = batch
            .bodies
            .iter()
            .zip(hashes)
            .enumerate()
            .map(|(i, (body, hash))| AuditEntry {
                seq: batch.first + i as u64,
                body: body.clone(),
                hash,
                patient: patient_of(body),
            })
            .collect();
        let shipped = ShippedBatch { bytes: bytes.to_vec(), newest_at: newest_at(&batch.bodies) };
        let (outcome, seq, hash) = self.storage.append_audit(sender, batch.prev, entries, shipped).await?;
        let countersignature =
            ed25519_dalek::Signer::sign(&self.countersigner, &anchor_message(&self.clinic, sender, seq, &hash));
        Ok(Ok(AuditReceipt {
            outcome,
            seq,
            hash,
            countersignature: countersignature.to_bytes().to_vec(),
            server_key: self.countersigner.verifying_key().to_bytes(),
        }))
    }

    /// A page of every device's signed audit batches holding events at or after `since` (Unix
    /// seconds), numbered after `after`.
    pub async fn audit_batches(&self, since: i64, after: u64) -> Result<AuditBatches> {
        let (batches, more) = self.storage.audit_batches(since, after, MAX_BATCHES).await?;
        Ok(AuditBatches { batches, more })
    }

    /// Every device's audit events naming `patient` (device, sequence, event JSON).
    pub async fn audit_for_patient(&self, patient: &str) -> Result<Vec<(String, u64, Vec<u8>)>> {
        self.storage.audit_for_patient(patient).await
    }
}

/// The patient id an audit event names, read from its JSON (events are metadata only).
fn patient_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("patient")?.as_str().map(str::to_owned)
}

/// The latest event time in a batch (Unix seconds); an event whose time does not read counts as
/// now, so the batch is never left out of a recent window.
fn newest_at(bodies: &[Vec<u8>]) -> i64 {
    let now = chrono::Utc::now().timestamp();
    bodies
        .iter()
        .map(|body| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("at")?.as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()))
                .map_or(now, |t| t.timestamp())
        })
        .max()
        .unwrap_or(now)
}

fn hex_signature(text: &str) -> Option<[u8; 64]> {
    if text.len() != 128 {
        return None;
    }
    let mut out = [0u8; 64];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
