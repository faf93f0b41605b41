//! Creating a device store and unlocking it.

use std::fs;

use super::section_keys::{self, enroll_user_key};
use super::{Clinic, DataDir, Keys};
use crate::audit::{Action, DeviceIdentity, NewEvent};
use crate::auth::guard::LoginGuard;
use crate::auth::{self, Enrollment, SecondFactor};
use crate::changelog::{self, HlcClock, OpenBody};
use crate::clock::Clock;
use crate::domain::user::check_password_strength;
use crate::domain::{Role, User};
use crate::log::LoginName;
use crate::log_safe;
use crate::policy::{self, Access, Section};
use crate::secret::{Key32, Password};
use crate::store::Store;
use crate::vault::device_secret::load_required;
use crate::vault::keyfile;
use crate::vault::{DeviceSecretStore, EntrySecrets, KeyFile, Pins, UserKeyPair};
use crate::{fsutil, Error, Result};

impl Clinic {
    /// Creates a new encrypted store in `dir` with its first user. On any failure nothing is
    /// left behind: no files, no keyring entry.
    pub fn init(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        first: &User,
        password: &Password,
    ) -> Result<(Clinic, Enrollment)> {
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
    ) -> Result<(Clinic, Enrollment)> {
        let dek = Key32::random()?;
        let store = Store::create(&dir.database(), &dek)?;
        fsutil::restrict_to_owner(&dir.database(), 0o600)?;
        store.conn().execute(
            "INSERT INTO device (singleton, device_id, created_at) VALUES (1, ?1, ?2)",
            rusqlite::params![device_id, hlc.wall_clock().now().to_rfc3339()],
        )?;
        let identity = DeviceIdentity::load_or_create(store.conn())?;
        let entry_dek = Key32::from_bytes(*dek.expose());
        let mut clinic = Clinic::assemble(dir, device_id, first.clone(), hlc, Keys::new(store, dek, identity, None))?;
        let (enrollment, second_factor) = auth::enroll(&first.name)?;
        let secrets = EntrySecrets {
            dek: entry_dek,
            user_key: UserKeyPair::generate()?,
            second_factor: Some(second_factor),
            pins: Pins::default(),
        };
        clinic.add_first_user(first, &secrets.user_key)?;

        let mut key_file = KeyFile::new(device_id);
        let kek = key_file.add_user(&first.name, password, device_secret, &secrets)?;
        key_file.save(&dir.key_file())?;
        clinic.keys.as_mut().ok_or(Error::SessionLocked)?.kek = Some(kek);
        clinic.save_pins()?;
        Ok((clinic, enrollment))
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
        let keys = Keys::new(store, Key32::random()?, identity, None);
        let mut clinic = Clinic::assemble(dir, "baseline", first.clone(), hlc, keys)?;
        clinic.add_first_user(first, &UserKeyPair::generate()?)?;
        Ok(clinic)
    }

    /// Records the device's first user; a clinical first user starts the clinical key and keeps
    /// it in this, their own, session.
    fn add_first_user(&mut self, first: &User, pair: &UserKeyPair) -> Result<()> {
        let started = self.record_new_user(first, pair)?;
        self.keep_started_epoch(started);
        Ok(())
    }

    /// Records a new user and their public key in one transaction; returns the clinical key of
    /// an epoch started for them (the first clinical user).
    fn record_new_user(&mut self, user: &User, pair: &UserKeyPair) -> Result<Option<section_keys::Epoch>> {
        let now = self.now();
        self.commit_one_then(OpenBody::UserAdded(user.clone()), |tx| {
            Ok((enroll_user_key(tx, user, pair, now)?, Vec::new()))
        })
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
        let (mut clinic, opened) = Self::open_session(dir, secrets, clock, user_name, password)?;
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
        clinic.take_up_section_keys(&opened.pair)?;
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
        let hlc = HlcClock::new(clock, changelog::last_stamp(keys.store.conn())?);
        let clinic = Clinic::assemble(dir, &opened.device_id, opened.user.clone(), hlc, keys)?;
        Ok((clinic, opened))
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
        if let Err(error) = self.finish_login(secrets, second_factor, &opened) {
            self.keys = None;
            return Err(error);
        }
        self.idle.touch(self.now());
        let (user, role, factor) = (LoginName::of(&self.user), self.user.role, factor_kind(second_factor));
        log_safe!(info, "session resumed", user = user, role = role, factor = factor);
        Ok(())
    }

    fn assemble(dir: &DataDir, device_id: &str, user: User, hlc: HlcClock, keys: Keys) -> Result<Clinic> {
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
        })
    }

    /// Checks the second factor, then records the login (and failures the guard kept, and any
    /// tampering with what this user pinned), takes up the user's clinical keys and pins the
    /// audit head again.
    fn finish_login(&mut self, secrets: &dyn DeviceSecretStore, second_factor: &SecondFactor, opened: &Opened) -> Result<()> {
        let now = self.now();
        let user_name = self.user.name.clone();
        let path = self.dir.key_file();
        // An administrator's reset (or a v1 entry's factor) waits in the database until now.
        let stored = auth::take_stored(self.conn()?, &user_name)?;
        let took_stored = stored.is_some();
        let kek = self.keys()?.kek.as_ref().ok_or(Error::SessionLocked)?;
        // Code check, its use and the failure count under the key file's lock: two processes
        // cannot both accept one code, and parallel guesses cannot lose a count.
        let lock = keyfile::lock(&path)?;
        let guard = LoginGuard::new(secrets, &self.device_id);
        let mut key_file = KeyFile::load(&path)?;
        let mut entry = key_file.open_with_kek(&user_name, kek)?;
        let mut state = match stored {
            Some(state) => state,
            None => entry.second_factor.take().ok_or(Error::SecondFactorNotEnrolled)?,
        };
        if let Err(error) = auth::verify(&mut state, &user_name, second_factor, now) {
            log_safe!(warn, "login failed: second factor refused", user = LoginName::of(&self.user), code = error);
            guard.failed(&user_name, now, None)?;
            drop(lock);
            self.record(vec![NewEvent::failed_login(&user_name, "wrong one-time code")])?;
            return Err(error);
        }
        entry.second_factor = Some(state);
        key_file.reseal(&user_name, kek, &entry)?;
        key_file.save(&path)?;
        // Failures that happened while the database was closed are audited now.
        let mut events: Vec<NewEvent> = guard
            .succeeded(&user_name)?
            .into_iter()
            .map(|f| NewEvent::failed_login(&f.user, format!("{} at {}", f.reason, f.at.to_rfc3339())))
            .collect();
        drop(lock);
        events.extend(self.check_pins(&opened.pins)?);
        events.push(NewEvent::allowed(Action::Login, None, None));
        let name = user_name.clone();
        self.transact(true, |conn, _, _, _| {
            if took_stored {
                auth::forget_stored(conn, &name)?;
            }
            Ok(((), events))
        })?;
        self.take_up_section_keys(&opened.pair)?;
        self.save_pins()
    }

    /// Publishes the user's public key (a new key pair makes their old wraps useless), opens the
    /// clinical keys wrapped to them, and passes those keys on to clinical users waiting for them.
    fn take_up_section_keys(&mut self, pair: &UserKeyPair) -> Result<()> {
        let stored = section_keys::stored_public_key(self.conn()?, &self.user.name)?;
        if stored != Some(pair.public()) {
            let (name, public) = (self.user.name.clone(), pair.public());
            let reason = if stored.is_some() {
                "replaced own user key; earlier clinical key wraps dropped"
            } else {
                "published own user key"
            };
            self.transact(true, |conn, _, _, _| {
                section_keys::replace_public_key(conn, &name, &public)?;
                let event = NewEvent::admin(reason);
                Ok(((), vec![event]))
            })?;
        }
        if !policy::holds_clinical_key(self.user.role) {
            return Ok(());
        }
        let held = section_keys::load_section_keys(self.conn()?, &self.user.name, pair)?;
        self.keys.as_mut().ok_or(Error::SessionLocked)?.section = held;
        self.share_section_keys()
    }

    /// Ends the session: records the logout; the keys are wiped as the session drops.
    pub fn logout(mut self) -> Result<()> {
        log_safe!(info, "logged out", user = LoginName::of(&self.user));
        self.record(vec![NewEvent::allowed(Action::Logout, None, None)])?;
        self.save_pins()
    }

    /// Adds a user who can unlock this device with their own password and second factor; the
    /// returned enrollment is shown to them once.
    pub fn add_user(
        &mut self,
        secrets: &dyn DeviceSecretStore,
        user: &User,
        password: &Password,
    ) -> Result<Enrollment> {
        self.authorize(Section::Administration, Access::Write, None)?;
        check_password_strength(password.expose())?;
        if load_user(&self.keys()?.store, &user.name).is_ok() {
            return Err(Error::UserExists(user.name.clone()));
        }
        let path = self.dir.key_file();
        let (enrollment, second_factor) = auth::enroll(&user.name)?;
        let entry = EntrySecrets {
            dek: Key32::from_bytes(*self.keys()?.dek.expose()),
            user_key: UserKeyPair::generate()?,
            second_factor: Some(second_factor),
            pins: Pins::default(),
        };
        keyfile::update(&path, |key_file| {
            let device_secret = load_required(secrets, &key_file.device_id, self.dir.root())?;
            key_file.add_user(&user.name, password, &device_secret, &entry).map(drop)
        })?;
        // A clinical key started for this user is theirs alone: this (admin) session drops it.
        if let Err(error) = self.record_new_user(user, &entry.user_key) {
            keyfile::update(&path, |key_file| Ok(key_file.remove_user(&user.name)))?;
            return Err(error);
        }
        log_safe!(info, "user added", user = LoginName::of(user), role = user.role, by = LoginName::of(&self.user));
        Ok(enrollment)
    }

    /// Lifts a lockout after too many failed logins (admin only).
    pub fn unlock_account(&mut self, secrets: &dyn DeviceSecretStore, user_name: &str) -> Result<()> {
        self.authorize(Section::Administration, Access::Write, None)?;
        load_user(&self.keys()?.store, user_name)
            .map_err(|_| Error::NotFound { what: "user", id: user_name.to_string() })?;
        let lock = keyfile::lock(&self.dir.key_file())?;
        LoginGuard::new(secrets, &self.device_id).release(user_name)?;
        drop(lock);
        log_safe!(info, "account unlocked by an administrator", by = LoginName::of(&self.user));
        self.record(vec![NewEvent::admin(format!("unlocked the account of {user_name}"))])
    }

    /// A new second factor for a user who lost theirs (admin only); the old one stops working.
    pub fn reset_second_factor(&mut self, user_name: &str) -> Result<Enrollment> {
        self.authorize(Section::Administration, Access::Write, None)?;
        load_user(&self.keys()?.store, user_name)
            .map_err(|_| Error::NotFound { what: "user", id: user_name.to_string() })?;
        let (enrollment, state) = auth::enroll(user_name)?;
        log_safe!(info, "second factor reset", user = LoginName::listed(user_name), by = LoginName::of(&self.user));
        self.transact(true, |conn, _, _, _| {
            auth::store_reset(conn, user_name, &state)?;
            Ok(((), vec![NewEvent::admin(format!("reset the second factor of {user_name}"))]))
        })?;
        Ok(enrollment)
    }

    /// Re-wraps the database key under a new password; the database itself is not re-encrypted.
    pub fn change_password(&mut self, secrets: &dyn DeviceSecretStore, old: &Password, new: &Password) -> Result<()> {
        check_password_strength(new.expose())?;
        let path = self.dir.key_file();
        let user = self.user.name.clone();
        let root = self.dir.root().to_path_buf();
        let kek = keyfile::update(&path, |key_file| {
            let device_secret = load_required(secrets, &key_file.device_id, &root)?;
            let opened = key_file.open(&user, old, &device_secret)?;
            key_file.change_password(&user, new, &device_secret, &opened.secrets)
        })?;
        self.keys.as_mut().ok_or(Error::SessionLocked)?.kek = Some(kek);
        log_safe!(info, "password changed", user = LoginName::of(&self.user));
        self.record(vec![NewEvent::allowed(Action::Admin, None, None).with_reason("changed own password")])
    }
}

/// What a password opens: the store (taken by the session), the user, the device id, and what
/// the user's entry holds besides the keys: their key pair and their pins.
struct Opened {
    keys: Option<Keys>,
    user: User,
    device_id: String,
    pair: UserKeyPair,
    pins: Pins,
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
    let guard = LoginGuard::new(secrets, &key_file.device_id);
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
    let opened = match key_file.open(user_name, password, &device_secret) {
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
    let keyfile::Opened { kek, secrets: entry, .. } = opened;
    let EntrySecrets { dek, user_key: pair, pins, .. } = entry;
    let store = Store::open(&dir.database(), &dek)?;
    let user = load_user(&store, user_name)?;
    if user.disabled {
        log_safe!(warn, "login refused: account disabled", user = LoginName::of(&user));
        return Err(Error::AccountDisabled);
    }
    let identity = DeviceIdentity::load_or_create(store.conn())?;
    Ok(Opened { keys: Some(Keys::new(store, dek, identity, Some(kek))), user, device_id: key_file.device_id, pair, pins })
}

/// Which kind of second factor was typed (never the code itself).
fn factor_kind(factor: &SecondFactor) -> &'static str {
    match factor {
        SecondFactor::Totp(_) => "totp",
        SecondFactor::RecoveryCode(_) => "recovery_code",
    }
}

pub(super) fn load_user(store: &Store, name: &str) -> Result<User> {
    let found =
        store.conn().query_row("SELECT name, display_name, role, disabled FROM users WHERE name = ?1", [name], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, bool>(3)?))
        });
    match found {
        Ok((name, display_name, role, disabled)) => {
            let role = Role::parse(&role).map_err(|_| Error::InvalidState("a stored user has an unknown role"))?;
            Ok(User { name, display_name, role, disabled })
        }
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(Error::WrongPassword),
        Err(other) => Err(other.into()),
    }
}
