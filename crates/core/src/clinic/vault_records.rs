//! Users' vault records on this device (`vault/vault_record.rs`): a user making their own (with
//! their Secret Key, first made here), and the newest of everyone's, kept for the sync to pass on
//! and for the user's first login on another device.

use rusqlite::{params, OptionalExtension};

use super::Clinic;
use crate::audit::{Action, NewEvent};
use crate::secret::Key32;
use crate::secret::Password;
use crate::vault::device_secret::load_required;
use crate::vault::password_updates::PasswordUpdate;
use crate::vault::vault_record::{RecordKey, SecretKey, VaultRecord, VaultSecrets};
use crate::vault::{keyfile, section_key, ChainPin, DeviceSecretStore, UserKeyPair};
use crate::{Error, Result};

/// What [`Clinic::take_vault_record`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultRecordTaken {
    /// Newer than the one held: kept.
    Kept,
    /// Not newer than the one held: nothing changed.
    NotNewer,
}

impl Clinic {
    /// Seals the logged-in user's vault record under `password` (their current one) and their
    /// Secret Key, as the next version, signed by their user key, and keeps it for the sync to
    /// send. A user without a Secret Key gets one now: it is returned only then, to print on their
    /// kit (it is kept in their sealed key-file entry, never shown again).
    pub fn make_vault_record(
        &mut self,
        secrets: &dyn DeviceSecretStore,
        password: &Password,
    ) -> Result<Option<SecretKey>> {
        let user = self.user.name.clone();
        let root = self.dir.root().to_path_buf();
        let (sealed_secrets, secret_key, record_key, made) = keyfile::update(&self.dir.key_file(), |key_file| {
            let device_secret = load_required(secrets, &key_file.device_id, &root)?;
            let mut opened = key_file.open(&user, password, &device_secret)?;
            let made = opened.secrets.secret_key.is_none();
            if made {
                let secret_key = SecretKey::generate()?;
                key_file.keep_secret_key(&user, &secret_key, &device_secret)?;
                opened.secrets.secret_key = Some(secret_key);
            }
            let secret_key = opened.secrets.secret_key.as_ref().map(|k| SecretKey::from_bytes(*k.expose()));
            let secret_key = secret_key.ok_or(Error::InvalidState("the Secret Key was not kept"))?;
            // The record key stays in the entry: later records (new clinical keys) are sealed
            // without the password.
            let record_key = RecordKey::derive(&user, password, &secret_key)?;
            opened.secrets.record_key = Some(record_key.duplicate());
            key_file.reseal(&user, &opened.kek, &opened.secrets)?;
            let sealed = VaultSecrets {
                user_key: UserKeyPair::from_key(&opened.secrets.user_key.secret_key()),
                second_factor: opened.secrets.second_factor.as_ref().map(crate::auth::SecondFactorState::duplicate),
                clinical_keys: copy_keys(&opened.secrets.clinical_keys),
            };
            Ok((sealed, secret_key, record_key, made))
        })?;
        let version = self.vault_record_version(&user)?.map_or(1, |v| v + 1);
        let record = VaultRecord::seal_under(&user, version, &sealed_secrets, &record_key)?;
        let event = NewEvent::allowed(Action::Admin, None, None)
            .with_reason(format!("sealed own vault record version {version}"));
        self.transact(true, |conn, _| {
            store(conn, &record)?;
            Ok(((), vec![event]))
        })?;
        crate::log_safe!(info, "vault record sealed", version = version, new_secret_key = made);
        Ok(made.then_some(secret_key))
    }

    /// Every vault record this device holds, newest version per user.
    pub fn vault_records(&self) -> Result<Vec<VaultRecord>> {
        let mut stmt = self.conn()?.prepare("SELECT bytes, signature FROM vault_records ORDER BY user")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
        rows.map(|row| {
            let (bytes, signature) = row?;
            VaultRecord::from_parts(bytes, &signature)
        })
        .collect()
    }

    /// Keeps a colleague's vault record handed on by the server, if their key in the verified
    /// chain signed it and it is newer than the one held.
    pub fn take_vault_record(&mut self, record: &VaultRecord) -> Result<VaultRecordTaken> {
        self.refresh_membership()?;
        let member = self.keys()?.membership.member(record.user()).ok_or(Error::VaultRecordInvalid)?;
        if !member.accepted() || member.disabled || !record.signed_by(&member.signing_key) {
            return Err(Error::VaultRecordInvalid);
        }
        if self.vault_record_version(record.user())?.is_some_and(|held| held >= record.version()) {
            return Ok(VaultRecordTaken::NotNewer);
        }
        let x25519 = member.x25519;
        store(self.conn()?, record)?;
        self.leave_password_update(record, &x25519)?;
        Ok(VaultRecordTaken::Kept)
    }

    /// A colleague with an entry on this computer changed their password elsewhere: leave their
    /// newer record, with the database key sealed to them, for their next login here.
    fn leave_password_update(&self, record: &VaultRecord, x25519: &[u8; 32]) -> Result<()> {
        let user = record.user().to_owned();
        let keys = self.keys()?;
        let (seq, hash) = keys.membership.head();
        let pin = ChainPin { root: *keys.membership.root(), seq, hash };
        let dek = Key32::from_bytes(*keys.dek.expose());
        keyfile::update(&self.dir.key_file(), |key_file| {
            if !key_file.has_user(&user) {
                return Ok(());
            }
            let database_key = section_key::wrap_database_key(&dek, &key_file.device_id, &user, x25519)?;
            key_file.add_password_update(PasswordUpdate {
                user: user.clone(),
                record: record.bytes().to_vec(),
                signature: record.signature().to_vec(),
                database_key,
                pin,
            });
            Ok(())
        })
    }

    /// Seals the next version of this user's record with the clinical keys `entry` now holds,
    /// under the record key kept in it (no password needed); `None` for a user without one.
    pub(super) fn next_record(&self, entry: &crate::vault::EntrySecrets) -> Result<Option<VaultRecord>> {
        let Some(record_key) = &entry.record_key else { return Ok(None) };
        let version = self.vault_record_version(&self.user.name)?.map_or(1, |v| v + 1);
        let sealed = VaultSecrets {
            user_key: UserKeyPair::from_key(&entry.user_key.secret_key()),
            second_factor: entry.second_factor.as_ref().map(crate::auth::SecondFactorState::duplicate),
            clinical_keys: copy_keys(&entry.clinical_keys),
        };
        Ok(Some(VaultRecord::seal_under(&self.user.name, version, &sealed, record_key)?))
    }

    /// Keeps this user's newly sealed record for the sync to send.
    pub(super) fn keep_own_record(&self, record: &VaultRecord) -> Result<()> {
        store(self.conn()?, record)
    }

    fn vault_record_version(&self, user: &str) -> Result<Option<u64>> {
        let version: Option<i64> = self
            .conn()?
            .query_row("SELECT version FROM vault_records WHERE user = ?1", [user], |row| row.get(0))
            .optional()?;
        Ok(version.map(|v| u64::try_from(v).unwrap_or(0)))
    }
}

fn copy_keys(keys: &crate::vault::SectionKeys) -> crate::vault::SectionKeys {
    let mut copy = crate::vault::SectionKeys::default();
    for (epoch, key) in keys.iter() {
        copy.insert(epoch, crate::secret::Key32::from_bytes(*key.expose()));
    }
    copy
}

fn store(conn: &rusqlite::Connection, record: &VaultRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO vault_records (user, version, bytes, signature) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user) DO UPDATE SET version = excluded.version, bytes = excluded.bytes,
                                          signature = excluded.signature
         WHERE excluded.version > vault_records.version",
        params![
            record.user(),
            i64::try_from(record.version()).map_err(|_| Error::VaultRecordInvalid)?,
            record.bytes(),
            &record.signature()[..]
        ],
    )?;
    Ok(())
}
