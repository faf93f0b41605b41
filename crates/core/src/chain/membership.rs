//! Who is in the clinic, with which role and keys, and which clinical key epochs exist: computed
//! from the verified chain only. A link counts only if its signer held the power it needs at the
//! link before it (DESIGN.md, "The membership chain").

use std::collections::BTreeMap;

use super::devices::{Devices, LeasePolicy};
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
    /// Signing keys they held before they were invited again: what they signed with them stays
    /// theirs.
    pub former_signing_keys: Vec<Hex32>,
    /// For each former key, the link that replaced it: a change naming that link or a later one
    /// is not theirs by that key.
    pub former_keys_until: Vec<u64>,
    /// The link from which the current key is theirs (their first link, or the acceptance).
    pub key_since: u64,
    /// Every role they have held: a record they signed may be one that any of them writes.
    pub roles_held: Vec<Role>,
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

    fn hold(&mut self, role: Role) {
        if !self.roles_held.contains(&role) {
            self.roles_held.push(role);
        }
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
    devices: Devices,
    /// After each link about a user: (link, user, role, whether enabled with their own keys). A
    /// change's author is judged by their standing at the link the change names.
    standings: Vec<(u64, String, Role, bool)>,
    /// Every link's hash, by sequence (from 1).
    hashes: Vec<Hex32>,
}

impl Membership {
    /// Verifies `links` (in order, from the first) against the clinic root `root`.
    pub fn verify(root: &Hex32, links: &[Link]) -> Result<Self, ChainError> {
        let mut state = Membership {
            root: *root,
            members: BTreeMap::new(),
            epochs: BTreeMap::new(),
            devices: Devices::default(),
            standings: Vec::new(),
            hashes: Vec::new(),
        };
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

    /// The enrolled, invited and revoked devices, and the clinic data key epochs.
    pub fn devices(&self) -> &Devices {
        &self.devices
    }

    pub fn epoch(&self, epoch: u32) -> Option<&EpochRecord> {
        self.epochs.get(&epoch)
    }

    pub fn newest_epoch(&self) -> Option<(u32, &EpochRecord)> {
        self.epochs.iter().next_back().map(|(e, r)| (*e, r))
    }

    /// True when someone left the clinical roles, or a device was revoked, after the newest epoch
    /// began: the next clinical session must start a new one. Signed data, so no row deletion
    /// resets it.
    pub fn rotation_due(&self) -> bool {
        let Some((_, newest)) = self.newest_epoch() else {
            return false;
        };
        self.members.values().any(|m| m.left_clinical_at.is_some_and(|at| at > newest.at_seq))
            || self.devices.iter().any(|d| d.revoked_at.is_some_and(|at| at > newest.at_seq))
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
        let subject = body.statement.subject().map(str::to_owned);
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
                    former_signing_keys: Vec::new(),
                    former_keys_until: Vec::new(),
                    key_since: seq,
                    roles_held: vec![role],
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
                    member.hold(role);
                    if member.accepted() {
                        member.former_signing_keys.push(member.signing_key);
                        member.former_keys_until.push(seq);
                    }
                    member.signing_key = [0; 32];
                    member.x25519 = [0; 32];
                    member.invite_key = Some(invite_key);
                    member.confirmed_by = None;
                    member.added_by = Some(admin.name);
                    member.invitations += 1;
                    self.record_standing(subject, seq);
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
                    former_signing_keys: Vec::new(),
                    former_keys_until: Vec::new(),
                    key_since: seq,
                    roles_held: vec![role],
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
                member.key_since = seq;
            }
            Statement::ResetSecondFactor { user, code_hash } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator resets a second factor"))?;
                let member = self.members.get_mut(&user).ok_or(broken("the link names no user of this clinic"))?;
                member.second_factor_reset = Some((seq, code_hash));
            }
            Statement::SetRole { user, role } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator changes roles"))?;
                self.change(&user, seq, |m| {
                    m.role = role;
                    m.hold(role);
                })
                .map_err(broken)?;
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
            Statement::InviteDevice { device, roles, invite_key, vouches_history } => {
                let admin = signer.filter(Member::is_admin).ok_or(broken("only an administrator enrolls devices"))?;
                let name = device.clone();
                self.devices.invite(device, roles, invite_key, admin.name, seq).map_err(broken)?;
                if vouches_history {
                    self.devices.vouch_history(&name);
                }
            }
            Statement::AcceptDevice { device, signing_key, x25519 } => {
                self.devices.accept(&device, &body.signer, (signing_key, x25519), seq).map_err(broken)?;
            }
            Statement::RevokeDevice { device, accepted_through } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator revokes devices"))?;
                self.devices.revoke(&device, seq, accepted_through).map_err(broken)?;
            }
            Statement::WipeDevice { device } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator orders a device wiped"))?;
                self.devices.order_wipe(&device, seq).map_err(broken)?;
            }
            Statement::LeasePolicy { lease_days, self_wipe_days } => {
                signer.filter(Member::is_admin).ok_or(broken("only an administrator sets the lease policy"))?;
                self.devices.set_lease_policy(LeasePolicy { lease_days, self_wipe_days }).map_err(broken)?;
            }
            Statement::DataKeyEpoch { epoch, commitment } => {
                let admin =
                    signer.filter(Member::is_admin).ok_or(broken("only an administrator starts a data key epoch"))?;
                self.devices.start_data_epoch(epoch, commitment, admin.name, seq).map_err(broken)?;
            }
        }
        self.record_standing(subject, seq);
        self.hashes.push(link.hash);
        Ok(())
    }

    fn record_standing(&mut self, subject: Option<String>, seq: u64) {
        let Some(user) = subject else { return };
        if let Some(m) = self.members.get(&user) {
            let enabled = m.accepted() && !m.disabled;
            self.standings.push((seq, user, m.role, enabled));
        }
    }

    /// The user's role once link `seq` was applied, if they were enabled with their own keys.
    pub fn role_at(&self, user: &str, seq: u64) -> Option<Role> {
        let (_, _, role, enabled) = self.standings.iter().rev().find(|(at, name, _, _)| *at <= seq && name == user)?;
        enabled.then_some(*role)
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

/// The keys that sign a user's clinical records: their own since they accepted, and the ones
/// they held before an invitation again. Nothing for a name the chain does not know.
impl crate::changelog::AuthorKeys for Membership {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        let Some(member) = self.members.get(user) else {
            return Vec::new();
        };
        let current = member.accepted().then_some(member.signing_key);
        member.former_signing_keys.iter().copied().chain(current).collect()
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        self.members.get(user).map(|m| m.roles_held.clone()).unwrap_or_default()
    }

    /// A key counts for changes naming a link from the one that gave it to the one that replaced
    /// it: a leaked key the clinic replaced writes nothing new in the user's name.
    fn signing_keys_at(&self, user: &str, chain_seq: u64) -> Vec<[u8; 32]> {
        let Some(member) = self.members.get(user) else {
            return Vec::new();
        };
        let former = member
            .former_signing_keys
            .iter()
            .zip(&member.former_keys_until)
            .filter(|(_, until)| chain_seq < **until)
            .map(|(key, _)| *key);
        let current = (member.accepted() && member.key_since <= chain_seq).then_some(member.signing_key);
        former.chain(current).collect()
    }

    fn roles_at(&self, user: &str, chain_seq: u64) -> Vec<Role> {
        self.role_at(user, chain_seq).into_iter().collect()
    }

    fn chain_head(&self) -> Option<u64> {
        Some(self.head().0)
    }
}

#[cfg(test)]
mod tests;
