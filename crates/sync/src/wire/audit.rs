//! Audit batches: a run of one device's audit events, with their hash chain, signed by the
//! device, shipped to the server; and the server's receipt, its countersignature over the head it
//! now holds, which the device keeps as an anchor. The events are metadata only (who, role,
//! device, patient id, section, what, when, allowed or refused, reason), never chart content, so
//! the server keeps them readable for the clinic-wide report and its detection rules.
//!
//! ```text
//! batch, format 1:
//!   [0x01] [clinic 32] [device: u8 length + UTF-8] [first sequence u64]
//!   [count u32] { [event body length u32] [the event's exact stored body] }
//!   [hash of the event before the first: 0x00 (the chain's start) | 0x01 + 32] [head hash 32]
//!   [device signature 64 over everything before it]
//! receipt: Ed25519 by the server's countersigning key over
//!   "mamori-audit-anchor-v1\0" [clinic 32] [device length + UTF-8] [sequence u64] [hash 32]
//! ```

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::envelope::{Hash32, Reader};
use crate::error::{Error, Result};

const FORMAT_V1: u8 = 0x01;
const SIGNING_DOMAIN: &[u8] = b"mamori-audit-batch-v1\0";
const ANCHOR_DOMAIN: &[u8] = b"mamori-audit-anchor-v1\0";
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 5000;
/// Largest event body read (an event is a few hundred bytes).
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// A run of events, as shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditBatch {
    pub clinic: Hash32,
    pub device: String,
    pub first: u64,
    /// The hash of the event before `first` (`None` when `first` is 1).
    pub prev: Option<Hash32>,
    pub bodies: Vec<Vec<u8>>,
    /// The hash after the last event.
    pub head: Hash32,
}

impl AuditBatch {
    /// The last event's sequence.
    pub fn last(&self) -> u64 {
        self.first + self.bodies.len() as u64 - 1
    }

    /// Each event's hash, recomputed from the bodies: the chain must end at `head`.
    pub fn hashes(&self, event_hash: fn(&[u8], &[u8]) -> [u8; 32]) -> Result<Vec<Hash32>> {
        let mut previous: Vec<u8> = self.prev.map(|p| p.to_vec()).unwrap_or_default();
        let mut out = Vec::with_capacity(self.bodies.len());
        for body in &self.bodies {
            let hash = event_hash(&previous, body);
            out.push(hash);
            previous = hash.to_vec();
        }
        if out.last() != Some(&self.head) {
            return Err(Error::Malformed("the audit batch's events do not chain to its head"));
        }
        Ok(out)
    }

    fn unsigned(&self) -> Result<Vec<u8>> {
        let mut out = vec![FORMAT_V1];
        out.extend_from_slice(&self.clinic);
        let device = u8::try_from(self.device.len()).map_err(|_| Error::Malformed("the device id is too long"))?;
        out.push(device);
        out.extend_from_slice(self.device.as_bytes());
        out.extend_from_slice(&self.first.to_be_bytes());
        out.extend_from_slice(&u32::try_from(self.bodies.len()).map_err(|_| Error::TooLarge)?.to_be_bytes());
        for body in &self.bodies {
            out.extend_from_slice(&u32::try_from(body.len()).map_err(|_| Error::TooLarge)?.to_be_bytes());
            out.extend_from_slice(body);
        }
        match self.prev {
            None => out.push(0),
            Some(prev) => {
                out.push(1);
                out.extend_from_slice(&prev);
            }
        }
        out.extend_from_slice(&self.head);
        Ok(out)
    }

    /// The batch's bytes, signed by the device.
    pub fn sign(&self, device_key: &SigningKey) -> Result<Vec<u8>> {
        let mut bytes = self.unsigned()?;
        let signature = device_key.sign(&[SIGNING_DOMAIN, &bytes].concat());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(bytes)
    }

    /// Reads a batch from outside; `device_key_of` gives the named device's enrolled key, and the
    /// device's signature over the exact bytes is checked.
    pub fn open(bytes: &[u8], device_key_of: impl FnOnce(&str) -> Option<Hash32>) -> Result<Self> {
        if bytes.len() < 64 {
            return Err(Error::Malformed("the audit batch is cut short"));
        }
        let (signed, signature) = bytes.split_at(bytes.len() - 64);
        let mut r = Reader { rest: signed };
        if r.array::<1>()?[0] != FORMAT_V1 {
            return Err(Error::UnknownFormat(bytes[0]));
        }
        let clinic = r.array()?;
        let len = usize::from(r.array::<1>()?[0]);
        let device =
            std::str::from_utf8(r.take(len)?).map_err(|_| Error::Malformed("the device id is not UTF-8"))?.to_owned();
        let first = u64::from_be_bytes(r.array()?);
        let count = r.len()?;
        if count == 0 || count > MAX_BATCH_EVENTS || first == 0 {
            return Err(Error::Malformed("an audit batch holds 1 to 5000 events, numbered from 1"));
        }
        let mut bodies = Vec::with_capacity(count);
        for _ in 0..count {
            let len = r.len()?;
            if len > MAX_EVENT_BYTES {
                return Err(Error::TooLarge);
            }
            bodies.push(r.take(len)?.to_vec());
        }
        let prev = match r.array::<1>()?[0] {
            0 => None,
            1 => Some(r.array()?),
            _ => return Err(Error::Malformed("the previous hash is not readable")),
        };
        if prev.is_none() != (first == 1) {
            return Err(Error::Malformed("only the first event of the chain has no predecessor"));
        }
        let head = r.array()?;
        if !r.rest.is_empty() {
            return Err(Error::Malformed("bytes after the audit batch's head"));
        }
        let key = device_key_of(&device).ok_or_else(|| Error::UnknownDevice { device: device.clone() })?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| Error::DeviceSignature)?;
        let signature: [u8; 64] = signature.try_into().map_err(|_| Error::DeviceSignature)?;
        key.verify_strict(&[SIGNING_DOMAIN, signed].concat(), &Signature::from_bytes(&signature))
            .map_err(|_| Error::DeviceSignature)?;
        Ok(Self { clinic, device, first, prev, bodies, head })
    }
}

/// What the server signs when it holds a device's audit chain up to `seq` with `hash`.
pub fn anchor_message(clinic: &Hash32, device: &str, seq: u64, hash: &Hash32) -> Vec<u8> {
    let mut m = ANCHOR_DOMAIN.to_vec();
    m.extend_from_slice(clinic);
    m.push(u8::try_from(device.len()).unwrap_or(u8::MAX));
    m.extend_from_slice(device.as_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

/// Checks a receipt with the server's countersigning key.
pub fn verify_anchor(
    server_key: &Hash32,
    clinic: &Hash32,
    device: &str,
    seq: u64,
    hash: &Hash32,
    signature: &[u8],
) -> bool {
    let (Ok(key), Ok(signature)) = (VerifyingKey::from_bytes(server_key), <[u8; 64]>::try_from(signature)) else {
        return false;
    };
    key.verify(&anchor_message(clinic, device, seq, hash), &Signature::from_bytes(&signature)).is_ok()
}
