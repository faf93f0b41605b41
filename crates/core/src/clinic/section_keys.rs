//! Who holds the clinical section key (CSK) on this device, and how it is passed on. Every fact
//! that grants it comes from the verified membership chain, never from a table:
//!
//! - Each user's X25519 public key is the one their `AddUser` (or `FirstUser`) link names.
//! - Each epoch is a `ClinicalKeyEpoch` link signed by a doctor or nurse, with a commitment to
//!   its key. A wrap is taken up only if it opens to exactly the committed key: a wrap planted with
//!   raw SQL (the insider's own key wrapped to a doctor) is refused and raised as an alert.
//! - The key is wrapped only to clinicians a colleague confirmed in a `ConfirmRecipient` link
//!   (name, role, who added them and key fingerprint checked with them), so an administrator who
//!   adds a "doctor" with keys of her own making does not receive it. Whoever starts an epoch
//!   holds it.
//! - Someone leaving the clinical roles or disabled is a signed link after the newest epoch: the
//!   next clinical session starts a new one (no row to delete). Their wraps are deleted too.

use std::collections::HashSet;

use rusqlite::{params, Connection};

use super::Clinic;
use crate::audit::NewEvent;
use crate::chain::{self, Member, Membership, Statement};
use crate::crypto::{Sealed, NONCE_LEN};
use crate::policy::{Access, Section};
use crate::secret::Key32;
use crate::vault::section_key::{self, WrappedSectionKey};
use crate::vault::{SectionKeys, UserKeyPair};
use crate::{Error, Result};

/// A clinician waiting for a colleague's confirmation before the clinical key is passed to them:
/// what the colleague checks with them in person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PendingRecipient {
    pub user: String,
    pub display_name: String,
    pub role: crate::domain::Role,
    pub added_by: Option<String>,
    /// Their X25519 key's fingerprint, as their own screen shows it.
    pub fingerprint: String,
    /// The account was invited again (a lost key, a withdrawn invitation): whoever held that
    /// code chose its keys, so ask them whether they accepted it themselves.
    pub reinvited: bool,
}

impl Clinic {
    /// After a clinical login: starts an epoch if none exists or one is due, then wraps every
    /// epoch this session holds for each confirmed clinician still waiting for it, in one audited
    /// transaction.
    pub(super) fn share_section_keys(&mut self) -> Result<()> {
        let me = self.user.name.clone();
        let keys = self.keys()?;
        // The first clinician to log in starts the key; a new epoch is due when someone left
        // the clinical roles, and is started by a clinician who holds the newest one.
        let start = match keys.membership.newest_epoch() {
            None => true,
            Some((newest, _)) => keys.membership.rotation_due() && keys.section.get(newest).is_some(),
        };
        if !start && keys.section.is_empty() {
            return Ok(());
        }
        let started = if start { Some(self.start_epoch()?) } else { None };
        let membership = self.keys()?.membership.clone();
        let started_key = started.as_ref().map(|(epoch, key)| (*epoch, Key32::from_bytes(*key.expose())));
        self.transact(true, |conn, held| {
            let epochs: Vec<(u32, &Key32)> =
                held.section.iter().chain(started_key.as_ref().map(|(e, k)| (*e, k))).collect();
            share(conn, &me, &membership, &epochs)
        })?;
        if let (Some((epoch, key)), Some(keys)) = (started, self.keys.as_mut()) {
            keys.section.insert(epoch, key);
        }
        Ok(())
    }

    /// Signs a new epoch into the chain (with a commitment to its fresh key) and wraps it to
    /// this user; the key is kept by the session once the transaction has committed.
    fn start_epoch(&mut self) -> Result<(u32, Key32)> {
        let epoch = self.keys()?.membership.newest_epoch().map_or(1, |(e, _)| e + 1);
        let key = Key32::random()?;
        let statement = Statement::ClinicalKeyEpoch { epoch, commitment: chain::key_commitment(epoch, &key) };
        let (me, public) = (self.user.name.clone(), self.keys()?.user_key.public());
        let wrap = section_key::wrap(&key, epoch, &me, &public)?;
        self.append_link(statement, vec![NewEvent::admin(format!("started clinical key epoch {epoch}"))], |conn| {
            store_wrap(conn, &me, &wrap)
        })?;
        crate::log_safe!(info, "clinical key epoch started", epoch = epoch);
        Ok((epoch, key))
    }

    /// Enabled doctors and nurses who do not yet hold the newest clinical key on this device (admin
    /// only): they read clinical sections once a colleague who holds it confirms them (if nobody
    /// has yet) and logs in here.
    pub fn waiting_for_clinical_key(&mut self) -> Result<Vec<String>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        self.refresh_membership()?;
        let membership = &self.keys()?.membership;
        let Some((epoch, _)) = membership.newest_epoch() else {
            return Ok(Vec::new());
        };
        let wraps = wraps(self.conn()?)?;
        Ok(membership
            .members()
            .filter(|m| m.is_clinical() && !wraps.contains(&(m.name.clone(), epoch)))
            .map(|m| m.name.clone())
            .collect())
    }

    /// This user's key fingerprint, as a colleague checks it before confirming them.
    pub fn key_fingerprint(&self) -> Result<String> {
        Ok(chain::fingerprint(&self.keys()?.user_key.public()))
    }

    /// Clinicians waiting for a colleague's confirmation (doctors and nurses only).
    pub fn pending_recipients(&mut self) -> Result<Vec<PendingRecipient>> {
        self.authorize(Section::Notes, Access::Read, None)?;
        self.refresh_membership()?;
        let me = self.user.name.clone();
        Ok(self
            .keys()?
            .membership
            .unconfirmed_clinicians()
            .filter(|m| m.name != me)
            .map(|m| PendingRecipient {
                user: m.name.clone(),
                display_name: m.display_name.clone(),
                role: m.role,
                added_by: m.added_by.clone(),
                fingerprint: chain::fingerprint(&m.x25519),
                reinvited: m.invitations > 1,
            })
            .collect())
    }

    /// A clinician confirms a new colleague as a recipient of the clinical key, after checking
    /// their name, role and key fingerprint with them; the key is passed to them at once.
    pub fn confirm_recipient(&mut self, user: &str, fingerprint: &str) -> Result<()> {
        self.authorize(Section::Notes, Access::Read, None)?;
        self.refresh_membership()?;
        if self.keys()?.section.is_empty() {
            return Err(Error::SectionKeyMissing);
        }
        let member = self.keys()?.membership.member(user).cloned();
        let member =
            member.filter(Member::is_clinical).ok_or_else(|| Error::NotFound { what: "user", id: user.to_string() })?;
        if normalize(&chain::fingerprint(&member.x25519)) != normalize(fingerprint) {
            return Err(Error::invalid(
                crate::domain::validation::Field::Fingerprint,
                crate::domain::validation::Problem::FingerprintMismatch,
            ));
        }
        let statement = Statement::ConfirmRecipient { user: user.to_string(), x25519: member.x25519 };
        self.append_link(
            statement,
            vec![NewEvent::admin(format!("confirmed {user} as a clinical key recipient"))],
            |_| Ok(()),
        )?;
        crate::log_safe!(info, "clinical key recipient confirmed", user = crate::log::LoginName::listed(user));
        self.share_section_keys()
    }
}

/// Fingerprints compare without spaces, dashes or case (people type them back as they read them).
fn normalize(fingerprint: &str) -> String {
    fingerprint.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Wraps each held epoch to each confirmed clinician who lacks it; returns the audit events.
fn share(
    conn: &Connection,
    me: &str,
    membership: &Membership,
    epochs: &[(u32, &Key32)],
) -> Result<((), Vec<NewEvent>)> {
    let mut events = Vec::new();
    let wraps = wraps(conn)?;
    for member in membership.confirmed_clinicians() {
        let mut passed = Vec::new();
        for (epoch, key) in epochs {
            if !wraps.contains(&(member.name.clone(), *epoch)) {
                store_wrap(conn, &member.name, &section_key::wrap(key, *epoch, &member.name, &member.x25519)?)?;
                passed.push(epoch.to_string());
            }
        }
        if !passed.is_empty() && member.name != me {
            crate::log_safe!(
                info,
                "clinical key passed on",
                epochs = passed.len(),
                to = crate::log::LoginName::listed(&member.name)
            );
            events.push(NewEvent::admin(format!("passed clinical key epoch {} to {}", passed.join(", "), member.name)));
        }
    }
    Ok(((), events))
}

/// The section keys wrapped to `user` that open with their key pair AND match the commitment
/// the chain holds for their epoch. A wrap that does not (planted, or for an epoch no clinician
/// signed) is left out and returned as an alert.
pub(super) fn load_section_keys(
    conn: &Connection,
    user: &str,
    pair: &UserKeyPair,
    membership: &Membership,
) -> Result<(SectionKeys, Vec<NewEvent>)> {
    let mut keys = SectionKeys::default();
    let mut alerts = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT epoch, ephemeral_public, nonce, ciphertext FROM section_key_wraps WHERE user = ?1 ORDER BY epoch",
    )?;
    let mut rows = stmt.query([user])?;
    while let Some(row) = rows.next()? {
        let wrapped = WrappedSectionKey {
            epoch: row.get(0)?,
            ephemeral_public: fixed(row.get(1)?)?,
            sealed: Sealed { nonce: fixed::<NONCE_LEN>(row.get(2)?)?, ciphertext: row.get(3)? },
        };
        let opened = section_key::unwrap(&wrapped, user, pair);
        take_if_committed(membership, user, wrapped.epoch, opened, &mut keys, &mut alerts);
    }
    Ok((keys, alerts))
}

/// Keeps `key` for `epoch` only if it is the key the epoch's signed link commits to; anything
/// else (a wrap or an entry copy that does not open to it) is left out and raised as an alert.
pub(super) fn take_if_committed(
    membership: &Membership,
    user: &str,
    epoch: u32,
    key: Option<Key32>,
    keys: &mut SectionKeys,
    alerts: &mut Vec<NewEvent>,
) {
    let committed = membership.epoch(epoch).map(|record| record.commitment);
    match key {
        Some(key) if committed == Some(chain::key_commitment(epoch, &key)) => keys.insert(epoch, key),
        _ => {
            crate::log_safe!(error, "a clinical key wrap does not match the signed epoch", epoch = epoch);
            alerts.push(NewEvent::tampering(
                user,
                format!("a clinical key wrap for epoch {epoch} does not match the epoch's signed commitment"),
            ));
        }
    }
}

/// Deletes the wraps of a user leaving the clinical roles (or disabled); true when there were
/// any. The new epoch that must follow is decided by the chain, not by this.
pub(super) fn drop_wraps(conn: &Connection, user: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM section_key_wraps WHERE user = ?1", [user])? > 0)
}

/// True when `user` holds the newest epoch and no other confirmed clinician does: withdrawing it
/// from them would leave nobody able to read clinical records or pass the key on.
pub(super) fn is_last_holder(conn: &Connection, membership: &Membership, user: &str) -> Result<bool> {
    let Some((epoch, _)) = membership.newest_epoch() else {
        return Ok(false);
    };
    let wraps = wraps(conn)?;
    let holds = |name: &str| wraps.contains(&(name.to_string(), epoch));
    if !holds(user) {
        return Ok(false);
    }
    Ok(!membership.confirmed_clinicians().any(|m| m.name != user && holds(&m.name)))
}

/// Which (user, epoch) wraps this device holds, read at once (a clinic has a handful of users and
/// epochs) rather than asked one pair at a time.
fn wraps(conn: &Connection) -> Result<HashSet<(String, u32)>> {
    let mut stmt = conn.prepare_cached("SELECT user, epoch FROM section_key_wraps")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn store_wrap(conn: &Connection, user: &str, wrapped: &WrappedSectionKey) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO section_key_wraps (user, epoch, ephemeral_public, nonce, ciphertext)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        user,
        wrapped.epoch,
        wrapped.ephemeral_public.as_slice(),
        wrapped.sealed.nonce.as_slice(),
        wrapped.sealed.ciphertext
    ])?;
    Ok(())
}

fn fixed<const N: usize>(bytes: Vec<u8>) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| Error::InvalidState("a stored key has the wrong length"))
}
