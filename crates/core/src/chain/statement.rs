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
    /// A new user, invited: their keys are not known yet. `invite_key` is derived from the one-time
    /// invitation code the administrator hands them; only its holder can accept. Signed by an
    /// enabled administrator.
    InviteUser {
        user: String,
        display_name: String,
        role: Role,
        #[serde(with = "hex::serde")]
        invite_key: Hex32,
    },
    /// The invited user's own public keys, from the seed they made at their first login. Signed by
    /// the invitation key (proof they hold the code), once.
    AcceptInvitation {
        user: String,
        #[serde(with = "hex::serde")]
        signing_key: Hex32,
        #[serde(with = "hex::serde")]
        x25519: Hex32,
    },
    /// A new second factor for a user who lost theirs: a one-time reset code whose hash this
    /// names; the user redeems it at their next login and enrolls a new authenticator in their own
    /// session. Signed by an enabled administrator.
    ResetSecondFactor {
        user: String,
        #[serde(with = "hex::serde")]
        code_hash: Hex32,
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
    /// A device may join the clinic's sync: `invite_key` is derived from the one-time enrollment
    /// code the administrator hands over with the server's address and certificate fingerprint;
    /// only its holder accepts, so a server cannot put its own keys in the device's place.
    /// `roles` are the roles that may log in there. Signed by an enabled administrator.
    InviteDevice {
        device: String,
        roles: Vec<Role>,
        #[serde(with = "hex::serde")]
        invite_key: Hex32,
        /// The administrator, at this computer, vouches for the changes it already holds (the
        /// clinic's first computer, enrolled after years of work): they may name links from
        /// before its enrollment. A computer joining by code starts empty: nothing it sends may.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        vouches_history: bool,
    },
    /// The device's own public keys (derived from its device secret, in the OS keyring). Signed by
    /// the enrollment code's key, once.
    AcceptDevice {
        device: String,
        #[serde(with = "hex::serde")]
        signing_key: Hex32,
        #[serde(with = "hex::serde")]
        x25519: Hex32,
    },
    /// A device shut out: the server refuses it, and replicas apply none of its envelopes after
    /// `accepted_through` (the last of its sequence the clinic takes: what the server held from it
    /// when the administrator revoked it), whoever hands them over. Signed by an enabled
    /// administrator.
    RevokeDevice { device: String, accepted_through: u64 },
    /// A revoked device marked lost: at its next contact with the server (also from its locked
    /// login screen) it checks this link against the chain from its own root pin, destroys its
    /// keyring secret and then its data folder, and sends back a signed acknowledgement. Signed
    /// by an enabled administrator.
    WipeDevice { device: String },
    /// How long a device may go without reaching the server before it refuses to unlock
    /// (`lease_days`, 0 for a fresh lease at every unlock), and, if the clinic turned it on, after
    /// how long it wipes itself (`self_wipe_days`). Signed by an enabled administrator.
    LeasePolicy {
        lease_days: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        self_wipe_days: Option<u32>,
    },
    /// A new clinic data key epoch (the key every change is sealed under before it leaves a
    /// device) and a commitment to its key. Signed by an enabled administrator.
    DataKeyEpoch {
        epoch: u32,
        #[serde(with = "hex::serde")]
        commitment: Hex32,
    },
}

impl Statement {
    /// The user a statement is about, if any.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Statement::FirstUser { user, .. }
            | Statement::InviteUser { user, .. }
            | Statement::AcceptInvitation { user, .. }
            | Statement::ResetSecondFactor { user, .. }
            | Statement::SetRole { user, .. }
            | Statement::SetDisabled { user, .. }
            | Statement::ConfirmRecipient { user, .. } => Some(user),
            Statement::ClinicalKeyEpoch { .. }
            | Statement::InviteDevice { .. }
            | Statement::AcceptDevice { .. }
            | Statement::RevokeDevice { .. }
            | Statement::WipeDevice { .. }
            | Statement::LeasePolicy { .. }
            | Statement::DataKeyEpoch { .. } => None,
        }
    }
}
