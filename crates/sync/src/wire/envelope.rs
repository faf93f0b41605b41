//! The sealed change envelope, format 1: one signed change from one device, sealed under the
//! clinic data key (CDK) and signed by the device over the exact bytes (`docs/sync.md`).
//!
//! ```text
//! header (associated data, readable by the server):
//!   [0x01 format] [clinic root fingerprint 32]
//!   [device: u8 length + UTF-8] [sequence u64 BE] [previous envelope's hash 32]
//!   [CDK epoch u32 BE] [chain head the device held: sequence u64 BE] [nonce 24]
//! [ciphertext length u32 BE] [XChaCha20-Poly1305 ciphertext of:
//!     [change length u32 BE] [the change as its author signed it] [author's signature 64]
//!     [zeros up to a multiple of 256 bytes]]
//! [device signature 64, Ed25519 over the domain, the header, the length and the ciphertext]
//! ```
//!
//! The author signs the change when it is written (`mamori_core::replication::SignedChange`);
//! the device seals and signs the envelope when it is sent, so a change written while its author
//! was logged in travels after they log out. The server checks the device's signature and the
//! sequence; it cannot open the ciphertext. A replica checks both signatures.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use mamori_core::replication::{SignedChange, MAX_CHANGE_BYTES};
use mamori_core::secret::{fill_random, Key32};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub const FORMAT_V1: u8 = 0x01;
const AEAD_DOMAIN: &[u8] = b"mamori-envelope-v1/seal\0";
const SIGNING_DOMAIN: &[u8] = b"mamori-envelope-v1/sign\0";
const HASH_DOMAIN: &[u8] = b"mamori-envelope-v1/hash\0";
/// The sealed change is padded to a multiple of this many bytes.
pub const PAD_BLOCK: usize = 256;
/// Largest envelope a replica or the server reads: a change plus framing.
pub const MAX_ENVELOPE_BYTES: usize = MAX_CHANGE_BYTES + 4096;

/// A 32-byte hash or public key.
pub type Hash32 = [u8; 32];

/// Where an envelope sits: whose, which number, after which, under which keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub clinic: Hash32,
    pub device: String,
    pub seq: u64,
    pub prev: Hash32,
    pub cdk_epoch: u32,
    /// The membership chain link the sealed change names (checked equal when opened): along a
    /// device's run these only grow.
    pub chain_seq: u64,
    pub nonce: [u8; 24],
}

/// The hash a device's first envelope names as its predecessor.
pub fn genesis_prev(clinic: &Hash32, device: &str) -> Hash32 {
    Sha256::new()
        .chain_update(HASH_DOMAIN)
        .chain_update(b"genesis\0")
        .chain_update(clinic)
        .chain_update(device.as_bytes())
        .finalize()
        .into()
}

/// The clinic data key of one epoch.
pub struct DataKey {
    pub epoch: u32,
    pub key: Key32,
}

/// An envelope as bytes, with its header read and its hash computed. Its device signature is
/// checked by [`Envelope::verify_device`]; its contents by [`Envelope::open`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    bytes: Vec<u8>,
    header: Header,
    /// Where the header ends and the ciphertext length begins.
    header_len: usize,
    hash: Hash32,
}

impl Envelope {
    /// Seals `change` as envelope `seq` of `device`, after the envelope whose hash is `prev`.
    pub fn seal(
        mut header: Header,
        change: &SignedChange,
        data_key: &DataKey,
        device_key: &SigningKey,
    ) -> Result<Self> {
        fill_random(&mut header.nonce).map_err(|_| Error::Random)?;
        header.cdk_epoch = data_key.epoch;
        let mut bytes = encode_header(&header)?;
        let header_len = bytes.len();

        let mut plaintext = Vec::with_capacity(change.bytes().len() + 68);
        put_len(&mut plaintext, change.bytes().len())?;
        plaintext.extend_from_slice(change.bytes());
        plaintext.extend_from_slice(change.signature());
        // Padded with zeros to a whole block: the server learns a change's size only to within
        // PAD_BLOCK bytes (a patient's name length is not in the envelope's length).
        plaintext.resize(plaintext.len().div_ceil(PAD_BLOCK) * PAD_BLOCK, 0);
        let cipher = XChaCha20Poly1305::new(data_key.key.expose().into());
        let aad = aead_data(&bytes);
        let ciphertext = cipher
            .encrypt(&XNonce::from(header.nonce), Payload { msg: &plaintext, aad: &aad })
            .map_err(|_| Error::Seal)?;
        put_len(&mut bytes, ciphertext.len())?;
        bytes.extend_from_slice(&ciphertext);
        let signature = device_key.sign(&signing_message(&bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        let hash = hash_of(&bytes);
        Ok(Self { bytes, header, header_len, hash })
    }

    /// Reads an envelope from outside: the header and every length are checked; nothing is
    /// verified yet.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(Error::TooLarge);
        }
        let mut r = Reader { rest: &bytes };
        let header = read_header(&mut r)?;
        let header_len = bytes.len() - r.rest.len();
        let ciphertext_len = r.len()?;
        r.take(ciphertext_len)?;
        r.take(64)?;
        if !r.rest.is_empty() {
            return Err(Error::Malformed("bytes after the device signature"));
        }
        let hash = hash_of(&bytes);
        Ok(Self { bytes, header, header_len, hash })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// What the device's next envelope names as its predecessor.
    pub fn hash(&self) -> Hash32 {
        self.hash
    }

    fn signed_part(&self) -> (&[u8], Signature) {
        let (signed, signature) = self.bytes.split_at(self.bytes.len() - 64);
        let signature: [u8; 64] = signature.try_into().expect("from_bytes checked 64 signature bytes");
        (signed, Signature::from_bytes(&signature))
    }

    /// Checks the device's signature over the exact bytes.
    pub fn verify_device(&self, device_key: &Hash32) -> Result<()> {
        let key = VerifyingKey::from_bytes(device_key).map_err(|_| Error::DeviceSignature)?;
        let (signed, signature) = self.signed_part();
        key.verify_strict(&signing_message(signed), &signature).map_err(|_| Error::DeviceSignature)
    }

    /// The message and signature for batch verification (`ed25519_dalek::verify_batch`).
    pub fn device_signature_parts(&self) -> (Vec<u8>, Signature) {
        let (signed, signature) = self.signed_part();
        (signing_message(signed), signature)
    }

    /// Opens the ciphertext under the clinic data key of the envelope's epoch: the change as its
    /// author signed it. Its author's signature is checked by the caller
    /// (`VerifiedChange::check`).
    pub fn open(&self, data_key: &DataKey) -> Result<SignedChange> {
        if data_key.epoch != self.header.cdk_epoch {
            return Err(Error::UnknownDataKey(self.header.cdk_epoch));
        }
        let header = &self.bytes[..self.header_len];
        let (signed, _) = self.signed_part();
        let ciphertext = &signed[self.header_len + 4..];
        let cipher = XChaCha20Poly1305::new(data_key.key.expose().into());
        let aad = aead_data(header);
        let plaintext = cipher
            .decrypt(&XNonce::from(self.header.nonce), Payload { msg: ciphertext, aad: &aad })
            .map_err(|_| Error::Open)?;
        let mut r = Reader { rest: &plaintext };
        let change_len = r.len()?;
        let change = r.take(change_len)?.to_vec();
        let signature = r.take(64)?;
        if r.rest.len() >= PAD_BLOCK || r.rest.iter().any(|b| *b != 0) {
            return Err(Error::Malformed("bytes after the author's signature that are not padding"));
        }
        SignedChange::from_parts(change, signature).map_err(|_| Error::Malformed("the change is not readable"))
    }
}

fn aead_data(header: &[u8]) -> Vec<u8> {
    [AEAD_DOMAIN, header].concat()
}

fn signing_message(signed: &[u8]) -> Vec<u8> {
    [SIGNING_DOMAIN, signed].concat()
}

fn hash_of(bytes: &[u8]) -> Hash32 {
    Sha256::new().chain_update(HASH_DOMAIN).chain_update(bytes).finalize().into()
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Result<()> {
    let len = u32::try_from(len).map_err(|_| Error::TooLarge)?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

fn encode_header(h: &Header) -> Result<Vec<u8>> {
    let device = h.device.as_bytes();
    let device_len = u8::try_from(device.len()).map_err(|_| Error::Malformed("the device id is too long"))?;
    let mut out = Vec::with_capacity(128 + device.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&h.clinic);
    out.push(device_len);
    out.extend_from_slice(device);
    out.extend_from_slice(&h.seq.to_be_bytes());
    out.extend_from_slice(&h.prev);
    out.extend_from_slice(&h.cdk_epoch.to_be_bytes());
    out.extend_from_slice(&h.chain_seq.to_be_bytes());
    out.extend_from_slice(&h.nonce);
    Ok(out)
}

fn read_header(r: &mut Reader<'_>) -> Result<Header> {
    let format = r.array::<1>()?[0];
    if format != FORMAT_V1 {
        return Err(Error::UnknownFormat(format));
    }
    let clinic = r.array()?;
    let device_len = usize::from(r.array::<1>()?[0]);
    let device = std::str::from_utf8(r.take(device_len)?)
        .map_err(|_| Error::Malformed("the device id is not UTF-8"))?
        .to_owned();
    if device.is_empty() {
        return Err(Error::Malformed("the device id is empty"));
    }
    let seq = u64::from_be_bytes(r.array()?);
    if seq == 0 {
        return Err(Error::Malformed("sequences start at 1"));
    }
    Ok(Header {
        clinic,
        device,
        seq,
        prev: r.array()?,
        cdk_epoch: u32::from_be_bytes(r.array()?),
        chain_seq: u64::from_be_bytes(r.array()?),
        nonce: r.array()?,
    })
}

/// Reads bytes from outside: every length is checked against what is left.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Error::Malformed("cut short"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| Error::Malformed("cut short"))
    }

    pub(crate) fn len(&mut self) -> Result<usize> {
        usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| Error::TooLarge)
    }
}
