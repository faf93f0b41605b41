//! A new device joining the clinic (DESIGN.md "The wire", enrollment; "User key"): an
//! administrator invites it by name ([`Clinic::invite_device`], a link and a one-time code); on
//! the new computer, the code's holder accepts with the device's own keys ([`acceptance`]), and a
//! user enrolled elsewhere makes its chart store with their vault record, password and Secret Key
//! ([`Clinic::join`]). The server that carries all of it can neither enroll a device of its own
//! (the link needs an administrator, the acceptance the code) nor read a vault record.

use std::fs;

use super::join_code::JoinCode;
use super::{Clinic, DataDir, Keys};
use crate::audit::{DeviceIdentity, NewEvent};
use crate::chain::{self, Link, Membership, Statement};
use crate::changelog::{self, HlcClock};
use crate::clock::Clock;
use crate::domain::Role;
use crate::policy::{Access, Section};
use crate::secret::{Key32, Password};
use crate::store::Store;
use crate::vault::vault_record::{RecordKey, SecretKey, VaultRecord};
use crate::vault::{ChainPin, DeviceKeys, DeviceSecretStore, EntrySecrets, KeyFile, Pins};
use crate::{fsutil, log_safe, Error, Result};

impl Clinic {
    /// Invites a new device by name, for the roles that may log in there (admin only): a signed
    /// link naming the key the returned one-time code derives. The code also carries the clinic
    /// server's address and certificate fingerprint and the clinic root, so the new device trusts
    /// nothing the network tells it. The link reaches the server with this device's next sync.
    pub fn invite_device(
        &mut self,
        device: &str,
        roles: Vec<Role>,
        server: &str,
        certificate: [u8; 32],
    ) -> Result<JoinCode> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        let clinic = *self.keys()?.membership.root();
        let code = JoinCode::generate(server, certificate, clinic, device)?;
        let invite_key = code.acceptance_key().verifying_key().to_bytes();
        let event = NewEvent::admin(format!("invited device {device}"));
        self.append_link(
            Statement::InviteDevice { device: device.to_owned(), roles, invite_key, vouches_history: false },
            vec![event],
            |_| Ok(()),
        )?;
        log_safe!(info, "device invited");
        Ok(code)
    }

    /// Makes this computer's chart store for `user`, on a device the chain (`links`, verified from
    /// the code's clinic root) enrolled with the keys of its device secret: their keys come from
    /// their vault record, opened with their password and Secret Key. From then on they log in
    /// here as anywhere, and the first sync brings the clinic's charts. On failure nothing is left
    /// behind but the device secret, which the chain already names.
    #[allow(clippy::too_many_arguments)]
    pub fn join(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        code: &JoinCode,
        links: &[Link],
        record: &VaultRecord,
        password: &Password,
        secret_key: &SecretKey,
    ) -> Result<Clinic> {
        if dir.key_file().exists() || dir.database().exists() {
            return Err(Error::AlreadyInitialized(dir.root().to_path_buf()));
        }
        let device_secret = crate::vault::device_secret::load_required(secrets, &code.device, dir.root())?;
        let membership = Membership::verify(&code.clinic, links).map_err(Error::from)?;
        let device_keys = DeviceKeys::derive(&device_secret)?;
        let enrolled = membership.devices().get(&code.device).filter(|d| d.is_active());
        let Some(enrolled) = enrolled.filter(|d| d.signing_key == device_keys.signing_public()) else {
            return Err(Error::JoinRefused("the chain does not enroll this computer's keys under the code's name"));
        };
        let member = membership
            .member(record.user())
            .filter(|m| m.accepted() && !m.disabled)
            .ok_or(Error::JoinRefused("the clinic has no enabled user of that name"))?;
        if !enrolled.roles.contains(&member.role) {
            return Err(Error::JoinRefused("the device does not admit this user's role"));
        }
        let opened = record.open(password, secret_key, &member.signing_key)?;
        let user = member.user();
        fsutil::create_private_dir(dir.root())?;
        let made =
            make_store(dir, clock, code, links, membership, record, password, secret_key, opened, &device_secret);
        match &made {
            Ok(_) => log_safe!(info, "joined the clinic on this device", role = user.role),
            Err(error) => {
                log_safe!(error, "joining failed and was rolled back", code = error);
                for file in dir.database_files() {
                    let _ = fs::remove_file(file);
                }
            }
        }
        made
    }
}

/// Signs the new device's acceptance of its invitation with the code's key: the device's own
/// public keys, right after `membership`'s head. Refused unless the chain invites exactly this
/// device with the code's key.
pub fn acceptance(code: &JoinCode, membership: &Membership, keys: &DeviceKeys) -> Result<Link> {
    let acceptance_key = code.acceptance_key();
    let invited = membership.devices().get(&code.device).and_then(|d| d.invite_key);
    if invited != Some(acceptance_key.verifying_key().to_bytes()) {
        return Err(Error::JoinRefused("the clinic's chain holds no open invitation for this code"));
    }
    let (head, hash) = membership.head();
    let statement = Statement::AcceptDevice {
        device: code.device.clone(),
        signing_key: keys.signing_public(),
        x25519: keys.x25519_public(),
    };
    Ok(Link::sign(membership.root(), head + 1, &hash, statement, &acceptance_key)?)
}

#[allow(clippy::too_many_arguments)]
fn make_store(
    dir: &DataDir,
    clock: Box<dyn Clock>,
    code: &JoinCode,
    links: &[Link],
    membership: Membership,
    record: &VaultRecord,
    password: &Password,
    secret_key: &SecretKey,
    opened: crate::vault::vault_record::VaultSecrets,
    device_secret: &Key32,
) -> Result<Clinic> {
    let hlc = HlcClock::new(clock, changelog::Hlc::default());
    let dek = Key32::random()?;
    let store = Store::create(&dir.database(), &dek)?;
    fsutil::restrict_to_owner(&dir.database(), 0o600)?;
    store.conn().execute(
        "INSERT INTO device (singleton, device_id, created_at) VALUES (1, ?1, ?2)",
        rusqlite::params![code.device, hlc.wall_clock().now().to_rfc3339()],
    )?;
    for (seq, link) in (1u64..).zip(links) {
        chain::append(store.conn(), seq, link)?;
    }
    store.conn().execute(
        "INSERT INTO vault_records (user, version, bytes, signature) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            record.user(),
            i64::try_from(record.version()).map_err(|_| Error::VaultRecordInvalid)?,
            record.bytes(),
            &record.signature()[..]
        ],
    )?;
    let identity = DeviceIdentity::load_or_create(store.conn())?;
    let (head, hash) = membership.head();
    let pin = ChainPin { root: code.clinic, seq: head, hash };
    let user = membership.member(record.user()).ok_or(Error::VaultRecordInvalid)?.user();
    let entry = EntrySecrets {
        dek: Key32::from_bytes(*dek.expose()),
        user_key: crate::vault::UserKeyPair::from_key(&opened.user_key.secret_key()),
        second_factor: opened.second_factor,
        pins: Pins { chain: Some(pin), ..Pins::default() },
        clinical_keys: Default::default(),
        secret_key: Some(SecretKey::from_bytes(*secret_key.expose())),
        record_key: Some(RecordKey::derive(record.user(), password, secret_key)?),
    };
    let mut keys = Keys::new(store, dek, identity, opened.user_key, membership);
    // The clinical keys from the record count once each matches its epoch's signed commitment
    // (checked as the session takes them up).
    keys.section = opened.clinical_keys;
    let mut clinic = Clinic::assemble(dir, &code.device, user, hlc, keys)?;
    let mut key_file = KeyFile::new(code.device.clone());
    let kek = key_file.add_user(record.user(), password, device_secret, &entry)?;
    key_file.keep_secret_key(record.user(), secret_key, device_secret)?;
    key_file.save(&dir.key_file())?;
    clinic.keys.as_mut().ok_or(Error::SessionLocked)?.kek = Some(kek);
    clinic.take_up_section_keys()?;
    clinic.record(vec![NewEvent::admin("joined the clinic on this device with own vault record")])?;
    clinic.save_pins()?;
    Ok(clinic)
}
