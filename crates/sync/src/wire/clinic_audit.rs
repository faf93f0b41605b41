//! The clinic-wide audit an administrator's device reads for the insider detector: every
//! device's audit batches exactly as their devices signed them, so the reader checks each event
//! against its device's key rather than trusting the server's rows.
//!
//! ```text
//! request:  [version] [since: Unix seconds i64] [after: batch number u64]
//! answer:   [version] [more: u8] [count u32] { [batch number u64] [length u32] [signed batch] }
//! ```

use super::codec::{finish, open, put_u32, read_more, start, Codec};
use crate::error::{Error, Result};

/// Most batches in one answer (a batch holds up to a thousand events as devices ship them).
pub const MAX_BATCHES: usize = 64;
/// Largest signed batch read (5000 events of at most 64 KiB each is the format's own bound).
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Batches holding events at or after `since` (Unix seconds), numbered after `after` (the last
/// number of the page before; 0 for the first page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditBatchesRequest {
    pub since: i64,
    pub after: u64,
}

/// A page of signed audit batches (`wire::audit`), each with the server's number for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditBatches {
    pub batches: Vec<(u64, Vec<u8>)>,
    /// Whether another page follows.
    pub more: bool,
}

impl Codec for AuditBatchesRequest {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.extend_from_slice(&self.since.to_be_bytes());
        out.extend_from_slice(&self.after.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let since = i64::from_be_bytes(r.array()?);
        let after = u64::from_be_bytes(r.array()?);
        finish(&r, AuditBatchesRequest { since, after })
    }
}

impl Codec for AuditBatches {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.push(u8::from(self.more));
        put_u32(&mut out, self.batches.len());
        for (number, bytes) in &self.batches {
            out.extend_from_slice(&number.to_be_bytes());
            put_u32(&mut out, bytes.len());
            out.extend_from_slice(bytes);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let more = read_more(&mut r)?;
        let count = r.len()?;
        if count > MAX_BATCHES {
            return Err(Error::TooLarge);
        }
        let mut batches = Vec::with_capacity(count);
        for _ in 0..count {
            let number = u64::from_be_bytes(r.array()?);
            let len = r.len()?;
            if len > MAX_BATCH_BYTES {
                return Err(Error::TooLarge);
            }
            batches.push((number, r.take(len)?.to_vec()));
        }
        finish(&r, AuditBatches { batches, more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_and_its_request_survive_the_round_trip() {
        let request = AuditBatchesRequest { since: 1_764_000_000, after: 17 };
        assert_eq!(AuditBatchesRequest::decode(&request.encode()).expect("request"), request);
        let page = AuditBatches { batches: vec![(3, b"signed".to_vec()), (9, Vec::new())], more: true };
        assert_eq!(AuditBatches::decode(&page.encode()).expect("page"), page);
    }

    #[test]
    fn a_cut_short_or_padded_or_oversized_page_is_refused() {
        let page = AuditBatches { batches: vec![(3, b"signed".to_vec())], more: false }.encode();
        assert!(AuditBatches::decode(&page[..page.len() - 1]).is_err(), "cut short");
        assert!(AuditBatches::decode(&[page.as_slice(), b"x"].concat()).is_err(), "bytes after the end");
        let mut flag = page.clone();
        flag[1] = 7;
        assert!(AuditBatches::decode(&flag).is_err(), "a flag that is neither 0 nor 1");
        let mut many = vec![1, 0];
        many.extend_from_slice(&u32::try_from(MAX_BATCHES + 1).expect("small").to_be_bytes());
        assert!(matches!(AuditBatches::decode(&many), Err(Error::TooLarge)));
        assert!(AuditBatchesRequest::decode(&[1, 0, 0]).is_err());
    }
}
