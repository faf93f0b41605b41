use ed25519_dalek::SigningKey;

use super::audit::AuditBatch;

/// A server or whoever holds its database flips one byte of a stored audit batch: the batch no
/// longer opens, wherever the byte is.
#[test]
fn every_flipped_byte_of_an_audit_batch_is_refused() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key().to_bytes();
    let batch = AuditBatch {
        clinic: [1; 32],
        device: "desk".into(),
        first: 3,
        prev: Some([2; 32]),
        bodies: vec![br#"{"seq":3,"who":"doctor"}"#.to_vec(), br#"{"seq":4,"who":"nurse"}"#.to_vec()],
        head: [9; 32],
    };
    let bytes = batch.sign(&key).expect("signed");
    assert_eq!(AuditBatch::open(&bytes, |_| Some(public)).expect("opens"), batch);
    for at in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        assert!(AuditBatch::open(&flipped, |_| Some(public)).is_err(), "byte {at} flipped still opens");
    }
}
