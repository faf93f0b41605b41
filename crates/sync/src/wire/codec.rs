//! The bodies of sync requests and answers as bytes (`application/vnd.mamori.sync.v1`): a
//! version byte, then length-prefixed fields, big-endian. Envelopes travel as their exact bytes.
//! Every length read from outside is checked against what is left and against a cap.

use uuid::Uuid;

use super::envelope::{Reader, MAX_ENVELOPE_BYTES};
use super::frontier::{Frontier, Position};
use super::messages::{
    AuditEvents, AuditOutcome, AuditReceipt, ChainLinks, KeyWraps, PullRequest, PullResponse, PushOutcome, PushRequest,
    PushResponse, ServerState, VaultRecords,
};
use crate::error::{Error, Result};

pub const CONTENT_TYPE: &str = "application/vnd.mamori.sync.v1";
const VERSION: u8 = 1;
/// Most envelopes in one body, and most devices in one frontier.
pub const MAX_ITEMS: usize = 100_000;

pub trait Codec: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Result<Self>;
}

pub(super) fn start() -> Vec<u8> {
    vec![VERSION]
}

pub(super) fn open(bytes: &[u8]) -> Result<Reader<'_>> {
    let mut r = Reader { rest: bytes };
    match r.array::<1>()?[0] {
        VERSION => Ok(r),
        other => Err(Error::UnknownFormat(other)),
    }
}

pub(super) fn finish<T>(r: &Reader<'_>, value: T) -> Result<T> {
    if r.rest.is_empty() {
        Ok(value)
    } else {
        Err(Error::Malformed("bytes after the end of the message"))
    }
}

pub(super) fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

pub(super) fn put_blobs(out: &mut Vec<u8>, blobs: &[Vec<u8>]) {
    put_u32(out, blobs.len());
    for blob in blobs {
        put_u32(out, blob.len());
        out.extend_from_slice(blob);
    }
}

fn count(r: &mut Reader<'_>) -> Result<usize> {
    let n = r.len()?;
    if n > MAX_ITEMS {
        return Err(Error::TooLarge);
    }
    Ok(n)
}

/// A page's `more` flag: one byte, 0 or 1.
pub(super) fn read_more(r: &mut Reader<'_>) -> Result<bool> {
    match r.array::<1>()?[0] {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::Malformed("`more` is neither 0 nor 1")),
    }
}

pub(super) fn read_blobs(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>> {
    let n = count(r)?;
    let mut blobs = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let len = r.len()?;
        if len > MAX_ENVELOPE_BYTES {
            return Err(Error::TooLarge);
        }
        blobs.push(r.take(len)?.to_vec());
    }
    Ok(blobs)
}

fn put_frontier(out: &mut Vec<u8>, frontier: &Frontier) {
    put_u32(out, frontier.0.len());
    for (device, p) in &frontier.0 {
        out.push(u8::try_from(device.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&device.as_bytes()[..device.len().min(255)]);
        out.extend_from_slice(&p.seq.to_be_bytes());
        out.extend_from_slice(&p.hash);
    }
}

fn read_frontier(r: &mut Reader<'_>) -> Result<Frontier> {
    let n = count(r)?;
    let mut frontier = Frontier::default();
    for _ in 0..n {
        let len = usize::from(r.array::<1>()?[0]);
        let device = std::str::from_utf8(r.take(len)?).map_err(|_| Error::Malformed("a device id is not UTF-8"))?;
        let position = Position { seq: u64::from_be_bytes(r.array()?), hash: r.array()? };
        if frontier.0.insert(device.to_owned(), position).is_some() {
            return Err(Error::Malformed("a device appears twice in a frontier"));
        }
    }
    Ok(frontier)
}

fn put_state(out: &mut Vec<u8>, state: &ServerState) {
    out.extend_from_slice(state.instance.as_bytes());
    put_frontier(out, &state.frontier);
}

fn read_state(r: &mut Reader<'_>) -> Result<ServerState> {
    Ok(ServerState { instance: Uuid::from_bytes(r.array()?), frontier: read_frontier(r)? })
}

impl Codec for ServerState {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_state(&mut out, self);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let state = read_state(&mut r)?;
        finish(&r, state)
    }
}

impl Codec for PushRequest {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_blobs(&mut out, &self.envelopes);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let envelopes = read_blobs(&mut r)?;
        finish(&r, PushRequest { envelopes })
    }
}

impl Codec for PushResponse {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_u32(&mut out, self.outcomes.len());
        for outcome in &self.outcomes {
            match outcome {
                PushOutcome::Stored => out.push(0),
                PushOutcome::AlreadyHeld => out.push(1),
                PushOutcome::Gap { held } => {
                    out.push(2);
                    out.extend_from_slice(&held.to_be_bytes());
                }
                PushOutcome::Fork => out.push(3),
                PushOutcome::Refused(reason) => {
                    out.push(4);
                    let reason = &reason.as_bytes()[..reason.len().min(1024)];
                    put_u32(&mut out, reason.len());
                    out.extend_from_slice(reason);
                }
            }
        }
        put_state(&mut out, &self.state);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let n = count(&mut r)?;
        let mut outcomes = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            outcomes.push(match r.array::<1>()?[0] {
                0 => PushOutcome::Stored,
                1 => PushOutcome::AlreadyHeld,
                2 => PushOutcome::Gap { held: u64::from_be_bytes(r.array()?) },
                3 => PushOutcome::Fork,
                4 => {
                    let len = r.len()?;
                    let reason = String::from_utf8_lossy(r.take(len.min(1024))?).into_owned();
                    PushOutcome::Refused(reason)
                }
                _ => return Err(Error::Malformed("an unknown push outcome")),
            });
        }
        let state = read_state(&mut r)?;
        finish(&r, PushResponse { outcomes, state })
    }
}

impl Codec for PullRequest {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.extend_from_slice(&self.limit.to_be_bytes());
        put_frontier(&mut out, &self.have);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let limit = u32::from_be_bytes(r.array()?);
        let have = read_frontier(&mut r)?;
        finish(&r, PullRequest { have, limit })
    }
}

impl Codec for PullResponse {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.push(u8::from(self.more));
        put_blobs(&mut out, &self.envelopes);
        put_state(&mut out, &self.state);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let more = read_more(&mut r)?;
        let envelopes = read_blobs(&mut r)?;
        let state = read_state(&mut r)?;
        finish(&r, PullResponse { envelopes, more, state })
    }
}

/// Signed items (exact bytes, signature) as one flat list of blobs.
/// Items of three blobs each, flattened into one list.
pub(super) fn put_triples(out: &mut Vec<u8>, items: impl Iterator<Item = [Vec<u8>; 3]>) {
    let flat: Vec<Vec<u8>> = items.flatten().collect();
    put_blobs(out, &flat);
}

/// What [`put_triples`] wrote; `incomplete` says what is wrong when the count is not a multiple
/// of three.
pub(super) fn read_triples(r: &mut Reader<'_>, incomplete: &'static str) -> Result<Vec<[Vec<u8>; 3]>> {
    let flat = read_blobs(r)?;
    if flat.len() % 3 != 0 {
        return Err(Error::Malformed(incomplete));
    }
    let mut items = Vec::with_capacity(flat.len() / 3);
    let mut parts = flat.into_iter();
    while let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) {
        items.push([a, b, c]);
    }
    Ok(items)
}

pub(super) fn put_signed(out: &mut Vec<u8>, items: &[(Vec<u8>, Vec<u8>)]) {
    let flat: Vec<Vec<u8>> = items.iter().flat_map(|(bytes, signature)| [bytes.clone(), signature.clone()]).collect();
    put_blobs(out, &flat);
}

pub(super) fn read_signed(r: &mut Reader<'_>, unpaired: &'static str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let flat = read_blobs(r)?;
    if flat.len() % 2 != 0 {
        return Err(Error::Malformed(unpaired));
    }
    Ok(flat.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect())
}

impl Codec for ChainLinks {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.extend_from_slice(&self.first.to_be_bytes());
        put_signed(&mut out, &self.links);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let first = u64::from_be_bytes(r.array()?);
        let links = read_signed(&mut r, "a link without its signature")?;
        finish(&r, ChainLinks { first, links })
    }
}

impl Codec for VaultRecords {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_signed(&mut out, &self.records);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let records = read_signed(&mut r, "a vault record without its signature")?;
        finish(&r, VaultRecords { records })
    }
}

impl Codec for KeyWraps {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_blobs(&mut out, &self.wraps);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let wraps = read_blobs(&mut r)?;
        finish(&r, KeyWraps { wraps })
    }
}

impl Codec for AuditEvents {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        let items = self
            .events
            .iter()
            .map(|(device, seq, body)| [device.as_bytes().to_vec(), seq.to_be_bytes().to_vec(), body.clone()]);
        put_triples(&mut out, items);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let mut events = Vec::new();
        for [device, seq, body] in read_triples(&mut r, "an audit event without its device or sequence")? {
            let device = String::from_utf8(device).map_err(|_| Error::Malformed("a device id is not UTF-8"))?;
            let seq: [u8; 8] = seq.as_slice().try_into().map_err(|_| Error::Malformed("a sequence is 8 bytes"))?;
            events.push((device, u64::from_be_bytes(seq), body));
        }
        finish(&r, AuditEvents { events })
    }
}

impl Codec for AuditReceipt {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.push(match self.outcome {
            AuditOutcome::Stored => 0,
            AuditOutcome::AlreadyHeld => 1,
            AuditOutcome::Gap => 2,
            AuditOutcome::Fork => 3,
        });
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.hash);
        put_blobs(&mut out, std::slice::from_ref(&self.countersignature));
        out.extend_from_slice(&self.server_key);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let outcome = match r.array::<1>()?[0] {
            0 => AuditOutcome::Stored,
            1 => AuditOutcome::AlreadyHeld,
            2 => AuditOutcome::Gap,
            3 => AuditOutcome::Fork,
            _ => return Err(Error::Malformed("an unknown audit outcome")),
        };
        let seq = u64::from_be_bytes(r.array()?);
        let hash = r.array()?;
        let mut blobs = read_blobs(&mut r)?;
        let countersignature =
            blobs.pop().filter(|_| blobs.is_empty()).ok_or(Error::Malformed("one countersignature"))?;
        let server_key = r.array()?;
        finish(&r, AuditReceipt { outcome, seq, hash, countersignature, server_key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontier() -> Frontier {
        let mut f = Frontier::default();
        f.0.insert("desk-1".into(), Position { seq: 42, hash: [7; 32] });
        f.0.insert("laptop-2".into(), Position { seq: 1, hash: [9; 32] });
        f
    }

    fn state() -> ServerState {
        ServerState { instance: Uuid::from_u128(5), frontier: frontier() }
    }

    fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(value: T) {
        let bytes = value.encode();
        assert_eq!(T::decode(&bytes).expect("decodes"), value);
        for len in 0..bytes.len() {
            assert!(T::decode(&bytes[..len]).is_err(), "cut at {len} was read");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(T::decode(&padded).is_err(), "trailing bytes were read");
        let mut other_version = bytes;
        other_version[0] = 2;
        assert!(matches!(T::decode(&other_version), Err(Error::UnknownFormat(2))));
    }

    #[test]
    fn every_message_reads_back_and_nothing_less_or_more_is_read() {
        round_trip(state());
        round_trip(PushRequest { envelopes: vec![vec![1, 2, 3], Vec::new(), vec![0xFF; 300]] });
        round_trip(PushResponse {
            outcomes: vec![
                PushOutcome::Stored,
                PushOutcome::AlreadyHeld,
                PushOutcome::Gap { held: 9 },
                PushOutcome::Fork,
                PushOutcome::Refused("device x is not enrolled".into()),
            ],
            state: state(),
        });
        round_trip(PullRequest { have: frontier(), limit: 500 });
        round_trip(PullResponse { envelopes: vec![vec![4; 10]], more: true, state: state() });
        round_trip(ChainLinks { first: 3, links: vec![(vec![1, 2], vec![3; 64]), (vec![4], vec![5; 64])] });
        round_trip(KeyWraps { wraps: vec![vec![6; 90]] });
        round_trip(VaultRecords { records: vec![(vec![7; 300], vec![8; 64])] });
        round_trip(AuditEvents { events: vec![("desk".into(), 7, b"{}".to_vec())] });
        round_trip(AuditReceipt {
            outcome: AuditOutcome::Gap,
            seq: 12,
            hash: [3; 32],
            countersignature: vec![4; 64],
            server_key: [5; 32],
        });
    }

    #[test]
    fn a_count_beyond_the_cap_is_refused_before_anything_is_allocated() {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(PushRequest::decode(&bytes), Err(Error::TooLarge)));
        let mut twice = vec![VERSION, 0, 0, 0, 0];
        twice.extend_from_slice(&2u32.to_be_bytes());
        for _ in 0..2 {
            twice.push(1);
            twice.push(b'a');
            twice.extend_from_slice(&[0; 40]);
        }
        assert!(PullRequest::decode(&twice).is_err(), "a device twice in one frontier");
    }
}
