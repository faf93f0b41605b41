//! The envelope: what it seals opens only under its key and only unaltered, every byte counts,
//! and format 1 as first written (a frozen fixture) is still read.

use ed25519_dalek::SigningKey;
use mamori_core::replication::{self, Hlc, SignedChange};
use mamori_core::secret::Key32;
use mamori_core::OpenBody;
use rusqlite::Connection;

use super::envelope::*;
use crate::error::Error;

const CLINIC: Hash32 = [0xC1; 32];

fn device_key() -> SigningKey {
    SigningKey::from_bytes(&[0xD1; 32])
}

fn data_key() -> DataKey {
    DataKey { epoch: 3, key: Key32::from_bytes([0x4B; 32]) }
}

fn change() -> SignedChange {
    let mut conn = Connection::open_in_memory().expect("open");
    replication::testing::migrate(&mut conn).expect("migrate");
    let body = OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "15".into() };
    let hlc = Hlc { wall_ms: 1_790_000_000_000, counter: 2 };
    replication::testing::write_open(&mut conn, "admin", &SigningKey::from_bytes(&[0xA1; 32]), "desk-1", hlc, body)
        .expect("write")
}

fn header(seq: u64) -> Header {
    Header {
        clinic: CLINIC,
        device: "desk-1".into(),
        seq,
        prev: genesis_prev(&CLINIC, "desk-1"),
        cdk_epoch: 0,
        chain_seq: 7,
        nonce: [0; 24],
    }
}

fn sealed() -> (SignedChange, Envelope) {
    let change = change();
    let envelope = Envelope::seal(header(1), &change, &data_key(), &device_key()).expect("seal");
    (change, envelope)
}

#[test]
fn an_envelope_opens_to_the_change_its_author_signed() {
    let (change, envelope) = sealed();
    let read = Envelope::from_bytes(envelope.bytes().to_vec()).expect("readable");
    assert_eq!(read.header().seq, 1);
    assert_eq!(read.header().cdk_epoch, 3, "sealed under the epoch of the key used");
    assert_eq!(read.hash(), envelope.hash());
    read.verify_device(&device_key().verifying_key().to_bytes()).expect("the device signed it");
    let opened = read.open(&data_key()).expect("opens");
    assert_eq!((opened.bytes(), opened.signature()), (change.bytes(), change.signature()));
    let text = String::from_utf8_lossy(envelope.bytes());
    assert!(!text.contains("idle_timeout_minutes") && !text.contains("admin"), "the change is sealed");
}

#[test]
fn another_key_epoch_or_device_does_not_open_or_verify_it() {
    let (_, envelope) = sealed();
    let other = DataKey { epoch: 3, key: Key32::from_bytes([0x4C; 32]) };
    assert!(matches!(envelope.open(&other), Err(Error::Open)));
    let other_epoch = DataKey { epoch: 4, key: Key32::from_bytes([0x4B; 32]) };
    assert!(matches!(envelope.open(&other_epoch), Err(Error::UnknownDataKey(3))));
    let stranger = SigningKey::from_bytes(&[0xD2; 32]).verifying_key().to_bytes();
    assert!(matches!(envelope.verify_device(&stranger), Err(Error::DeviceSignature)));
}

#[test]
fn every_flipped_byte_is_refused() {
    let (_, envelope) = sealed();
    let device = device_key().verifying_key().to_bytes();
    for i in 0..envelope.bytes().len() {
        let mut bytes = envelope.bytes().to_vec();
        bytes[i] ^= 0x01;
        let accepted = Envelope::from_bytes(bytes)
            .and_then(|e| e.verify_device(&device).and_then(|()| e.open(&data_key())).map(|_| e))
            .is_ok();
        assert!(!accepted, "byte {i} flipped was accepted");
    }
}

#[test]
fn cut_short_or_padded_envelopes_are_not_read() {
    let (_, envelope) = sealed();
    for len in 0..envelope.bytes().len() {
        assert!(Envelope::from_bytes(envelope.bytes()[..len].to_vec()).is_err(), "cut at {len}");
    }
    let mut padded = envelope.bytes().to_vec();
    padded.push(0);
    assert!(Envelope::from_bytes(padded).is_err());
    assert!(matches!(Envelope::from_bytes(vec![0u8; MAX_ENVELOPE_BYTES + 1]), Err(Error::TooLarge)));
    let mut seq_zero = envelope.bytes().to_vec();
    // The sequence sits after the format byte, the clinic and the device id.
    let at = 1 + 32 + 1 + "desk-1".len();
    seq_zero[at..at + 8].copy_from_slice(&0u64.to_be_bytes());
    assert!(Envelope::from_bytes(seq_zero).is_err(), "sequences start at 1");
}

/// Envelope format 1 as the first version wrote it. Written once with
/// `MAMORI_WRITE_FIXTURES=1`; never rewritten for a format that has shipped.
#[test]
fn format_1_as_first_written_is_still_read() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/envelope_v1.bin");
    if std::env::var("MAMORI_WRITE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::write(&path, sealed().1.bytes()).expect("write fixture");
    }
    let bytes = std::fs::read(&path).expect("the frozen fixture");
    let envelope = Envelope::from_bytes(bytes).expect("readable");
    let h = envelope.header();
    assert_eq!((h.clinic, h.device.as_str(), h.seq, h.cdk_epoch, h.chain_seq), (CLINIC, "desk-1", 1, 3, 7));
    assert_eq!(h.prev, genesis_prev(&CLINIC, "desk-1"));
    envelope.verify_device(&device_key().verifying_key().to_bytes()).expect("device signature");
    let change = envelope.open(&data_key()).expect("opens");
    assert_eq!((change.author(), change.device()), ("admin", "desk-1"));
    assert_eq!(change.hlc(), Hlc { wall_ms: 1_790_000_000_000, counter: 2 });
    assert_eq!(
        change.body(),
        &OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "15".into() }.into()
    );
    let author = SigningKey::from_bytes(&[0xA1; 32]).verifying_key().to_bytes();
    let authors =
        std::collections::BTreeMap::from([("admin".to_string(), (mamori_core::domain::Role::Admin, vec![author]))]);
    change.verify(&authors).expect("the author's signature over the change's exact bytes");
}

#[test]
fn changes_of_nearly_the_same_size_give_envelopes_of_the_same_length() {
    let sealed_with = |value: &str| {
        let mut conn = Connection::open_in_memory().expect("open");
        replication::testing::migrate(&mut conn).expect("migrate");
        let body = OpenBody::SettingChanged { key: "clinic_name".into(), value: value.into() };
        let hlc = Hlc { wall_ms: 1_790_000_000_000, counter: 0 };
        let change = replication::testing::write_open(
            &mut conn,
            "admin",
            &SigningKey::from_bytes(&[0xA1; 32]),
            "desk-1",
            hlc,
            body,
        )
        .expect("write");
        Envelope::seal(header(1), &change, &data_key(), &device_key()).expect("seal").bytes().len()
    };
    // 林 and 勅使河原: a name's length is not in the envelope's.
    assert_eq!(sealed_with("林"), sealed_with("勅使河原"));
    assert_eq!(
        (sealed_with("x".repeat(400).as_str()) - sealed_with("林")) % PAD_BLOCK,
        0,
        "lengths differ by whole blocks"
    );
}
