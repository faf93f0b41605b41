//! The encrypted chart database (SQLCipher 4 through rusqlite).
//!
//! Opening follows Signal Desktop's order: key with the raw 32-byte key as the very first
//! statement, verify the key with a read (SQLCipher does not check it at `PRAGMA key`), then WAL.

pub mod migrations;
mod open;

pub use open::Store;
