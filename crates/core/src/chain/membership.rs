//! Who is in the clinic, with which role and keys, and which clinical key epochs exist: computed
//! from the verified chain only. A link counts only if its signer held the power it needs at the
//! link before it (DESIGN.md, "The membership chain").

use std::collections::BTreeMap;

use super::link::{genesis_prev, Link};
use super::statement::{Hex32, Statement};
use super::ChainError;
use crate::domain::{Role, User};
use crate::policy;

/// A user as the chain says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Their keys, once they accepted their invitation (zero before).
    pub signing_key: Hex32,
    pub x25519: Hex32,
    /// While invited and not yet accepted: the key the invitation code derives.
    pub invite_key: Option<Hex32>,
    /// The newest second-factor reset an administrator issued for them: its link and code hash.
    pub second_factor_reset: Option<(u64, Hex32)>,
    /// How many times they were invited (0 for the first user; more than 1 when invited again,
    /// which a clinician confirming them should know).
    pub invitations: u32,
    /// Who added them (the root for the first admin).
    pub added_by: Option<String>,
    /// The clinician who confirmed them as a recipient of the clinical key, if one has.
    pub confirmed_by: Option<String>,
    /// The link that last took clinical power from them (role change or disabling).
    pub left_clinical_at: Option<u64>,
}

impl Member {
    pub fn user(&self) -> User {
        User {
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            disabled: self.disabled,
        }
    }

    /// An enabled doctor or nurse who has accepted their invitation.
    pub fn is_clinical(&self) -> bool {
        self.accepted() && !self.disabled && policy::holds_clinical_key(self.role)
    }

    fn is_admin(&self) -> bool {
        self.accepted() && !self.disabled && self.role == Role::Admin
    }

    /// They have their own keys (accepted their invitation, or were the first user).
    pub fn accepted(&self) -> bool {
        self.invite_key.is_none()
    }
}

/// A clinical key epoch as the chain records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochRecord {
    pub commitment: Hex32,
    pub started_by: String,
    pub at_seq: u64,
}

/// The verified chain's state.
#[derive(Clone, Debug)]
pub struct Membership {
    root: Hex32,
    members: BTreeMap<String, Member>,
    epochs: BTreeMap<u32, EpochRecord>,
    /// Every link's hash, by sequence (from 1).
    hashes: Vec<Hex32>,
}

impl Membership {
    /// Verifies `links` (in order, from the first) against the clinic root `root`.
    pub fn verify(root: &Hex32, links: &[Link]) -> Result<Self, ChainError> {
        let mut state =
            Membership { root: *root, members: BTreeMap::new(), epochs: BTreeMap::new(), hashes: Vec::new() };
        for link in links {
            state.apply(link)?;
        }
        if state.hashes.is_empty() {
            return Err(ChainError::new(1, "the chain is empty"));
        }
        Ok(state)
    }

    pub fn root(&self) -> &Hex32 {
        &self.root
    }

    /// The newest link's sequence and hash.
    pub fn head(&self) -> (u64, Hex32) {
        let seq = self.hashes.len() as u64;
        (seq, self.hashes.last().copied().unwrap_or_else(|| genesis_prev(&self.root)))
    }

    /// True when link `seq` is in this chain with `hash` (the chain extends a pinned head).
    pub fn contains(&self, seq: u64, hash: &Hex32) -> bool {
        usize::try_from(seq).ok().and_then(|s| s.checked_sub(1)).and_then(|i| self.hashes.get(i)) == Some(hash)
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.get(name)
    }

    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    pub fn epoch(&self, epoch: u32) -> Option<&EpochRecord> {
        self.epochs.get(&epoch)
    }

    pub fn newest_epoch(&self) -> Option<(u32, &EpochRecord)> {
        self.epochs.iter().next_back().map(|(e, r)| (*e, r))
    }

    /// True when someone left the clinical roles after the newest epoch began: the next
    /// clinical session must start a new one. Signed data, so no row deletion resets it.
    pub fn rotation_due(&self) -> bool {
        let Some((_, newest)) = self.newest_epoch() else {
            return false;
        };
        self.members.values().any(|m| m.left_clinical_at.is_some_and(|at| at > newest.at_seq))
    }

    /// Clinical members who may receive the clinical key: enabled doctors and nurses confirmed
    /// by a clinician (or who started an epoch themselves).
    pub fn confirmed_clinicians(&self) -> impl Iterator<Item = &Member> {
        self.members.values().filter(|m| m.is_clinical() && m.confirmed_by.is_some())
    }

    /// Clinical members still waiting for a clinician's confirmation.
    pub fn unconfirmed_clinicians(&self) -> impl Iterator<Item = &Member> {
        self.members.values().filter(|m| m.is_clinical() && m.confirmed_by.is_none())
    }

    fn signer(&self, key: &Hex32) -> Option<&Member> {
        self.members.values().find(|m| m.accepted() && &m.signing_key == key)
    }

    /// Checks one more link against the state so far and applies it.
    pub fn apply(&mut self, link: &Link) -> Result<(), ChainError> {
        let seq = self.hashes.len() as u64 + 1;
        let body = link.open(seq)?;
        let broken = |problem: &'static str| ChainError::new(seq, problem);
        if body.root != self.root {
            return Err(broken("the link belongs to another clinic"));
        }
        if body.prev != self.head().1 {
            return Err(broken("the link does not follow the one before it"));
        }
        let signer = self.signer(&body.signer).cloned();
        match body.statement {
            Statement::FirstUser { user, display_name, role, signing_key, x25519 } => {
                if seq != 1 || body.signer != self.root {
                    return Err(broken("only the clinic root key names the first user, in the first link"));
                }
                self.insert(Member {
                    name: user,
                    display_name,
                    role,
                    disabled: false,
                    signing_key,
                    x25519,
                    invite_key: None,
                    second_factor_reset: None,
                    invitations: 0,
                    added_by: None,
                    confirmed_by: None,
                    left_clinical_at: None,
                })
                .map_err(broken)?;
            }
            Statement::InviteUser { user, display_name, role, invite_key } => {
                let admin = signer.filter(Member::is_admin).ok_or(broken("only an administrator invites users"))?;
                if let Some(member) = self.members.get_mut(&user) {
                    // Invited again (a lost key-file entry, a withdrawn invitation): their keys
                    // lose all power until they accept, and a clinician must confirm them again.
                    if member.name == admin.name {
                        return Err(broken("an administrator cannot invite herself again"));
                    }
                    if member.is_clinical() {
                        member.left_clinical_at = Some(seq);
                    }
                    member.display_name = display_name;
                    member.role = role;
                    member.signing_key = [0; 32];
                    member.x25519 = [0; 32];
                    member.invite_key = Some(invite_key);
                    member.confirmed_by = None;
                    member.added_by = Some(admin.name);
                    member.invitations += 1;
                    self.hashes.push(link.hash);
                    return Ok(());
                }
                self.insert(Member {
                    name: user,
                    display_name,
                    role,
                    disabled: false,
                    signing_key: [0; 32],
                    x25519: [0; 32],
                    invite_key: Some(invite_key),
                    second_factor_reset: None,
                    invitations: 1,
                    added_by: Some(admin.name),
                    confirmed_by: None,
                    left_clinical_at: None,
                })
                .map_err(broken)?;
            }
            Statement::AcceptInvitation { user, signing_key, x25519 } => {
                let taken =
                    self.members.values().any(|m| m.accepted() && (m.signing_key == signing_key || m.x25519 == x25519));
                let member = self.members.get_mut(&user).ok_or(broken("the link names no user of this clinic"))?;
                if member.invite_key != Some(body.signer) {
                    return Err(broken("only the holder of the user's open invitation accepts it"));
                }
                if taken {
                    return Err(broken("another user already has these keys"));
                }
                member.signing_key = signing_key;
                member.x25519 = x25519;
                member.invite_key = None;
            }
            Statement::ResetSecondFactor { user, code_hash } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator resets a second factor"))?;
                let member = self.members.get_mut(&user).ok_or(broken("the link names no user of this clinic"))?;
                member.second_factor_reset = Some((seq, code_hash));
            }
            Statement::SetRole { user, role } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator changes roles"))?;
                self.change(&user, seq, |m| m.role = role).map_err(broken)?;
            }
            Statement::SetDisabled { user, disabled } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator disables users"))?;
                self.change(&user, seq, |m| m.disabled = disabled).map_err(broken)?;
            }
            Statement::ClinicalKeyEpoch { epoch, commitment } => {
                let by = signer
                    .filter(Member::is_clinical)
                    .ok_or(broken("only a doctor or nurse starts a clinical key epoch"))?;
                if self.newest_epoch().is_some_and(|(newest, _)| epoch <= newest) {
                    return Err(broken("a clinical key epoch must be newer than the last"));
                }
                // After the first epoch, only a clinician colleagues confirmed (who holds the key)
                // starts the next: an unconfirmed newcomer must not pick the key for new content.
                if self.newest_epoch().is_some() && by.confirmed_by.is_none() {
                    return Err(broken("only a confirmed doctor or nurse starts a new clinical key epoch"));
                }
                // Whoever starts an epoch holds it: they count as confirmed.
                if let Some(member) = self.members.get_mut(&by.name) {
                    member.confirmed_by.get_or_insert_with(|| by.name.clone());
                }
                self.epochs.insert(epoch, EpochRecord { commitment, started_by: by.name, at_seq: seq });
            }
            Statement::ConfirmRecipient { user, x25519 } => {
                let by =
                    signer.filter(Member::is_clinical).ok_or(broken("only a doctor or nurse confirms a recipient"))?;
                let member = self.members.get_mut(&user).ok_or(broken("the link names no user of this clinic"))?;
                if member.x25519 != x25519 {
                    return Err(broken("the confirmation names another key than the user's"));
                }
                member.confirmed_by = Some(by.name);
            }
        }
        self.hashes.push(link.hash);
        Ok(())
    }

    fn insert(&mut self, member: Member) -> Result<(), &'static str> {
        if self.members.contains_key(&member.name) {
            return Err("the user already exists");
        }
        let same_keys = |m: &Member| m.signing_key == member.signing_key || m.x25519 == member.x25519;
        if member.accepted() && self.members.values().any(|m| m.accepted() && same_keys(m)) {
            return Err("another user already has these keys");
        }
        self.members.insert(member.name.clone(), member);
        Ok(())
    }

    /// Changes a member; the clinic always keeps an enabled administrator, and a member who
    /// loses clinical power is marked for the next epoch.
    fn change(&mut self, user: &str, seq: u64, edit: impl FnOnce(&mut Member)) -> Result<(), &'static str> {
        let was_admin_clinic = self.members.values().any(Member::is_admin);
        let member = self.members.get_mut(user).ok_or("the link names no user of this clinic")?;
        let was_clinical = member.is_clinical();
        edit(member);
        if was_clinical && !member.is_clinical() {
            member.left_clinical_at = Some(seq);
            member.confirmed_by = None;
        }
        if was_admin_clinic && !self.members.values().any(Member::is_admin) {
            return Err("the clinic would have no enabled administrator");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
            let mut clinic =
                Clinic { root: RootKey::generate().expect("root"), keys: BTreeMap::new(), links: Vec::new() };
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
        let state =
            clinic.push("admin", Statement::SetRole { user: "nurse".into(), role: Role::Reception }).expect("move");
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
}
