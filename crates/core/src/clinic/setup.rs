//! Creating a device store and unlocking it.

use std::fs;

use super::section_keys;
use super::{Clinic, DataDir, Keys};
use crate::audit::{Action, DeviceIdentity, NewEvent};
use crate::auth::guard::LoginGuard;
use crate::auth::{self, Enrollment, SecondFactor};
use crate::chain::{self, genesis_prev, Link, Membership, RecoveryKit, RootKey, Statement};
use crate::changelog::{self, HlcClock, OpenBody};
use crate::clock::Clock;
use crate::domain::user::check_password_strength;
use crate::domain::User;
use crate::log::LoginName;
use crate::log_safe;
use crate::policy;
use crate::secret::{Key32, Password};
use crate::store::Store;
use crate::vault::device_secret::load_required;
use crate::vault::{keyfile, section_key};
use crate::vault::{ChainPin, DeviceSecretStore, EntrySecrets, KeyFile, Pins, SectionKeys, UserKeyPair};
use crate::{fsutil, Error, Result};

impl Clinic {
    /// Creates a new encrypted store in `dir` with its first user, and the clinic's root key:
    /// it signs the membership chain's first link and is then kept nowhere but in the returned
    /// recovery kit, to be printed. On any failure nothing is left behind: no files, no keyring
    /// entry.
    pub fn init(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        first: &User,
        password: &Password,
    ) -> Result<(Clinic, Enrollment, RecoveryKit)> {
        check_password_strength(password.expose())?;
        if dir.key_file().exists() {
            return Err(Error::AlreadyInitialized(dir.root().to_path_buf()));
        }
        if dir.database().exists() {
            return Err(Error::IncompleteSetup(dir.root().to_path_buf()));
        }
        fsutil::create_private_dir(dir.root())?;

        let hlc = HlcClock::new(clock, changelog::Hlc::default());
        let device_id = uuid::Uuid::new_v4().to_string();
        let device_secret = secrets.create(&device_id)?;
        let created = Self::create_files(dir, hlc, &device_id, &device_secret, first, password);
        match &created {
            Ok(_) => log_safe!(
                info,
                "device set up",
                device = uuid::Uuid::parse_str(&device_id).ok(),
                user = LoginName::of(first),
                role = first.role
            ),
            Err(error) => log_safe!(error, "device setup failed and was rolled back", code = error),
        }
        if created.is_err() {
            for file in dir.database_files() {
                let _ = fs::remove_file(file);
            }
            let _ = secrets.delete(&device_id);
        }
        created
    }

    fn create_files(
        dir: &DataDir,
        hlc: HlcClock,
        device_id: &str,
        device_secret: &Key32,
        first: &User,
        password: &Password,
    ) -> Result<(Clinic, Enrollment, RecoveryKit)> {
        let dek = Key32::random()?;
        let store = Store::create(&dir.database(), &dek)?;
        fsutil::restrict_to_owner(&dir.database(), 0o600)?;
        store.conn().execute(
            "INSERT INTO device (singleton, device_id, created_at) VALUES (1, ?1, ?2)",
            rusqlite::params![device_id, hlc.wall_clock().now().to_rfc3339()],
        )?;
        let identity = DeviceIdentity::load_or_create(store.conn())?;
        let user_key = UserKeyPair::generate()?;
        let root = RootKey::generate()?;
        let (membership, genesis) = first_link(&root, first, &user_key)?;
        let pin = ChainPin { root: root.public(), seq: 1, hash: genesis.hash };
        let (enrollment, second_factor) = auth::enroll(&first.name)?;
        let secrets = EntrySecrets {
            dek: Key32::from_bytes(*dek.expose()),
            user_key: UserKeyPair::from_key(&user_key.secret_key()),
            second_factor: Some(second_factor),
            pins: Pins { chain: Some(pin), ..Pins::default() },
            clinical_keys: Default::default(),
            secret_key: None,
            record_key: None,
        };
        let keys = Keys::new(store, dek, identity, user_key, membership);
        let mut clinic = Clinic::assemble(dir, device_id, first.clone(), hlc, keys)?;
        clinic.record_first_user(first, &genesis)?;

        let mut key_file = KeyFile::new(device_id);
        let kek = key_file.add_user(&first.name, password, device_secret, &secrets)?;
        key_file.save(&dir.key_file())?;
        clinic.keys.as_mut().ok_or(Error::SessionLocked)?.kek = Some(kek);
        // A clinical first user (a single-handed clinic's doctor) starts the clinical key.
        clinic.take_up_section_keys()?;
        clinic.save_pins()?;
        Ok((clinic, enrollment, root.recovery_kit()))
    }

    /// An UNENCRYPTED clinic, only for the benchmark's plain-SQLite baseline (same schema, same
    /// change log, same queries). Not compiled into the product.
    #[cfg(feature = "bench-baselines")]
    pub fn create_plaintext_baseline(dir: &DataDir, clock: Box<dyn Clock>, first: &User) -> Result<Clinic> {
        fsutil::create_private_dir(dir.root())?;
        let store = Store::create_plaintext_baseline(&dir.database())?;
        let hlc = HlcClock::new(clock, changelog::Hlc::default());
        store.conn().execute("INSERT INTO device (singleton, device_id, created_at) VALUES (1, 'baseline', '')", [])?;
        let identity = DeviceIdentity::load_or_create(store.conn())?;
        let user_key = UserKeyPair::generate()?;
        let (membership, genesis) = first_link(&RootKey::generate()?, first, &user_key)?;
        let keys = Keys::new(store, Key32::random()?, identity, user_key, membership);
        let mut clinic = Clinic::assemble(dir, "baseline", first.clone(), hlc, keys)?;
        clinic.record_first_user(first, &genesis)?;
        clinic.take_up_section_keys()?;
        Ok(clinic)
    }

    /// Records the device's first user and the chain's first link in one transaction.
    fn record_first_user(&mut self, first: &User, genesis: &Link) -> Result<()> {
        self.commit_one_then(OpenBody::UserAdded(first.clone()), |tx| Ok((chain::append(tx, 1, genesis)?, Vec::new())))
    }

    /// Opens the store in `dir` as `user_name`: password (with this computer's device secret),
    /// then the second factor. A wrong second factor is recorded as a failed login.
    pub fn unlock(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        user_name: &str,
        password: &Password,
        second_factor: &SecondFactor,
    ) -> Result<Clinic> {
        let started = std::time::Instant::now();
        super::lease::self_wipe_if_due(dir, secrets, clock.now().timestamp())?;
        let (mut clinic, opened) = Self::open_session(dir, secrets, clock, user_name, password)?;
        clinic.admit_by_lease(secrets)?;
        clinic.finish_login(secrets, second_factor, &opened)?;
        log_safe!(
            info,
            "unlocked",
            user = LoginName::of(&clinic.user),
            role = clinic.user.role,
            factor = factor_kind(second_factor),
            elapsed_ms = started.elapsed()
        );
        Ok(clinic)
    }

    /// Opens the store for the demo generator as one of the demo's own (clinical) users, without
    /// a second factor, so the history it writes is sealed under their clinical key. The login
    /// is audited as the generator's.
    pub(crate) fn open_for_generator(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        user_name: &str,
        password: &Password,
    ) -> Result<Clinic> {
        let (mut clinic, opened) = Self::open_session(dir, secrets, clock, user_name, password)?;
        let mut events = clinic.check_pins(&opened.pins)?;
        events.push(NewEvent::allowed(Action::Login, None, None).with_reason("demo generator"));
        clinic.record(events)?;
        clinic.take_up_section_keys()?;
        clinic.save_pins()?;
        Ok(clinic)
    }

    /// A session on the store opened with `user_name`'s password, before any second factor or
    /// login event; with what the user's entry held besides the keys.
    fn open_session(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        user_name: &str,
        password: &Password,
    ) -> Result<(Clinic, Opened)> {
        let mut opened = open_keys(dir, secrets, clock.now(), user_name, password)?;
        let keys = opened.keys.take().ok_or(Error::SessionLocked)?;
        let hlc = HlcClock::new(clock, changelog::last_stamp(keys.store.conn(), &opened.device_id)?);
        let clinic = Clinic::assemble(dir, &opened.device_id, opened.user.clone(), hlc, keys)?;
        Ok((clinic, opened))
    }

    /// This user's signing key, for the demo generator to sign the history it writes in their
    /// name (see [`Clinic::adopt_generator_signers`]).
    pub(crate) fn signing_key_for_generator(&self) -> Result<(String, ed25519_dalek::SigningKey)> {
        Ok((self.user.name.clone(), self.keys()?.user_key.signing_key()))
    }

    /// The demo generator's session signs clinical history in these demo users' names.
    pub(crate) fn adopt_generator_signers(&mut self, signers: Vec<(String, ed25519_dalek::SigningKey)>) {
        self.generator_signers.extend(signers);
    }

    /// Whether this session can sign a clinical change in `author`'s name.
    pub(crate) fn signs_as(&self, author: &str) -> bool {
        self.signing_key_of(author).is_ok()
    }

    /// Ends the session like [`Clinic::logout`] and gives its clock back for the next one.
    pub(crate) fn logout_keeping_clock(mut self) -> Result<Box<dyn Clock>> {
        self.record(vec![NewEvent::allowed(Action::Logout, None, None)])?;
        self.save_pins()?;
        self.keys = None;
        Ok(self.hlc.into_wall_clock())
    }

    /// Reopens a locked session for the same user: password and one-time code again.
    pub fn resume(
        &mut self,
        secrets: &dyn DeviceSecretStore,
        password: &Password,
        second_factor: &SecondFactor,
    ) -> Result<()> {
        let mut opened = open_keys(&self.dir, secrets, self.now(), &self.user.name, password)?;
        self.user = opened.user.clone();
        self.keys = opened.keys.take();
        if let Err(error) = self.admit_by_lease(secrets) {
            self.keys = None;
            return Err(error);
        }
        if let Err(error) = self.finish_login(secrets, second_factor, &opened) {
            self.keys = None;
            return Err(error);
        }
        self.idle.touch(self.now());
        let (user, role, factor) = (LoginName::of(&self.user), self.user.role, factor_kind(second_factor));
        log_safe!(info, "session resumed", user = user, role = role, factor = factor);
        Ok(())
    }

    pub(super) fn assemble(dir: &DataDir, device_id: &str, user: User, hlc: HlcClock, keys: Keys) -> Result<Clinic> {
        let timeout = super::idle::configured_timeout(keys.store.conn())?;
        let now = hlc.wall_clock().now();
        Ok(Clinic {
            dir: dir.clone(),
            device_id: device_id.to_string(),
            user,
            hlc,
            keys: Some(keys),
            idle: super::idle::IdleClock::new(timeout, now),
            grants: Vec::new(),
            tampering_found: Vec::new(),
            new_second_factor: None,
            kept_failures: Vec::new(),
            generator_signers: std::collections::BTreeMap::new(),
            clinic_wide: None,
        })
    }

    /// Checks the second factor, then records the login (with failures the guard kept and any
    /// tampering with what this user pinned), takes up the user's clinical keys and pins the
    /// chains' heads again.
    fn finish_login(
        &mut self,
        secrets: &dyn DeviceSecretStore,
        second_factor: &SecondFactor,
        opened: &Opened,
    ) -> Result<()> {
        let mut events = self.check_second_factor(secrets, second_factor)?;
        if opened.took_new_database_key {
            events.push(NewEvent::admin("took up the database key rotated since the last login"));
        }
        events.extend(self.check_pins(&opened.pins)?);
        events.push(NewEvent::allowed(Action::Login, None, None));
        self.record(events)?;
        self.forget_audited_failures(secrets)?;
        if self.user.role == crate::domain::Role::Admin {
            self.finish_pending_disables(&opened.pins.pending_disables)?;
        }
        self.take_up_section_keys()?;
        self.save_pins()
    }

    /// Opens the clinical keys wrapped to this user (only those matching an epoch a clinician
    /// signed; anything else is raised as an alert), then starts an epoch if none exists or one
    /// is due, and passes the keys on to confirmed clinicians waiting for them.
    pub(super) fn take_up_section_keys(&mut self) -> Result<()> {
        if !policy::holds_clinical_key(self.user.role) {
            // Someone who left the clinical roles keeps no clinical key (their entry drops its
            // copy at the next pin).
            self.keys.as_mut().ok_or(Error::SessionLocked)?.section = SectionKeys::default();
            return Ok(());
        }
        let keys = self.keys()?;
        let (mut held, mut alerts) =
            section_keys::load_section_keys(keys.store.conn(), &self.user.name, &keys.user_key, &keys.membership)?;
        // The keys kept in the user's own sealed entry count too (wraps in the database can be
        // deleted by anyone who opens it); each must match its epoch's signed commitment.
        for (epoch, key) in keys.section.iter() {
            let copy = Some(Key32::from_bytes(*key.expose()));
            section_keys::take_if_committed(&keys.membership, &self.user.name, epoch, copy, &mut held, &mut alerts);
        }
        if !alerts.is_empty() {
            self.record(alerts)?;
        }
        self.keys.as_mut().ok_or(Error::SessionLocked)?.section = held;
        self.share_section_keys()
    }

    /// Ends the session: records the logout; the keys are wiped as the session drops.
    pub fn logout(mut self) -> Result<()> {
        log_safe!(info, "logged out", user = LoginName::of(&self.user));
        self.record(vec![NewEvent::allowed(Action::Logout, None, None)])?;
        self.save_pins()
    }
}

/// What a password opens: the store (taken by the session), the user, the device id, and what
/// the user had pinned.
struct Opened {
    keys: Option<Keys>,
    user: User,
    device_id: String,
    pins: Pins,
    /// This login took up a database key rotated since the user's last one (audited).
    took_new_database_key: bool,
}

/// How a failed login with a name that is no account's is counted and audited: never as the
/// text typed (a password, a patient's name). Not a valid login name, so no account can be it.
pub const UNKNOWN_USER: &str = "(unknown user)";

/// Password and device secret → the open store, the user, the device id and what their entry
/// holds. The guard's check, the unwrap and a failure's count happen under the key file's lock,
/// so parallel guesses cannot lose a count.
fn open_keys(
    dir: &DataDir,
    secrets: &dyn DeviceSecretStore,
    now: chrono::DateTime<chrono::Utc>,
    user_name: &str,
    password: &Password,
) -> Result<Opened> {
    dir.check_initialized()?;
    let path = dir.key_file();
    let _lock = keyfile::lock(&path)?;
    let mut key_file = KeyFile::load(&path)?;
    let device_secret = load_required(secrets, &key_file.device_id, dir.root())?;
    let device_id = key_file.device_id.clone();
    let guard = LoginGuard::new(secrets, &device_id);
    // A name typed at login is kept — logged, counted, audited — only when it is an account's:
    // people type passwords there. Every other name is counted and audited as one unknown user.
    let known = key_file.has_user(user_name);
    let account = known.then(|| LoginName::listed(user_name));
    let counted_as = if known { user_name } else { UNKNOWN_USER };
    if let Err(error) = guard.check(counted_as, now) {
        log_safe!(warn, "login refused by the login guard", user = account, code = error);
        // No account to lock: a name that is none stays "wrong user name or password".
        return Err(if !known && matches!(error, Error::LockedOut) { Error::WrongPassword } else { error });
    }
    let opened = match key_file.open_taking_password_update(&path, user_name, password, &device_secret) {
        Err(Error::WrongPassword) => {
            log_safe!(warn, "login failed: wrong password or unknown user", known = known, user = account);
            guard.failed(counted_as, now, Some("wrong password"))?;
            return Err(Error::WrongPassword);
        }
        other => other?,
    };
    if opened.legacy {
        // A key file v1 entry becomes a sealed v2 entry with the same password and costs.
        key_file.reseal(user_name, &opened.kek, &opened.secrets)?;
        key_file.save(&path)?;
        log_safe!(info, "key-file entry upgraded to version 2", user = account);
    }
    let keyfile::Opened { kek, secrets: mut entry, .. } = opened;
    key_file.keep_secret_key_once(&path, user_name, &entry, &device_secret)?;
    let mut took_new_database_key = false;
    let store = match Store::open(&dir.database(), &entry.dek) {
        // The database key was rotated since this user's last login (someone was disabled).
        Err(Error::DatabaseKeyRejected) => {
            took_new_database_key = true;
            take_database_key_update(&mut key_file, &path, user_name, &kek, &mut entry)?
        }
        other => other?,
    };
    let EntrySecrets { dek, user_key, pins, clinical_keys, .. } = entry;
    // Who this is, with which role, comes from the signed chain, never from the users table.
    let (membership, user) =
        super::membership::verify_at_login(store.conn(), pins.chain.as_ref(), user_name, &user_key)?;
    if user.disabled {
        log_safe!(warn, "login refused: account disabled", user = LoginName::of(&user));
        return Err(Error::AccountDisabled);
    }
    let identity = DeviceIdentity::load_or_create(store.conn())?;
    let mut keys = Keys::new(store, dek, identity, user_key, membership);
    keys.kek = Some(kek);
    // Accepted at an earlier login; checked against the signed commitments when taken up.
    keys.section = clinical_keys;
    Ok(Opened { keys: Some(keys), user, device_id: key_file.device_id, pins, took_new_database_key })
}

/// Opens the database with the new key sealed to this user after a rotation, and re-seals their
/// entry with it (under the key file's lock, which the caller holds).
fn take_database_key_update(
    key_file: &mut KeyFile,
    path: &std::path::Path,
    user: &str,
    kek: &Key32,
    entry: &mut EntrySecrets,
) -> Result<Store> {
    let database = path.with_file_name(DataDir::DATABASE);
    let mut opened = None;
    for update in key_file.database_key_updates.iter().filter(|u| u.user == user) {
        let Some(dek) = section_key::unwrap_database_key(update, &key_file.device_id, &entry.user_key) else {
            continue;
        };
        if let Ok(store) = Store::open(&database, &dek) {
            opened = Some((store, dek));
            break;
        }
    }
    // Someone disabled here is told so, not to ask for the key again.
    let refused =
        if key_file.disabled.iter().any(|d| d == user) { Error::AccountDisabled } else { Error::DatabaseKeyChanged };
    let (store, dek) = opened.ok_or(refused)?;
    entry.dek = dek;
    key_file.reseal(user, kek, entry)?;
    key_file.database_key_updates.retain(|u| u.user != user);
    key_file.save(path)?;
    log_safe!(info, "rotated database key taken up", user = LoginName::listed(user));
    Ok(store)
}

/// Which kind of second factor was typed (never the code itself).
fn factor_kind(factor: &SecondFactor) -> &'static str {
    match factor {
        SecondFactor::Totp(_) => "totp",
        SecondFactor::RecoveryCode(_) => "recovery_code",
    }
}

/// The chain's first link, signed by the clinic root: the first user and their public keys.
fn first_link(root: &RootKey, first: &User, user_key: &UserKeyPair) -> Result<(Membership, Link)> {
    let statement = Statement::FirstUser {
        user: first.name.clone(),
        display_name: first.display_name.clone(),
        role: first.role,
        signing_key: user_key.signing_public(),
        x25519: user_key.public(),
    };
    let genesis = Link::sign(&root.public(), 1, &genesis_prev(&root.public()), statement, root.signer())?;
    let membership = Membership::verify(&root.public(), std::slice::from_ref(&genesis))?;
    Ok((membership, genesis))
}
