//! Fake envelopes: the storage layer reads only the fields of an `Incoming`, never its bytes, so
//! the bytes just name their place ("device/seq/variant") and the hash is derived from them.

use std::hash::{DefaultHasher, Hash, Hasher};

use mamori_server::storage::Incoming;
use mamori_sync::wire::Hash32;

/// What every device's first envelope names as its predecessor.
pub const GENESIS: Hash32 = [0x47; 32];

/// One envelope at `seq` after `prev`; envelopes of different `variant`s at one place differ.
pub fn envelope(device: &str, seq: u64, prev: Hash32, variant: u8) -> Incoming {
    let bytes = format!("{device}/{seq}/{variant}").into_bytes();
    Incoming { device: device.to_owned(), seq, prev, hash: hash_of(&bytes), genesis: GENESIS, bytes }
}

/// `count` envelopes chained from `genesis` (seq 1 on).
pub fn chain(device: &str, count: u64, variant: u8) -> Vec<Incoming> {
    chain_after(device, 0, GENESIS, count, variant)
}

/// `count` envelopes chained after the envelope at `seq` whose hash is `prev`.
pub fn chain_after(device: &str, seq: u64, prev: Hash32, count: u64, variant: u8) -> Vec<Incoming> {
    let mut prev = prev;
    (seq + 1..=seq + count)
        .map(|seq| {
            let next = envelope(device, seq, prev, variant);
            prev = next.hash;
            next
        })
        .collect()
}

/// The bytes of `envelopes`, as a page returns them.
pub fn bytes(envelopes: &[Incoming]) -> Vec<Vec<u8>> {
    envelopes.iter().map(|e| e.bytes.clone()).collect()
}

/// The (device, seq) a fake envelope's bytes name.
pub fn place(bytes: &[u8]) -> (String, u64) {
    let text = std::str::from_utf8(bytes).expect("fake envelope bytes are text");
    let mut parts = text.rsplitn(3, '/').skip(1);
    let seq = parts.next().and_then(|s| s.parse().ok()).expect("a sequence");
    (parts.next().expect("a device").to_owned(), seq)
}

/// Not a cryptographic hash; the stories only need distinct envelopes to have distinct hashes.
fn hash_of(bytes: &[u8]) -> Hash32 {
    let mut hash = [0; 32];
    for (i, chunk) in hash.chunks_mut(8).enumerate() {
        let mut hasher = DefaultHasher::new();
        (i, bytes).hash(&mut hasher);
        chunk.copy_from_slice(&hasher.finish().to_be_bytes());
    }
    hash
}
