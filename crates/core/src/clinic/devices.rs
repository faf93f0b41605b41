//! This computer in the clinic's sync: enrolling it in the membership chain, the clinic data key,
//! and what the sync engine needs from an open session (its keys, the chain, the database).

use ed25519_dalek::SigningKey;
use rusqlite::{params, Connection};

use super::membership::NextLink;
use super::Clinic;
use crate::audit::NewEvent;
use crate::chain::{data_key_commitment, Hex32, Link, Membership, Statement};
use crate::domain::Role;
use crate::policy::{Access, Section};
use crate::secret::{fill_random, Key32};
use crate::vault::data_key::{self, WrappedDataKey};
use crate::vault::device_secret::load_required;
use crate::vault::{DeviceKeys, DeviceSecretStore};
use crate::{Error, Result};

/// What a user's signature on a request to the clinic server covers first: under it a user key
/// signs nothing but such requests (its links and records have domains of their own).
pub const USER_REQUEST_DOMAIN: &[u8] = b"mamori-user-request-v1\0";

/// What the sync engine needs from an open session: whose, which device, its keys.
pub struct SyncKeys {
    /// The clinic root key: the clinic's identity, named in every envelope.
    pub clinic: Hex32,
    pub device: String,
    pub device_keys: DeviceKeys,
    /// Every clinic data key this device holds, by epoch.
    pub data_keys: Vec<(u32, Key32)>,
    /// The membership chain head this session verified.
    pub chain_seq: u64,
}

impl Clinic {
    /// This computer's keys, derived from its device secret in the OS keyring.
    fn device_keys(&self, secrets: &dyn DeviceSecretStore) -> Result<DeviceKeys> {
        DeviceKeys::derive(&load_required(secrets, &self.device_id, self.dir.root())?)
    }

    /// An administrator enrolls the computer they are at, for `roles`: the chain invites it and
    /// accepts with its own keys, and a clinic data key epoch is started first if the clinic has
    /// none. Nothing changes if it is enrolled already.
    pub fn enroll_this_device(&mut self, secrets: &dyn DeviceSecretStore, roles: Vec<Role>) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        if self.keys()?.membership.devices().get(&self.device_id).is_some_and(|d| d.is_active()) {
            return Ok(());
        }
        if self.keys()?.membership.devices().newest_data_epoch().is_none() {
            self.start_data_key_epoch()?;
        }
        let device_keys = self.device_keys(secrets)?;
        let mut seed = [0u8; 32];
        fill_random(&mut seed)?;
        let code_key = SigningKey::from_bytes(&seed);
        let invite = Statement::InviteDevice {
            device: self.device_id.clone(),
            roles,
            invite_key: code_key.verifying_key().to_bytes(),
            vouches_history: true,
        };
        let invited = self.next_link(invite)?;
        let accept = Statement::AcceptDevice {
            device: self.device_id.clone(),
            signing_key: device_keys.signing_public(),
            x25519: device_keys.x25519_public(),
        };
        let accepted = follow(&invited, accept, &code_key)?;
        let event = NewEvent::admin("enrolled this computer in the clinic's sync");
        self.transact(true, |conn, _| {
            invited.store(conn)?;
            accepted.store(conn)?;
            Ok(((), vec![event]))
        })?;
        self.adopt(accepted);
        Ok(())
    }

    /// Starts a new clinic data key epoch: a new random key, kept in this device's database, its
    /// commitment in the chain. Administrators only.
    pub fn start_data_key_epoch(&mut self) -> Result<u32> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        let epoch = self.keys()?.membership.devices().newest_data_epoch().map_or(1, |(e, _)| e + 1);
        let key = Key32::random()?;
        let statement = Statement::DataKeyEpoch { epoch, commitment: data_key_commitment(epoch, &key) };
        let event = NewEvent::admin(format!("started clinic data key epoch {epoch}"));
        self.append_link(statement, vec![event], |conn| store_data_key(conn, epoch, &key))?;
        Ok(epoch)
    }

    /// What the sync engine needs from this session.
    pub fn sync_keys(&self, secrets: &dyn DeviceSecretStore) -> Result<SyncKeys> {
        let keys = self.keys()?;
        Ok(SyncKeys {
            clinic: *keys.membership.root(),
            device: self.device_id.clone(),
            device_keys: self.device_keys(secrets)?,
            data_keys: self.data_keys()?,
            chain_seq: keys.membership.head().0,
        })
    }

    /// Every clinic data key this device holds.
    fn data_keys(&self) -> Result<Vec<(u32, Key32)>> {
        let mut stmt = self.conn()?.prepare("SELECT epoch, key FROM data_keys ORDER BY epoch")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, u32>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
        rows.map(|row| {
            let (epoch, key) = row?;
            let key =
                Key32::from_slice(&key).ok_or(Error::InvalidState("a stored clinic data key has the wrong length"))?;
            Ok((epoch, key))
        })
        .collect()
    }

    /// Takes a clinic data key wrapped to this device, if it opens with this device's key to the
    /// key the chain commits to for its epoch. Returns the epoch if it was new here.
    pub fn accept_data_key(&mut self, secrets: &dyn DeviceSecretStore, wrapped: &[u8]) -> Result<Option<u32>> {
        let wrapped = WrappedDataKey::from_bytes(wrapped)?;
        if wrapped.device != self.device_id {
            return Err(Error::InvalidState("a clinic data key wrap for another device"));
        }
        let commitment = self
            .keys()?
            .membership
            .devices()
            .data_epoch(wrapped.epoch)
            .map(|record| record.commitment)
            .ok_or(Error::InvalidState("a clinic data key wrap for an epoch the chain does not name"))?;
        let key = data_key::unwrap(&wrapped, &self.device_keys(secrets)?, &commitment)?;
        if self.data_keys()?.iter().any(|(epoch, _)| *epoch == wrapped.epoch) {
            return Ok(None);
        }
        let epoch = wrapped.epoch;
        self.transact(true, |conn, _| {
            store_data_key(conn, epoch, &key)?;
            Ok(((), vec![NewEvent::admin(format!("received clinic data key epoch {epoch}"))]))
        })?;
        Ok(Some(epoch))
    }

    /// Every clinic data key this device holds, wrapped to `device` (an active device of the
    /// chain, by its X25519 key there): what the server keeps for it.
    pub fn wrap_data_keys_for(&self, device: &str) -> Result<Vec<(u32, Vec<u8>)>> {
        let record = self
            .keys()?
            .membership
            .devices()
            .get(device)
            .filter(|d| d.is_active())
            .ok_or(Error::InvalidState("data keys are wrapped only to enrolled devices"))?;
        self.data_keys()?
            .iter()
            .map(|(epoch, key)| Ok((*epoch, data_key::wrap(key, *epoch, device, &record.x25519)?.to_bytes())))
            .collect()
    }

    /// This session's user signs a request to the clinic server (the server checks their standing
    /// in the chain, e.g. an administrator asking for the clinic-wide audit report).
    pub fn sign_server_request(&self, request: &[u8]) -> Result<[u8; 64]> {
        use ed25519_dalek::Signer;
        let key = self.keys()?.user_key.signing_key();
        Ok(key.sign(&[USER_REQUEST_DOMAIN, request].concat()).to_bytes())
    }

    /// Refuses anyone but an administrator (audited like every refusal).
    pub fn authorize_admin(&mut self) -> Result<()> {
        self.authorize(Section::Administration, Access::Read, None).map(|_| ())
    }

    /// The membership chain as this session verified it.
    pub fn membership(&self) -> Result<&Membership> {
        Ok(&self.keys()?.membership)
    }

    /// The chain's links after `after`, as stored here (to offer the server).
    pub fn chain_links_after(&self, after: u64) -> Result<Vec<Link>> {
        let links = crate::chain::load(self.conn()?)?;
        Ok(links.into_iter().skip(usize::try_from(after).unwrap_or(usize::MAX)).collect())
    }

    /// Takes links from the server that follow this device's chain head, verified one by one like
    /// at login; a link that does not verify stops them all. Returns how many were taken.
    pub fn adopt_chain_links(&mut self, first: u64, links: Vec<Link>) -> Result<usize> {
        self.refresh_membership()?;
        let mut membership = self.keys()?.membership.clone();
        let head = membership.head().0;
        let fresh: Vec<(u64, Link)> = (first..).zip(links).filter(|(seq, _)| *seq > head).collect();
        if fresh.first().is_some_and(|(seq, _)| *seq != head + 1) {
            return Err(Error::ChainBroken { seq: head + 1, problem: "the server skipped links" });
        }
        for (_, link) in &fresh {
            membership.apply(link)?;
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        let taken = fresh.len();
        self.transact(true, |conn, _| {
            for (seq, link) in &fresh {
                crate::chain::append(conn, *seq, link)?;
            }
            Ok(((), Vec::new()))
        })?;
        if let Some(keys) = self.keys.as_mut() {
            keys.membership = membership;
        }
        Ok(taken)
    }

    /// The chart database, for the sync engine: its own tables, and changes from other devices
    /// through `replication::import`. Nothing else may write here.
    pub fn sync_connection(&mut self) -> Result<&mut Connection> {
        Ok(self.keys.as_mut().ok_or(Error::SessionLocked)?.store.conn_mut())
    }
}

/// Link `statement`, signed by `key`, right after `before` (in the same transaction).
pub(super) fn follow(before: &NextLink, statement: Statement, key: &SigningKey) -> Result<NextLink> {
    let seq = before.seq + 1;
    let link = Link::sign(before.membership.root(), seq, &before.link.hash, statement, key)?;
    let mut membership = before.membership.clone();
    membership.apply(&link).map_err(|e| Error::InvalidState(e.problem))?;
    Ok(NextLink { seq, link, membership })
}

pub(super) fn store_data_key(conn: &Connection, epoch: u32, key: &Key32) -> Result<()> {
    conn.execute("INSERT INTO data_keys (epoch, key) VALUES (?1, ?2)", params![epoch, &key.expose()[..]])?;
    Ok(())
}
