//! Checks shared by the sync stories and the simulation: each device's envelopes form an unbroken
//! chain signed by that device.

use mamori_story_tests::sync_fixture::{Keys, CLINIC};
use mamori_sync::wire::{genesis_prev, Envelope};

/// Each device's envelopes, in order: numbered 1, 2, 3 …, each naming the one before, each
/// signed by its device.
pub fn chains_verify(envelopes: Vec<Vec<u8>>, keys: &Keys) -> Result<(), String> {
    let mut last: Option<(String, u64, [u8; 32])> = None;
    for bytes in envelopes {
        let envelope = Envelope::from_bytes(bytes).map_err(|e| e.to_string())?;
        let h = envelope.header().clone();
        let key = mamori_sync::Directory::device_key(keys, &h.device).ok_or("an unknown device")?;
        envelope.verify_device(&key).map_err(|e| format!("{} #{}: {e}", h.device, h.seq))?;
        let (want_seq, want_prev) = match &last {
            Some((device, seq, hash)) if *device == h.device => (seq + 1, *hash),
            _ => (1, genesis_prev(&CLINIC, &h.device)),
        };
        if h.seq != want_seq || h.prev != want_prev {
            return Err(format!("{} #{} breaks its chain (expected #{want_seq})", h.device, h.seq));
        }
        last = Some((h.device.clone(), h.seq, envelope.hash()));
    }
    Ok(())
}
