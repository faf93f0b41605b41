//! Who holds the clinical section key (CSK) on this device, and how it is passed on.
//!
//! - Every user has an X25519 key pair; the public half is stored here, the secret half in the
//!   key file under the user's KEK.
//! - The first clinical user (doctor or nurse) starts epoch 1. Later clinical users are *pending*
//!   until a clinical user who holds the key logs in and wraps it for them; an admin, who adds
//!   them, never holds it.
//! - A user who leaves the clinical roles (or is disabled) loses their wraps at once, and the next
//!   clinical login starts a new epoch, so content written afterwards is sealed under a key they
//!   never saw. Every epoch stays wrapped to every current clinical user.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::Clinic;
use crate::audit::NewEvent;
use crate::crypto::{Sealed, NONCE_LEN};
use crate::policy::{self, Section};
use crate::secret::Key32;
use crate::vault::section_key::{self, WrappedSectionKey};
use crate::vault::{SectionKeys, UserKeyPair};
use crate::{Error, Result};

/// A clinical key epoch and its key.
pub(super) type Epoch = (u32, Key32);

impl Clinic {
    /// After a clinical login: starts a new epoch if one is due, then wraps every epoch this
    /// session holds for each clinical user still waiting for it, in one audited transaction.
    pub(super) fn share_section_keys(&mut self) -> Result<()> {
        let me = self.user.name.clone();
        let now = self.now();
        if self.keys()?.section.is_empty() {
            return Ok(());
        }
        let started = self.transact(true, |conn, _, _, held| share(conn, &me, now, held))?;
        self.keep_started_epoch(started);
        Ok(())
    }

    /// Keeps the key of an epoch this session started, once the transaction that started it has
    /// committed.
    pub(super) fn keep_started_epoch(&mut self, started: Option<Epoch>) {
        if let (Some((epoch, key)), Some(keys)) = (started, self.keys.as_mut()) {
            keys.section.insert(epoch, key);
        }
    }

    /// Enabled doctors and nurses who do not yet hold the newest clinical key on this device (admin
    /// only): they read clinical sections once a colleague who holds it logs in here.
    pub fn waiting_for_clinical_key(&mut self) -> Result<Vec<String>> {
        self.authorize(Section::Administration, crate::policy::Access::Read, None)?;
        let conn = self.conn()?;
        let Some(epoch) = current_epoch(conn)? else {
            return Ok(Vec::new());
        };
        let wraps = wraps(conn)?;
        let users = clinical_users_with_keys(conn)?;
        Ok(users.into_iter().map(|(user, _)| user).filter(|user| !wraps.contains(&(user.clone(), epoch))).collect())
    }
}

/// Returns the key of an epoch it started (kept by the session only once the transaction commits).
fn share(
    conn: &Connection,
    me: &str,
    now: DateTime<Utc>,
    held: &SectionKeys,
) -> Result<(Option<Epoch>, Vec<NewEvent>)> {
    let mut events = Vec::new();
    let started = if rotation_due(conn)? {
        let (epoch, key) = new_epoch(conn, me, now)?;
        conn.execute("DELETE FROM section_key_rotation_due", [])?;
        events.push(NewEvent::admin(format!("started clinical key epoch {epoch}")));
        crate::log_safe!(info, "clinical key epoch started", epoch = epoch);
        Some((epoch, key))
    } else {
        None
    };
    let epochs: Vec<(u32, &Key32)> = held.iter().chain(started.as_ref().map(|(e, k)| (*e, k))).collect();
    let wraps = wraps(conn)?;
    for (user, public) in clinical_users_with_keys(conn)? {
        let mut passed = Vec::new();
        for (epoch, key) in &epochs {
            if !wraps.contains(&(user.clone(), *epoch)) {
                store_wrap(conn, &user, &section_key::wrap(key, *epoch, &user, &public)?)?;
                passed.push(epoch.to_string());
            }
        }
        if !passed.is_empty() && user != me {
            crate::log_safe!(
                info,
                "clinical key passed on",
                epochs = passed.len(),
                to = crate::log::LoginName::listed(&user)
            );
            events.push(NewEvent::admin(format!("passed clinical key epoch {} to {user}", passed.join(", "))));
        }
    }
    Ok((started, events))
}

/// Stores `user`'s public key and, when they are clinical and no epoch exists yet, starts epoch 1
/// wrapped to them. Returns the key of a newly started epoch (the caller decides who keeps it).
pub(super) fn enroll_user_key(
    conn: &Connection,
    user: &crate::domain::User,
    pair: &UserKeyPair,
    now: DateTime<Utc>,
) -> Result<Option<Epoch>> {
    store_public_key(conn, &user.name, &pair.public())?;
    if !policy::holds_clinical_key(user.role) || current_epoch(conn)?.is_some() {
        return Ok(None);
    }
    let (epoch, key) = new_epoch(conn, &user.name, now)?;
    store_wrap(conn, &user.name, &section_key::wrap(&key, epoch, &user.name, &pair.public())?)?;
    Ok(Some((epoch, key)))
}

fn store_public_key(conn: &Connection, user: &str, public: &[u8; 32]) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO user_public_keys (user, public_key) VALUES (?1, ?2)")?
        .execute(params![user, public.as_slice()])?;
    Ok(())
}

pub(super) fn stored_public_key(conn: &Connection, user: &str) -> Result<Option<[u8; 32]>> {
    let stored: Option<Vec<u8>> = conn
        .prepare_cached("SELECT public_key FROM user_public_keys WHERE user = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?;
    stored.map(fixed).transpose()
}

/// A user's new public key; wraps made for the old one can no longer be opened and are dropped
/// (the user waits for a colleague to pass the clinical key on again). Call inside a transaction.
pub(super) fn replace_public_key(conn: &Connection, user: &str, public: &[u8; 32]) -> Result<()> {
    drop_wraps(conn, user)?;
    store_public_key(conn, user, public)
}

/// The section keys wrapped to `user`, opened with their key pair.
pub(super) fn load_section_keys(conn: &Connection, user: &str, pair: &UserKeyPair) -> Result<SectionKeys> {
    let mut keys = SectionKeys::default();
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
        let key = section_key::unwrap(&wrapped, user, pair)
            .ok_or(Error::InvalidState("a clinical key wrapped for this user does not open"))?;
        keys.insert(wrapped.epoch, key);
    }
    Ok(keys)
}

/// Takes the key away from a user leaving the clinical roles (or disabled) and has the next
/// clinical session start a new epoch. True when the user had wraps to remove.
pub(super) fn revoke(conn: &Connection, user: &str, now: DateTime<Utc>) -> Result<bool> {
    let removed = drop_wraps(conn, user)?;
    if current_epoch(conn)?.is_some() {
        conn.execute(
            "INSERT OR IGNORE INTO section_key_rotation_due (singleton, since) VALUES (1, ?1)",
            [now.to_rfc3339()],
        )?;
    }
    Ok(removed > 0)
}

/// Deletes every wrap made for `user`; returns how many there were.
fn drop_wraps(conn: &Connection, user: &str) -> Result<usize> {
    Ok(conn.execute("DELETE FROM section_key_wraps WHERE user = ?1", [user])?)
}

/// True when `user` holds the newest epoch and no other enabled clinical user does: withdrawing
/// it from them would leave nobody able to read clinical records or pass the key on.
pub(super) fn is_last_holder(conn: &Connection, user: &str) -> Result<bool> {
    let Some(epoch) = current_epoch(conn)? else {
        return Ok(false);
    };
    let wraps = wraps(conn)?;
    let holds = |name: &str| wraps.contains(&(name.to_string(), epoch));
    if !holds(user) {
        return Ok(false);
    }
    Ok(!clinical_users_with_keys(conn)?.iter().any(|(other, _)| other != user && holds(other)))
}

/// True when a user left the clinical roles since the newest epoch began.
pub(super) fn rotation_due(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT count(*) FROM section_key_rotation_due", [], |r| r.get::<_, i64>(0))? > 0)
}

fn current_epoch(conn: &Connection) -> Result<Option<u32>> {
    Ok(conn.query_row("SELECT max(epoch) FROM section_key_epochs", [], |r| r.get(0))?)
}

fn new_epoch(conn: &Connection, by: &str, now: DateTime<Utc>) -> Result<Epoch> {
    let epoch = current_epoch(conn)?.unwrap_or(0) + 1;
    conn.execute(
        "INSERT INTO section_key_epochs (epoch, created_at, created_by) VALUES (?1, ?2, ?3)",
        params![epoch, now.to_rfc3339(), by],
    )?;
    Ok((epoch, Key32::random()?))
}

/// Enabled users whose role holds the clinical key, with their public keys.
fn clinical_users_with_keys(conn: &Connection) -> Result<Vec<(String, [u8; 32])>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.name, u.role, k.public_key FROM users u JOIN user_public_keys k ON k.user = u.name
         WHERE u.disabled = 0 ORDER BY u.name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
    let mut users = Vec::new();
    for row in rows {
        let (name, role, public) = row?;
        let role =
            crate::domain::Role::parse(&role).map_err(|_| Error::InvalidState("a stored user has an unknown role"))?;
        if policy::holds_clinical_key(role) {
            users.push((name, fixed(public)?));
        }
    }
    Ok(users)
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
