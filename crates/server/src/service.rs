//! What the server does with a request, whatever carried it (HTTP, or in-process in tests):
//! read each envelope, check its clinic, its device and the device's signature over the exact
//! bytes, and store it only as its device's next; answer frontiers and pages.

use mamori_sync::wire::{
    genesis_prev, Envelope, Hash32, PullRequest, PullResponse, PushOutcome, PushRequest, PushResponse, ServerState,
};

use crate::storage::{Incoming, Storage, Stored};
use crate::{Error, Result};

/// Most envelopes one push may carry.
pub const MAX_PUSH_ENVELOPES: usize = 2000;
/// Most envelopes one pull page may carry.
pub const MAX_PULL_PAGE: u32 = 2000;

/// The enrolled devices' signing keys, from the verified membership chain.
pub trait DeviceRegistry: Send + Sync {
    /// The device's Ed25519 key, if it is enrolled and not revoked.
    fn device_key(&self, device: &str) -> Option<Hash32>;
}

pub struct ClinicServer<S> {
    storage: S,
    clinic: Hash32,
    devices: Box<dyn DeviceRegistry>,
}

impl<S: Storage> ClinicServer<S> {
    pub fn new(storage: S, clinic: Hash32, devices: Box<dyn DeviceRegistry>) -> Self {
        Self { storage, clinic, devices }
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub async fn state(&self) -> Result<ServerState> {
        Ok(ServerState { instance: self.storage.instance().await?, frontier: self.storage.frontier().await? })
    }

    /// Stores what `sender` pushed. Every envelope gets an outcome; none refused changes anything.
    pub async fn push(&self, sender: &str, request: PushRequest) -> Result<PushResponse> {
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
        let key = self.devices.device_key(&h.device).ok_or_else(|| format!("device {} is not enrolled", h.device))?;
        envelope.verify_device(&key).map_err(|e| e.to_string())?;
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
