//! The one API every front end uses: set up a device, unlock it as a user, then read and write
//! the chart. Each write is one change, logged and applied in a single `BEGIN IMMEDIATE`
//! transaction.

mod access;
mod accounts;
pub mod alerts;
mod audit_lookup;
mod break_glass;
mod conflicts;
mod data_dir;
mod devices;
mod generated_audit;
mod idle;
mod invitations;
mod join;
mod join_code;
mod lease;
mod membership;
mod missing_records;
mod pins;
mod posture;
mod reads;
mod reception;
mod rekey;
mod revocation;
mod sealed_rows;
mod second_factor;
mod section_keys;
mod setup;
mod staff;
mod staff_records;
mod today;
mod users;
mod vault_records;
mod writes;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::TransactionBehavior;
use uuid::Uuid;

pub use audit_lookup::PatientAuditReport;
pub use break_glass::{BreakGlassGrant, GRANT_MINUTES};
pub use conflicts::{ConflictVersion, MergeConflict, PatientConflict};
pub use data_dir::DataDir;
pub use devices::{SyncKeys, USER_REQUEST_DOMAIN};
pub use idle::{valid_idle_timeout, DEFAULT_IDLE_MINUTES, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES};
pub use join::acceptance as join_acceptance;
pub use join_code::JoinCode;
pub use posture::{PostureDevice, PostureItem, Standing};
pub use reads::Chart;
pub use reception::Visit;
pub use section_keys::PendingRecipient;
pub use setup::UNKNOWN_USER;
pub use staff_records::{records_csv, ReviewKind, ReviewRecord, TrainingKind, TrainingRecord};
pub use vault_records::VaultRecordTaken;

use crate::audit::{self, Actor, DeviceIdentity, NewEvent};
use crate::chain::Membership;
use crate::changelog::{self, Authorship, Change, ChangeBody, HlcClock, RecordKeys};
use crate::domain::User;
use crate::secret::Key32;
use crate::store::Store;
use crate::vault::{SectionKeys, UserKeyPair};
use crate::Result;

/// Clinics keep Japan time; "today" at the front desk is today in JST.
pub fn japan_time() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// A session on this device, acting as one user. While locked it holds no key at all.
pub struct Clinic {
    dir: DataDir,
    device_id: String,
    user: User,
    hlc: HlcClock,
    keys: Option<Keys>,
    idle: idle::IdleClock,
    grants: Vec<BreakGlassGrant>,
    /// What the checks of this user's pins found at their login (shown to them; also audited).
    tampering_found: Vec<audit::PinBreak>,
    /// A second factor this user enrolled at this login by redeeming a reset code, to show them
    /// once.
    new_second_factor: Option<crate::auth::Enrollment>,
    /// Failed logins this login audits; the keyring forgets them once the audit is written.
    kept_failures: Vec<crate::auth::guard::FailedLogin>,
    /// The demo generator's only: the signing keys of the demo staff it writes history for,
    /// handed over from their own sessions. Empty in every other session.
    generator_signers: BTreeMap<String, SigningKey>,
    /// Other devices' audit events an administrator's device fetched and checked, for this
    /// session's clinic-wide scans.
    clinic_wide: Option<alerts::ClinicWide>,
}

/// What an unlocked session holds. Dropping it wipes the database key, closes the SQLCipher
/// connection (which wipes its own copy) and wipes the device's signing key, the user's KEK and
/// the clinical section keys.
struct Keys {
    store: Store,
    dek: Key32,
    /// The user's key-encryption key, to re-seal their key-file entry (new pins) at lock and
    /// logout without the password. `None` only for the benchmark's plain baseline.
    kek: Option<Key32>,
    /// The user's key seed: X25519 for the clinical key, Ed25519 for what they sign.
    user_key: UserKeyPair,
    /// The membership chain as verified at login and extended by this session.
    membership: Membership,
    identity: DeviceIdentity,
    /// The clinical section keys; empty unless a clinical user is logged in.
    section: SectionKeys,
    /// Whether commits are currently flushed one by one (see `audited`).
    full_sync: bool,
}

impl Keys {
    /// What opening a sealed record needs: the section keys and the chain's signing keys.
    fn record_keys(&self) -> RecordKeys<'_> {
        RecordKeys { section: &self.section, authors: &self.membership }
    }

    fn new(store: Store, dek: Key32, identity: DeviceIdentity, user_key: UserKeyPair, membership: Membership) -> Self {
        // Store::open leaves synchronous = FULL.
        Self { store, dek, kek: None, user_key, membership, identity, section: SectionKeys::default(), full_sync: true }
    }

    /// Sets how commits reach the disk, issuing the pragma only when it changes.
    fn sync(&mut self, full: bool) -> crate::Result<()> {
        if self.full_sync != full {
            self.store.conn().execute_batch(if full {
                "PRAGMA synchronous = FULL"
            } else {
                "PRAGMA synchronous = NORMAL"
            })?;
            self.full_sync = full;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Clinic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clinic").field("user", &self.user.name).field("device", &self.device_id).finish_non_exhaustive()
    }
}

impl Clinic {
    /// The key that signs `author`'s clinical changes: this user's own; the demo generator also
    /// holds its staff's. A change in anyone else's name is refused.
    fn signing_key_of(&self, author: &str) -> crate::Result<SigningKey> {
        if author == self.user.name {
            return Ok(self.keys()?.user_key.signing_key());
        }
        self.generator_signers
            .get(author)
            .cloned()
            .ok_or(crate::Error::InvalidState("a change can be signed only by its own author"))
    }

    fn keys(&self) -> crate::Result<&Keys> {
        self.keys.as_ref().ok_or(crate::Error::SessionLocked)
    }

    /// The open connection; an error while the session is locked.
    fn conn(&self) -> crate::Result<&rusqlite::Connection> {
        Ok(self.keys()?.store.conn())
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.hlc.wall_clock().now()
    }

    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&japan_time()).date_naive()
    }

    /// A new record id: UUIDv7 at the injected clock's time.
    pub fn new_id(&self) -> Result<Uuid> {
        let mut random = [0u8; 10];
        crate::secret::fill_random(&mut random)?;
        let millis = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        Ok(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }

    /// Appends and applies one change by the current user with its audit event, in one
    /// transaction.
    pub(crate) fn commit(&mut self, body: impl Into<ChangeBody>) -> Result<()> {
        self.commit_one_then(body, |_| Ok(((), Vec::new())))
    }

    /// Appends and applies one change by the current user with its audit event, and runs `then`
    /// (key bookkeeping) in the same transaction.
    pub(crate) fn commit_one_then<T>(
        &mut self,
        body: impl Into<ChangeBody>,
        then: impl FnOnce(&rusqlite::Connection) -> Result<(T, Vec<NewEvent>)>,
    ) -> Result<T> {
        let body = body.into();
        let events = vec![access::audit_of(&body)];
        let author = self.user.name.clone();
        self.commit_then(vec![(author, body)], events, then)
    }

    /// Appends and applies changes, each with its own author (the demo clinic's staff), and
    /// appends `events` to the audit chain, in one transaction.
    pub(crate) fn commit_as(&mut self, bodies: Vec<(String, ChangeBody)>, events: Vec<NewEvent>) -> Result<()> {
        self.commit_then(bodies, events, |_| Ok(((), Vec::new())))
    }

    /// Like [`Clinic::commit_as`], and runs `then` in the same transaction (key bookkeeping that
    /// must land together with the change), adding the events it returns. Clinical bodies are
    /// sealed before anything is written: the log takes only open or sealed bodies.
    pub(crate) fn commit_then<T>(
        &mut self,
        bodies: Vec<(String, ChangeBody)>,
        mut events: Vec<NewEvent>,
        then: impl FnOnce(&rusqlite::Connection) -> Result<(T, Vec<NewEvent>)>,
    ) -> Result<T> {
        // Every change names the chain head it was written at, judged there by every replica: the
        // head is read again first (a link another process added — a role taken — counts now),
        // and a clinical session open when a colleague left the clinical roles starts the new
        // epoch before it seals anything more under the old one.
        self.refresh_membership_if_grown()?;
        let seals = bodies.iter().any(|(_, body)| matches!(body, ChangeBody::Clinical(_)));
        if seals {
            self.refresh_membership()?;
        }
        if seals && !self.keys()?.section.is_empty() && self.keys()?.membership.rotation_due() {
            self.share_section_keys()?;
        }
        // Each change gets its stamp and id first: its sealed record names and signs them.
        let mut changes = Vec::with_capacity(bodies.len());
        for (author, body) in bodies {
            let hlc = self.hlc.tick();
            let id = changelog::new_change_id(hlc)?;
            // Every change is signed by its author, clinical or not: it travels to other devices.
            let signing_key = self.signing_key_of(&author)?;
            let body = match body {
                ChangeBody::Open(open) => open.into(),
                ChangeBody::Clinical(clinical) => {
                    let by = Authorship { change_id: id, author: &author, signing_key: &signing_key };
                    clinical.seal(&self.keys()?.section, &by)?.into()
                }
            };
            let membership = &self.keys()?.membership;
            let chain_seq = membership.head().0;
            // What no replica would accept is refused here, before anything is written.
            if !changelog::merge::may_write(membership, &author, chain_seq, &body) {
                return Err(crate::Error::Denied { section: changelog::merge::section_name(&body), access: "write" });
            }
            let change =
                Change { id, hlc, author, device: self.device_id.clone(), chain_seq, replaces: Vec::new(), body };
            changes.push((change, signing_key));
        }
        access::name_changes_in_events(changes.iter().map(|(change, _)| change), &mut events);
        let (started, count) = (std::time::Instant::now(), changes.len());
        // Every change is flushed to disk when it commits (see `audited` for reads).
        // (Nothing to name when only audit events are written: a demo of exactly 250 patients.)
        let named = changes.iter().map(|(change, _)| change.chain_seq).max();
        let value = self.transact(true, |tx, _| {
            // A link another process committed since the chain was read would make these changes
            // name an older link than one this device may already have sealed: refused, to save
            // again (nothing is written).
            let stored: i64 = tx.query_row("SELECT count(*) FROM membership_links", [], |row| row.get(0))?;
            if named.is_some_and(|named| u64::try_from(stored).unwrap_or(0) > named) {
                return Err(crate::Error::InvalidState("the clinic's membership changed while saving; save again"));
            }
            for (change, signing_key) in changes {
                changelog::record_local(tx, change, &signing_key)?;
            }
            let (value, more) = then(tx)?;
            events.extend(more);
            Ok((value, events))
        })?;
        crate::log_safe!(info, "changes committed", changes = count, elapsed_ms = started.elapsed());
        // Counted at once, for a wipe's report should the app never log out (recounted exactly at
        // every login, lock and logout).
        if crate::lost_device::add_own_changes(&self.dir, count as u64).is_err() {
            crate::log_safe!(warn, "the count of own changes could not be kept");
        }
        Ok(value)
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction and appends the audit events it returns
    /// before committing; `durable` flushes the commit to disk.
    fn transact<T>(
        &mut self,
        durable: bool,
        work: impl FnOnce(&rusqlite::Connection, RecordKeys<'_>) -> Result<(T, Vec<NewEvent>)>,
    ) -> Result<T> {
        let now = self.now();
        let keys = self.keys.as_mut().ok_or(crate::Error::SessionLocked)?;
        keys.sync(durable)?;
        let tx = keys.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let record_keys = RecordKeys { section: &keys.section, authors: &keys.membership };
        let (value, events) = work(&tx, record_keys)?;
        let actor = Actor { user: &self.user.name, role: self.user.role, device: &self.device_id };
        audit::append(&tx, keys.identity.signer(), &actor, now, events)?;
        tx.commit()?;
        Ok(value)
    }
}
