//! A change as its author signed it: the exact bytes, and an Ed25519 signature by the author's
//! user key over them. This is the form a change travels in between devices (inside the sync
//! envelope, `docs/change-log.md` "Signed changes"): a replica checks the signature over the
//! bytes it received, never over a re-serialized row, and reads the change from those bytes.
//!
//! ```text
//! [0x01 format]
//! [change id: 16] [stamp: wall ms i64 BE, counter u32 BE]
//! [replaces: count u8, then that many change ids of 16]
//! [author: u8 length + UTF-8] [device: u8 length + UTF-8] [chain head the author held: u64 BE]
//! [0x00 open:   u32 length + JSON of the open body]
//! [0x01 sealed: u32 length + JSON of the clinical index, u32 length + sealed record]
//! ```

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use uuid::Uuid;

use super::change::{Change, OpenBody};
use super::hlc::Hlc;
use super::record::AuthorKeys;
use super::sealed::{ClinicalIndex, LoggedBody, SealedBody};
use crate::{Error, Result};

const FORMAT_V1: u8 = 0x01;
const SIGNING_DOMAIN: &[u8] = b"mamori-change-v1/sign\0";
/// A change larger than this is refused before it is read (a note is a few KiB).
pub const MAX_CHANGE_BYTES: usize = 1 << 20;

/// A change with its author's signature over its exact bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedChange {
    change: Change,
    bytes: Vec<u8>,
    signature: [u8; 64],
}

impl SignedChange {
    /// Encodes `change` and signs it with its author's key.
    pub(crate) fn sign(change: Change, key: &SigningKey) -> Result<Self> {
        let bytes = encode(&change)?;
        let signature = key.sign(&signing_message(&bytes)).to_bytes();
        Ok(Self { change, bytes, signature })
    }

    /// A change as received: its bytes are read, but its signature is not yet checked (see
    /// [`SignedChange::verify`]).
    pub fn from_parts(bytes: Vec<u8>, signature: &[u8]) -> Result<Self> {
        let signature: [u8; 64] = signature.try_into().map_err(|_| unreadable("the signature has the wrong length"))?;
        let change = decode(&bytes)?;
        Ok(Self { change, bytes, signature })
    }

    /// Checks the signature against the keys the verified membership chain gives the author at
    /// the link the change names.
    pub fn verify(&self, authors: &dyn AuthorKeys) -> Result<()> {
        let signature = Signature::from_bytes(&self.signature);
        let message = signing_message(&self.bytes);
        let signed = authors
            .signing_keys_at(&self.change.author, self.change.chain_seq)
            .iter()
            .any(|key| VerifyingKey::from_bytes(key).is_ok_and(|key| key.verify_strict(&message, &signature).is_ok()));
        if signed {
            Ok(())
        } else {
            Err(Error::ChangeNotVerified { id: self.change.id.to_string() })
        }
    }

    pub fn id(&self) -> Uuid {
        self.change.id
    }

    pub fn hlc(&self) -> Hlc {
        self.change.hlc
    }

    pub fn author(&self) -> &str {
        &self.change.author
    }

    pub fn device(&self) -> &str {
        &self.change.device
    }

    /// The changes of the same record this one replaces: every newest version its writer held.
    /// The membership chain head the author held when writing.
    pub fn chain_seq(&self) -> u64 {
        self.change.chain_seq
    }

    pub fn replaces(&self) -> &[Uuid] {
        &self.change.replaces
    }

    pub fn body(&self) -> &LoggedBody {
        &self.change.body
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    pub(crate) fn change(&self) -> &Change {
        &self.change
    }
}

fn signing_message(bytes: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_DOMAIN.len() + bytes.len());
    message.extend_from_slice(SIGNING_DOMAIN);
    message.extend_from_slice(bytes);
    message
}

fn unreadable(_why: &'static str) -> Error {
    Error::UnreadableChange { id: "(received)".into() }
}

fn encode(change: &Change) -> Result<Vec<u8>> {
    let too_long = || Error::InvalidState("a change's author or device name is too long to send");
    let mut out = Vec::with_capacity(256);
    out.push(FORMAT_V1);
    out.extend_from_slice(change.id.as_bytes());
    out.extend_from_slice(&change.hlc.wall_ms.to_be_bytes());
    out.extend_from_slice(&change.hlc.counter.to_be_bytes());
    out.push(u8::try_from(change.replaces.len()).map_err(|_| Error::InvalidState("a change replaces too many"))?);
    for replaced in &change.replaces {
        out.extend_from_slice(replaced.as_bytes());
    }
    for name in [&change.author, &change.device] {
        out.push(u8::try_from(name.len()).map_err(|_| too_long())?);
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(&change.chain_seq.to_be_bytes());
    let encoded = |value: Result<Vec<u8>, serde_json::Error>| {
        value.map_err(|_| Error::InvalidState("a change could not be encoded"))
    };
    match &change.body {
        LoggedBody::Open(body) => {
            out.push(0);
            put_long(&mut out, &encoded(serde_json::to_vec(body))?)?;
        }
        LoggedBody::Sealed(body) => {
            out.push(1);
            put_long(&mut out, &encoded(serde_json::to_vec(body.index()))?)?;
            put_long(&mut out, body.record())?;
        }
    }
    Ok(out)
}

fn put_long(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| Error::InvalidState("a change is too large to send"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Reads bytes from outside: every length is checked, nothing is trusted.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(unreadable("the change is cut short"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| unreadable("the change is cut short"))
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn name(&mut self) -> Result<String> {
        let len = usize::from(self.byte()?);
        let bytes = self.take(len)?;
        let name = std::str::from_utf8(bytes).map_err(|_| unreadable("a name is not UTF-8"))?;
        if name.is_empty() {
            return Err(unreadable("a name is empty"));
        }
        Ok(name.to_owned())
    }

    fn long(&mut self) -> Result<&'a [u8]> {
        let len = u32::from_be_bytes(self.array()?);
        self.take(usize::try_from(len).map_err(|_| unreadable("a length is too large"))?)
    }
}

fn decode(bytes: &[u8]) -> Result<Change> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(unreadable("the change is too large"));
    }
    let mut r = Reader { rest: bytes };
    if r.byte()? != FORMAT_V1 {
        return Err(unreadable("the change has an unknown format"));
    }
    let id = Uuid::from_bytes(r.array()?);
    let hlc = Hlc { wall_ms: i64::from_be_bytes(r.array()?), counter: u32::from_be_bytes(r.array()?) };
    let replaces = (0..r.byte()?).map(|_| r.array().map(Uuid::from_bytes)).collect::<Result<Vec<_>>>()?;
    let author = r.name()?;
    let device = r.name()?;
    let chain_seq = u64::from_be_bytes(r.array()?);
    let body = match r.byte()? {
        0 => LoggedBody::Open(
            serde_json::from_slice::<OpenBody>(r.long()?).map_err(|_| unreadable("the body is not readable"))?,
        ),
        1 => {
            let index: ClinicalIndex =
                serde_json::from_slice(r.long()?).map_err(|_| unreadable("the index is not readable"))?;
            LoggedBody::Sealed(SealedBody::from_log(index, r.long()?.to_vec()))
        }
        _ => return Err(unreadable("the body kind is unknown")),
    };
    if !r.rest.is_empty() {
        return Err(unreadable("the change has bytes after its end"));
    }
    Ok(Change { id, hlc, author, device, chain_seq, replaces, body })
}
