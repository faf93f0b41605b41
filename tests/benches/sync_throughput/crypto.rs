//! The cost of each cryptographic step, in single-threaded micro-loops over the same changes.

use std::path::Path;
use std::time::Instant;

use ed25519_dalek::{Signer, VerifyingKey};
use mamori_core::replication::{self, SignedChange, VerifiedChange};
use mamori_story_tests::sync_fixture::CLINIC;
use mamori_sync::wire::{genesis_prev, Envelope, Hash32, Header};

use crate::fixtures::{chart_db, identity, keys, Chart};
use crate::{PAGE, WRITER};

/// Microseconds per change of each cryptographic step, single-threaded, over `m` of the same
/// changes.
pub struct Crypto {
    pub m: usize,
    /// `Envelope::seal` whole: XChaCha20-Poly1305, framing, SHA-256 of the envelope, Ed25519 sign.
    seal_and_sign: f64,
    /// Ed25519 device signature alone (over the same message).
    pub sign: f64,
    /// The server's strict check of each pushed envelope's device signature.
    pub verify_strict: f64,
    /// The laptop's batch check of a page's device signatures (500 per batch), per envelope.
    pub verify_batch: f64,
    /// `Envelope::open`: XChaCha20-Poly1305 decrypt plus reading the change.
    open: f64,
    /// Reading the change alone (`SignedChange::from_parts`), to take out of `open`.
    read_change: f64,
    /// `VerifiedChange::check`: the author's Ed25519 signature and role.
    pub author_check: f64,
    /// `Envelope::from_bytes`: the header read and the envelope's SHA-256 (server and laptop).
    pub read_and_hash: f64,
}

impl Crypto {
    /// XChaCha20-Poly1305 sealing and framing, without the signature.
    pub fn seal(&self) -> f64 {
        (self.seal_and_sign - self.sign).max(0.0)
    }

    pub fn open_aead(&self) -> f64 {
        (self.open - self.read_change).max(0.0)
    }

    /// Per change on the way out (desk and server): seal, sign, the server's check and hash.
    pub fn sending(&self) -> f64 {
        self.seal_and_sign + self.verify_strict + self.read_and_hash
    }

    /// Per change on the way in (laptop): batch check, hash, open, author check.
    pub fn receiving(&self) -> f64 {
        self.verify_batch + self.read_and_hash + self.open_aead() + self.author_check
    }
}

/// Microseconds per item of `run` over what `setup` makes (untimed), the best of three runs (the
/// machine may be busy with other work).
fn best_of_3<T>(items: usize, mut setup: impl FnMut() -> T, mut run: impl FnMut(T)) -> f64 {
    (0..3)
        .map(|_| {
            let input = setup();
            let started = Instant::now();
            run(input);
            started.elapsed().as_secs_f64() * 1e6 / items as f64
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn crypto_costs(template: &Path, m: usize, chart: Chart) -> Crypto {
    let conn = chart_db(template, chart);
    let changes: Vec<SignedChange> =
        replication::own_changes_after(&conn, WRITER, 0, m).expect("changes").into_iter().map(|(_, c)| c).collect();
    drop(conn);
    let m = changes.len();
    let desk = identity(WRITER);
    let key = desk.sealing_key().expect("a data key");
    let directory = keys();
    let device_public: Hash32 = desk.signing_key.verifying_key().to_bytes();
    let header = |seq: u64, prev: Hash32| Header {
        clinic: CLINIC,
        device: WRITER.into(),
        seq,
        prev,
        cdk_epoch: 1,
        chain_seq: 0,
        nonce: [0; 24],
    };
    let seal_all = || {
        let mut envelopes = Vec::with_capacity(m);
        let mut prev = genesis_prev(&CLINIC, WRITER);
        for (i, change) in changes.iter().enumerate() {
            let envelope = Envelope::seal(header(i as u64 + 1, prev), change, key, &desk.signing_key).expect("seal");
            prev = envelope.hash();
            envelopes.push(envelope);
        }
        envelopes
    };
    let envelopes = seal_all();

    let seal_and_sign = best_of_3(m, || (), |()| drop(std::hint::black_box(seal_all())));
    let messages: Vec<Vec<u8>> = envelopes.iter().map(|e| e.device_signature_parts().0).collect();
    let sign = best_of_3(
        m,
        || (),
        |()| {
            for message in &messages {
                std::hint::black_box(desk.signing_key.sign(message));
            }
        },
    );
    let verify_strict = best_of_3(
        m,
        || (),
        |()| {
            for envelope in &envelopes {
                envelope.verify_device(&device_public).expect("device signature");
            }
        },
    );
    // As `local::apply_page` does: the messages built, then one batch per page.
    let verifying = VerifyingKey::from_bytes(&device_public).expect("device key");
    let verify_batch = best_of_3(
        m,
        || (),
        |()| {
            for page in envelopes.chunks(PAGE) {
                let parts: Vec<_> = page.iter().map(Envelope::device_signature_parts).collect();
                let messages: Vec<&[u8]> = parts.iter().map(|(m, _)| m.as_slice()).collect();
                let signatures: Vec<_> = parts.iter().map(|(_, s)| *s).collect();
                let keys = vec![verifying; page.len()];
                ed25519_dalek::verify_batch(&messages, &signatures, &keys).expect("batch of device signatures");
            }
        },
    );
    let read_and_hash = best_of_3(
        m,
        || envelopes.iter().map(|e| e.bytes().to_vec()).collect::<Vec<_>>(),
        |all| {
            for bytes in all {
                std::hint::black_box(Envelope::from_bytes(bytes).expect("read"));
            }
        },
    );
    let open = best_of_3(
        m,
        || (),
        |()| {
            for envelope in &envelopes {
                std::hint::black_box(envelope.open(key).expect("open"));
            }
        },
    );
    let read_change = best_of_3(
        m,
        || changes.iter().map(|c| (c.bytes().to_vec(), *c.signature())).collect::<Vec<_>>(),
        |all| {
            for (change, signature) in all {
                std::hint::black_box(SignedChange::from_parts(change, &signature).expect("read change"));
            }
        },
    );
    let author_check = best_of_3(
        m,
        || changes.clone(),
        |all| {
            for change in all {
                std::hint::black_box(VerifiedChange::check(change, &directory).expect("author"));
            }
        },
    );
    Crypto { m, seal_and_sign, sign, verify_strict, verify_batch, open, read_change, author_check, read_and_hash }
}
