//! Frozen formats: byte fixtures that every later version of Mamori must still read.
//!
//! Records, key files and audit chains outlive the program that wrote them: a clinic's database
//! holds sealed records written years ago, and its `keys.json` may not be rewritten until a user
//! next logs in. Each file in `crates/core/tests/fixtures/` was written once by the v1 format from
//! deterministic test keys (never a real secret) and is never regenerated or edited. The tests here
//! decode each fixture with today's code and assert every field; where a format is deterministic
//! (hashes, signatures, an AEAD under a given nonce) they also encode the same inputs by the
//! format's recipe, written out here independently of the code, and compare bytes; and they check
//! that today's writer still produces what the recipe reads.
//!
//! A new version of a format (a sealed record v2, `keys.json` v2, a new audit domain) adds its own
//! fixture beside v1 (`sealed_record_v2_note.bin` with its inputs in `sealed_record_v2.json`, …) and
//! its own module here, written the same way. The v1 fixtures and their tests stay as they are:
//! a v2 reader must still open v1 bytes, and a failing v1 test means old data no longer opens.
//! The one exception is written down where it is made: sealed clinical records v1, which prove no
//! author and are refused since v2 (only pre-release versions wrote them; `sealed_record.rs`).

mod audit_chain;
mod key_file;
mod key_file_v2;
mod sealed_record;
mod sealed_record_v2;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

/// Reads a hex string of a fixture's JSON inputs into bytes.
fn hex_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    hex::decode(text).map_err(D::Error::custom)
}

/// Reads a hex string of a fixture's JSON inputs into exactly `N` bytes.
fn hex_array<'de, const N: usize, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<[u8; N], D::Error> {
    let bytes = hex_bytes(deserializer)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| D::Error::custom(format!("expected {N} bytes")))
}
