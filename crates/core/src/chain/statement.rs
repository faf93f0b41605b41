//! What a link of the membership chain says, and whose signature it needs (checked in
//! `membership.rs`).

use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// A 32-byte public key or hash, as lower-case hex in the signed JSON.
pub type Hex32 = [u8; 32];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Statement {
    /// The clinic's first user (its administrator, or a single-handed clinic's doctor). Signed by
    /// the clinic root key, whose private half is on no device (only in the printed recovery kit).
    FirstUser {
        user: String,
        display_name: String,
        role: Role,
        #[serde(with = "hex::serde")]
        signing_key: Hex32,
        #[serde(with = "hex::serde")]
        x25519: Hex32,
    },
    /// A new user with their public keys. Signed by an enabled administrator.
    AddUser {
        user: String,
        display_name: String,
        role: Role,
        #[serde(with = "hex::serde")]
        signing_key: Hex32,
        #[serde(with = "hex::serde")]
        x25519: Hex32,
    },
    /// A user's new role. Signed by an enabled administrator.
    SetRole { user: String, role: Role },
    /// A user disabled or enabled again. Signed by an enabled administrator.
    SetDisabled { user: String, disabled: bool },
    /// A new clinical section key epoch and a commitment to its key. Signed by an enabled doctor
    /// or nurse.
    ClinicalKeyEpoch {
        epoch: u32,
        #[serde(with = "hex::serde")]
        commitment: Hex32,
    },
    /// A clinician confirms that a new clinical user is who the admin says (name, role, key
    /// fingerprint checked with them), so the clinical key may be passed to them. Signed by an
    /// enabled doctor or nurse.
    ConfirmRecipient {
        user: String,
        #[serde(with = "hex::serde")]
        x25519: Hex32,
    },
}

impl Statement {
    /// The user a statement is about, if any.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Statement::FirstUser { user, .. }
            | Statement::AddUser { user, .. }
            | Statement::SetRole { user, .. }
            | Statement::SetDisabled { user, .. }
            | Statement::ConfirmRecipient { user, .. } => Some(user),
            Statement::ClinicalKeyEpoch { .. } => None,
        }
    }
}
