use super::*;
use crate::chain::{key_commitment, RootKey};
use crate::secret::Key32;
use crate::vault::UserKeyPair;
use ed25519_dalek::SigningKey;

/// A chain under construction: each person's key pair, and the links so far.
struct Clinic {
    root: RootKey,
    keys: BTreeMap<&'static str, UserKeyPair>,
    links: Vec<Link>,
}

impl Clinic {
    /// Root → admin; admin adds a doctor, a nurse and a receptionist.
    fn new() -> Self {
        let mut clinic = Clinic { root: RootKey::generate().expect("root"), keys: BTreeMap::new(), links: Vec::new() };
        let admin = clinic.pair("admin");
        let first = Statement::FirstUser {
            user: "admin".into(),
            display_name: "管理".into(),
            role: Role::Admin,
            signing_key: admin.0,
            x25519: admin.1,
        };
        let root_key = SigningKey::from_bytes(&clinic.root.signer().to_bytes());
        clinic.push_signed(first, &root_key).expect("first link");
        for (name, role) in [("doctor", Role::Doctor), ("nurse", Role::Nurse), ("reception", Role::Reception)] {
            clinic.add("admin", name, role).expect("add");
        }
        clinic
    }

    fn pair(&mut self, name: &'static str) -> (Hex32, Hex32) {
        let pair = UserKeyPair::generate().expect("pair");
        let keys = (pair.signing_public(), pair.public());
        self.keys.insert(name, pair);
        keys
    }

    /// `by` invites `name`, who accepts with the invitation key and their own new keys.
    fn add(&mut self, by: &'static str, name: &'static str, role: Role) -> Result<Membership, ChainError> {
        let invitation = SigningKey::from_bytes(&[name.len() as u8; 32]);
        let invite_key = invitation.verifying_key().to_bytes();
        self.push(by, Statement::InviteUser { user: name.into(), display_name: name.into(), role, invite_key })?;
        let (signing_key, x25519) = self.pair(name);
        self.push_signed(Statement::AcceptInvitation { user: name.into(), signing_key, x25519 }, &invitation)
    }

    fn push(&mut self, by: &str, statement: Statement) -> Result<Membership, ChainError> {
        let key = self.keys[by].signing_key();
        self.push_signed(statement, &key)
    }

    /// Signs and appends a link if the chain accepts it; the chain's state after it.
    fn push_signed(&mut self, statement: Statement, key: &SigningKey) -> Result<Membership, ChainError> {
        let root = self.root.public();
        let (seq, prev) = if self.links.is_empty() {
            (0, genesis_prev(&root))
        } else {
            Membership::verify(&root, &self.links)?.head()
        };
        let link = Link::sign(&root, seq + 1, &prev, statement, key)?;
        let mut links = self.links.clone();
        links.push(link);
        let state = Membership::verify(&root, &links)?;
        self.links = links;
        Ok(state)
    }

    fn state(&self) -> Membership {
        Membership::verify(&self.root.public(), &self.links).expect("verifies")
    }

    fn epoch(&mut self, by: &str, epoch: u32) -> Result<Membership, ChainError> {
        let commitment = key_commitment(epoch, &Key32::random().expect("key"));
        self.push(by, Statement::ClinicalKeyEpoch { epoch, commitment })
    }
}

#[test]
fn users_roles_and_keys_come_from_the_signed_links() {
    let clinic = Clinic::new();
    let state = clinic.state();
    assert_eq!(state.head().0, 7, "the first user, then an invitation and its acceptance for each of three");
    let doctor = state.member("doctor").expect("doctor");
    assert_eq!((doctor.role, doctor.added_by.as_deref()), (Role::Doctor, Some("admin")));
    assert_eq!(doctor.x25519, clinic.keys["doctor"].public());
    assert!(state.contains(2, &clinic.links[1].hash) && !state.contains(2, &clinic.links[2].hash));
}

#[test]
fn only_an_administrator_adds_users_or_changes_roles() {
    let mut clinic = Clinic::new();
    assert!(clinic.add("reception", "friend", Role::Doctor).is_err(), "reception adds a doctor");
    let promote = Statement::SetRole { user: "reception".into(), role: Role::Doctor };
    assert!(clinic.push("reception", promote.clone()).is_err(), "reception promotes herself");
    assert!(clinic.push("doctor", promote.clone()).is_err(), "a doctor is no administrator");
    assert_eq!(
        clinic.push("admin", promote).expect("the admin may").member("reception").map(|m| m.role),
        Some(Role::Doctor)
    );
    // A key nobody in the clinic holds signs nothing.
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let add = Statement::SetDisabled { user: "doctor".into(), disabled: true };
    assert!(clinic.push_signed(add, &stranger).is_err());
}

#[test]
fn an_edited_dropped_or_foreign_link_breaks_verification_where_it_happens() {
    let clinic = Clinic::new();
    let root = clinic.root.public();
    let mut edited = clinic.links.clone();
    let text = String::from_utf8(edited[2].body.clone()).expect("utf-8");
    edited[2].body =
        text.replace("\"doctor\"", "\"nurse\"").replace("\"role\":\"nurse\"", "\"role\":\"doctor\"").into_bytes();
    assert_eq!(
        Membership::verify(&root, &edited).map(|_| ()),
        Err(ChainError::new(3, "the signature does not match the link"))
    );
    let mut dropped = clinic.links.clone();
    dropped.remove(1);
    assert_eq!(Membership::verify(&root, &dropped).map(|_| ()).map_err(|e| e.seq), Err(2));
    let other_root = RootKey::generate().expect("root").public();
    assert!(Membership::verify(&other_root, &clinic.links).is_err(), "another clinic's root");
    assert!(Membership::verify(&root, &[]).is_err(), "an empty chain");
}

#[test]
fn clinical_key_epochs_come_only_from_confirmed_clinicians() {
    let mut clinic = Clinic::new();
    assert!(clinic.epoch("reception", 1).is_err(), "reception plants an epoch");
    assert!(clinic.epoch("admin", 1).is_err(), "an administrator never starts one");
    let state = clinic.epoch("doctor", 1).expect("the first clinician starts the key");
    assert_eq!(state.member("doctor").and_then(|m| m.confirmed_by.clone()).as_deref(), Some("doctor"));
    assert!(clinic.epoch("nurse", 2).is_err(), "an unconfirmed nurse may not pick the next key");
    assert!(clinic.epoch("doctor", 1).is_err(), "epochs only move forward");

    // A confirmation must name the key the admin's link gave her.
    let wrong = Statement::ConfirmRecipient { user: "nurse".into(), x25519: clinic.keys["reception"].public() };
    assert!(clinic.push("doctor", wrong).is_err());
    let right = Statement::ConfirmRecipient { user: "nurse".into(), x25519: clinic.keys["nurse"].public() };
    assert!(clinic.push("reception", right.clone()).is_err(), "reception confirms nobody");
    let state = clinic.push("doctor", right).expect("confirmed");
    assert_eq!(state.confirmed_clinicians().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["doctor", "nurse"]);
    assert!(!state.rotation_due());
}

#[test]
fn a_clinician_leaving_makes_a_new_epoch_due_and_needs_confirming_again() {
    let mut clinic = Clinic::new();
    clinic.epoch("doctor", 1).expect("epoch");
    clinic
        .push("doctor", Statement::ConfirmRecipient { user: "nurse".into(), x25519: clinic.keys["nurse"].public() })
        .expect("confirm");
    let state = clinic.push("admin", Statement::SetRole { user: "nurse".into(), role: Role::Reception }).expect("move");
    assert!(state.rotation_due());
    let state = clinic.epoch("doctor", 2).expect("the doctor rotates");
    assert!(!state.rotation_due());
    let state = clinic.push("admin", Statement::SetRole { user: "nurse".into(), role: Role::Nurse }).expect("back");
    assert_eq!(state.unconfirmed_clinicians().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["nurse"]);
}

#[test]
fn only_the_invitation_accepts_it_once_and_an_invitee_has_no_power_before() {
    let mut clinic = Clinic::new();
    let code_key = SigningKey::from_bytes(&[42; 32]);
    let invite_key = code_key.verifying_key().to_bytes();
    let invite =
        Statement::InviteUser { user: "clerk".into(), display_name: "c".into(), role: Role::Doctor, invite_key };
    assert!(clinic.push("reception", invite.clone()).is_err(), "reception invites nobody");
    let state = clinic.push("admin", invite).expect("invited");
    let clerk = state.member("clerk").expect("clerk");
    assert!(!clerk.accepted() && !clerk.is_clinical());
    // Not the admin, not a colleague: only the holder of the code accepts, with keys of her own.
    let (signing_key, x25519) = clinic.pair("clerk");
    let accept = Statement::AcceptInvitation { user: "clerk".into(), signing_key, x25519 };
    assert!(clinic.push("admin", accept.clone()).is_err(), "the admin accepts for her");
    let taken =
        Statement::AcceptInvitation { user: "clerk".into(), signing_key, x25519: clinic.keys["doctor"].public() };
    assert!(clinic.push_signed(taken, &code_key).is_err(), "another user's key");
    let state = clinic.push_signed(accept.clone(), &code_key).expect("accepted");
    assert!(state.member("clerk").expect("clerk").is_clinical());
    assert!(clinic.push_signed(accept, &code_key).is_err(), "an invitation is used once");
    // Invited again (her entry was lost): her old keys lose all power until she accepts anew.
    let again = SigningKey::from_bytes(&[43; 32]);
    let reinvite = Statement::InviteUser {
        user: "clerk".into(),
        display_name: "c".into(),
        role: Role::Doctor,
        invite_key: again.verifying_key().to_bytes(),
    };
    let state = clinic.push("admin", reinvite).expect("invited again");
    let clerk = state.member("clerk").expect("clerk");
    assert!(!clerk.accepted() && clerk.left_clinical_at.is_some() && clerk.confirmed_by.is_none());
    assert_eq!(clerk.invitations, 2, "a confirming clinician is told she was invited again");
    assert!(clinic.push("clerk", Statement::ClinicalKeyEpoch { epoch: 9, commitment: [0; 32] }).is_err());
    // A second-factor reset is an administrator's signed statement.
    let reset = Statement::ResetSecondFactor { user: "doctor".into(), code_hash: [7; 32] };
    assert!(clinic.push("reception", reset.clone()).is_err());
    let state = clinic.push("admin", reset).expect("reset");
    assert_eq!(state.member("doctor").and_then(|m| m.second_factor_reset).map(|(_, h)| h), Some([7; 32]));
}

#[test]
fn the_clinic_keeps_an_enabled_administrator() {
    let mut clinic = Clinic::new();
    let disable = Statement::SetDisabled { user: "admin".into(), disabled: true };
    assert!(clinic.push("admin", disable).is_err());
    assert!(clinic.add("admin", "admin", Role::Admin).is_err(), "a name is taken once");
}

/// The admin invites `device` with an enrollment code's key; the code's holder accepts with the
/// device's own keys. Returns the device's signing key.
fn enroll(clinic: &mut Clinic, device: &str, code_seed: u8) -> Result<SigningKey, ChainError> {
    let code = SigningKey::from_bytes(&[code_seed; 32]);
    let invite_key = code.verifying_key().to_bytes();
    clinic.push(
        "admin",
        Statement::InviteDevice {
            device: device.into(),
            roles: vec![Role::Reception],
            invite_key,
            vouches_history: false,
        },
    )?;
    let own = SigningKey::from_bytes(&[code_seed.wrapping_add(100); 32]);
    let accept = Statement::AcceptDevice {
        device: device.into(),
        signing_key: own.verifying_key().to_bytes(),
        x25519: [code_seed.wrapping_add(1); 32],
    };
    clinic.push_signed(accept, &code)?;
    Ok(own)
}

#[test]
fn an_administrator_enrolls_a_device_and_only_the_codes_holder_gives_its_keys() {
    let mut clinic = Clinic::new();
    let own = enroll(&mut clinic, "desk-1", 1).expect("enrolled");
    let state = clinic.state();
    let desk = state.devices().get("desk-1").expect("in the chain");
    assert!(desk.is_active());
    assert_eq!((desk.signing_key, desk.roles.as_slice()), (own.verifying_key().to_bytes(), &[Role::Reception][..]));

    // Invited, then accepted by someone without the code (a server putting its own keys in).
    let code = SigningKey::from_bytes(&[7; 32]);
    clinic
        .push(
            "admin",
            Statement::InviteDevice {
                device: "laptop".into(),
                roles: vec![Role::Doctor],
                invite_key: code.verifying_key().to_bytes(),
                vouches_history: false,
            },
        )
        .expect("invited");
    let intruder = SigningKey::from_bytes(&[8; 32]);
    let forged = Statement::AcceptDevice {
        device: "laptop".into(),
        signing_key: intruder.verifying_key().to_bytes(),
        x25519: [8; 32],
    };
    assert!(clinic.push_signed(forged, &intruder).is_err(), "only the code's key accepts");
    assert!(!clinic.state().devices().get("laptop").expect("invited").is_active(), "invited is not enrolled");

    // Another device's keys, or accepting twice, are refused too.
    let reuse = Statement::AcceptDevice {
        device: "laptop".into(),
        signing_key: own.verifying_key().to_bytes(),
        x25519: [9; 32],
    };
    assert!(clinic.push_signed(reuse, &code).is_err(), "keys another device has");
    let again = Statement::AcceptDevice { device: "desk-1".into(), signing_key: [5; 32], x25519: [5; 32] };
    assert!(clinic.push_signed(again, &SigningKey::from_bytes(&[1; 32])).is_err(), "a code accepts once");
}

#[test]
fn only_an_administrator_invites_revokes_or_starts_a_data_key_epoch() {
    let mut clinic = Clinic::new();
    enroll(&mut clinic, "desk-1", 1).expect("enrolled");
    for by in ["doctor", "nurse", "reception"] {
        let invite = Statement::InviteDevice {
            device: format!("{by}-pc"),
            roles: vec![Role::Doctor],
            invite_key: [3; 32],
            vouches_history: false,
        };
        assert!(clinic.push(by, invite).is_err(), "{by} invited a device");
        assert!(
            clinic.push(by, Statement::RevokeDevice { device: "desk-1".into(), accepted_through: 7 }).is_err(),
            "{by} revoked one"
        );
        assert!(clinic.push(by, Statement::DataKeyEpoch { epoch: 1, commitment: [1; 32] }).is_err(), "{by} keyed one");
    }
    clinic.push("admin", Statement::DataKeyEpoch { epoch: 1, commitment: [1; 32] }).expect("first epoch");
    assert!(
        clinic.push("admin", Statement::DataKeyEpoch { epoch: 1, commitment: [2; 32] }).is_err(),
        "epochs only grow"
    );
    let revoke = Statement::RevokeDevice { device: "desk-1".into(), accepted_through: 7 };
    let state = clinic.push("admin", revoke).expect("revoked");
    let desk = state.devices().get("desk-1").expect("still named");
    assert!(!desk.is_active());
    assert!(desk.takes_envelope(7), "what it sent before the cut-off still counts");
    assert!(!desk.takes_envelope(8), "nothing after the cut-off counts");
    assert_eq!(state.devices().newest_data_epoch().map(|(e, r)| (e, r.commitment)), Some((1, [1; 32])));
    // A revoked name is never enrolled again: its envelopes keep the name, and a new device
    // under it would collide with them.
    assert!(enroll(&mut clinic, "desk-1", 2).is_err(), "a revoked name was enrolled again");
}

#[test]
fn a_users_role_at_a_link_is_what_the_chain_said_then() {
    let mut clinic = Clinic::new();
    let added = clinic.state().head().0;
    let moved = clinic.push("admin", Statement::SetRole { user: "nurse".into(), role: Role::Reception }).expect("role");
    let disabled = clinic.push("admin", Statement::SetDisabled { user: "nurse".into(), disabled: true }).expect("off");
    let state = clinic.state();
    assert_eq!(state.role_at("nurse", added), Some(Role::Nurse));
    assert_eq!(state.role_at("nurse", moved.head().0), Some(Role::Reception));
    assert_eq!(state.role_at("nurse", disabled.head().0), None, "disabled: no role at all");
    assert_eq!(state.role_at("nurse", 1), None, "before she was added");
    assert_eq!(state.role_at("admin", 1), Some(Role::Admin));
}

#[test]
fn a_replaced_key_signs_only_for_links_before_the_one_that_replaced_it() {
    use crate::changelog::AuthorKeys;
    let mut clinic = Clinic::new();
    let old = clinic.keys["reception"].signing_public();
    let before = clinic.state().head().0;
    // Her key leaked: the admin invites her again and she accepts with a new one.
    let state = clinic.add("admin", "reception", Role::Reception).expect("invited again");
    let new = clinic.keys["reception"].signing_public();
    let replaced_at = before + 1;
    assert_eq!(state.signing_keys_at("reception", before), vec![old], "before: only the old key");
    assert_eq!(state.signing_keys_at("reception", state.head().0), vec![new], "after: only the new key");
    assert!(
        !state.signing_keys_at("reception", replaced_at).contains(&old),
        "from the replacing link on, the old key is out"
    );
    assert!(state.signing_keys_of("reception").contains(&old), "records she signed before stay hers");
}

/// A server or whoever holds its database flips one byte of a stored link (its body or its
/// signature): the chain no longer verifies, wherever the byte is.
#[test]
fn every_flipped_byte_of_a_stored_link_is_refused() {
    let mut clinic = Clinic::new();
    enroll(&mut clinic, "desk-1", 1).expect("enrolled");
    let root = clinic.root.public();
    assert!(Membership::verify(&root, &clinic.links).is_ok());
    for at in 0..clinic.links.len() {
        let link = &clinic.links[at];
        for (in_body, len) in [(true, link.body.len()), (false, link.signature.len())] {
            for byte in 0..len {
                let mut links = clinic.links.clone();
                let (mut body, mut signature) = (links[at].body.clone(), links[at].signature.clone());
                if in_body {
                    body[byte] ^= 0x01;
                } else {
                    signature[byte] ^= 0x01;
                }
                links[at] = Link::from_parts(body, signature);
                assert!(Membership::verify(&root, &links).is_err(), "link {at}, byte {byte} (body: {in_body})");
            }
        }
    }
}

mod lost_devices;
