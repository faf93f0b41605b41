//! Attack stories against sync (issue 10 review): a compromised clinic server or whoever holds its
//! database, an insider on an enrolled device (her own login, the device's keyring, raw SQL on the
//! chart database her password opens, her own user key), and a stranger on the clinic LAN.
//!
//! The clinic here is built from a real membership chain (root, admin, receptionist, doctor, three
//! enrolled devices, a clinic data key epoch), followed by a real `ClinicServer` over SQLite, and
//! replicas that sync with the real engine. Every test asserts the *secure* behaviour: a test that
//! fails shows a break (see /work/notes/issue10-review-sync.md).

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use chrono::NaiveDate;
use ed25519_dalek::{Signer, SigningKey};
use mamori_core::chain::{data_key_commitment, Link, Membership, Statement};
use mamori_core::domain::{Appointment, AppointmentInput, Patient, Role};
use mamori_core::replication::{self, SignedChange};
use mamori_core::secret::Key32;
use mamori_core::OpenBody;
use mamori_server::direct::Direct;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_story_tests::patient;
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{
    genesis_prev, ChainLinks, DataKey, Envelope, Hash32, Header, PullRequest, PullResponse, PushRequest, PushResponse,
    ServerState,
};
use mamori_sync::{DeviceIdentity, Engine, RoundReport, Settings, Transport};
use rusqlite::{params, Connection};
use uuid::Uuid;

const CDK: [u8; 32] = [0x3C; 32];
const T0: i64 = 1_796_000_000_000;

fn key(tag: &str) -> SigningKey {
    let mut seed = [0x11u8; 32];
    seed[..tag.len()].copy_from_slice(tag.as_bytes());
    SigningKey::from_bytes(&seed)
}

fn x25519(tag: &str) -> [u8; 32] {
    let mut bytes = [0x77u8; 32];
    bytes[..tag.len()].copy_from_slice(tag.as_bytes());
    bytes
}

fn cdk() -> DataKey {
    DataKey { epoch: 1, key: Key32::from_bytes(CDK) }
}

/// The clinic as its membership chain says, built link by link with the real chain code.
struct Chain {
    root: SigningKey,
    links: Vec<Link>,
    membership: Membership,
}

impl Chain {
    /// Root → admin; admin invites reception and doctor (who accept); enrolls desk, laptop and
    /// tablet (each accepts with its own device key); starts clinic data key epoch 1.
    fn clinic() -> Self {
        let root = key("root");
        let root_pub = root.verifying_key().to_bytes();
        let first = Link::sign(
            &root_pub,
            1,
            &mamori_core::chain::genesis_prev(&root_pub),
            Statement::FirstUser {
                user: "admin".into(),
                display_name: "管理 一郎".into(),
                role: Role::Admin,
                signing_key: key("admin").verifying_key().to_bytes(),
                x25519: x25519("admin"),
            },
            &root,
        )
        .expect("first link");
        let membership = Membership::verify(&root_pub, std::slice::from_ref(&first)).expect("verifies");
        let mut chain = Self { root, links: vec![first], membership };
        chain.add_user("reception", Role::Reception, "reception");
        chain.add_user("doctor", Role::Doctor, "doctor");
        for device in ["desk", "laptop", "tablet"] {
            chain.enroll(device);
        }
        chain.sign(
            Statement::DataKeyEpoch { epoch: 1, commitment: data_key_commitment(1, &Key32::from_bytes(CDK)) },
            &key("admin"),
        );
        chain
    }

    fn root_pub(&self) -> Hash32 {
        self.root.verifying_key().to_bytes()
    }

    fn sign(&mut self, statement: Statement, signer: &SigningKey) {
        let (seq, prev) = self.membership.head();
        let link = Link::sign(&self.root_pub(), seq + 1, &prev, statement, signer).expect("signed");
        self.membership.apply(&link).expect("the link verifies");
        self.links.push(link);
    }

    /// The admin invites `user`, who accepts with the key `key(key_tag)`.
    fn add_user(&mut self, user: &str, role: Role, key_tag: &str) {
        let code = key(&format!("code-{key_tag}"));
        let invite = Statement::InviteUser {
            user: user.into(),
            display_name: user.into(),
            role,
            invite_key: code.verifying_key().to_bytes(),
        };
        self.sign(invite, &key("admin"));
        let accept = Statement::AcceptInvitation {
            user: user.into(),
            signing_key: key(key_tag).verifying_key().to_bytes(),
            x25519: x25519(key_tag),
        };
        self.sign(accept, &code);
    }

    fn enroll(&mut self, device: &str) {
        let code = key(&format!("enroll-{device}"));
        let invite = Statement::InviteDevice {
            device: device.into(),
            roles: vec![Role::Reception, Role::Doctor, Role::Admin],
            invite_key: code.verifying_key().to_bytes(),
            vouches_history: false,
        };
        self.sign(invite, &key("admin"));
        let accept = Statement::AcceptDevice {
            device: device.into(),
            signing_key: key(&format!("dev-{device}")).verifying_key().to_bytes(),
            x25519: x25519(&format!("dev-{device}")),
        };
        self.sign(accept, &code);
    }

    fn links_from(&self, first: u64) -> ChainLinks {
        ChainLinks {
            first,
            links: self.links[usize::try_from(first - 1).expect("seq")..]
                .iter()
                .map(|l| (l.body.clone(), l.signature.clone()))
                .collect(),
        }
    }
}

/// A server following the chain (as `mamori server run` does), its database file, and replicas.
struct Clinic {
    chain: Chain,
    server: Arc<ClinicServer<SqliteStorage>>,
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    /// Links the server has been given so far.
    given: u64,
}

struct Replica {
    conn: Connection,
    me: DeviceIdentity,
}

impl Clinic {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let chain = Chain::clinic();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let server_db = dir.path().join("server.db");
        let storage = SqliteStorage::open(&server_db).expect("server db");
        let server = runtime.block_on(ClinicServer::following_chain(storage, chain.root_pub())).expect("server");
        let mut clinic = Self { chain, server: Arc::new(server), runtime, dir, given: 0 };
        clinic.give_chain();
        clinic
    }

    /// The server takes every link it lacks (as the first device's sync gives them).
    fn give_chain(&mut self) {
        let offered = self.chain.links_from(self.given + 1);
        if offered.links.is_empty() {
            return;
        }
        let outcome = self.runtime.block_on(self.server.append_chain(offered)).expect("append");
        assert_eq!(outcome, mamori_server::ChainOutcome::Stored);
        self.given = self.chain.links.len() as u64;
    }

    fn replica(&self, device: &str) -> Replica {
        let mut conn = Connection::open(self.dir.path().join(format!("{device}.db"))).expect("open");
        replication::testing::migrate(&mut conn).expect("migrate");
        mamori_sync::local::prepare(&conn).expect("sync tables");
        let me = DeviceIdentity {
            clinic: self.chain.root_pub(),
            device: device.into(),
            signing_key: key(&format!("dev-{device}")),
            data_keys: vec![cdk()],
        };
        Replica { conn, me }
    }

    fn direct(&self, device: &str) -> Direct<SqliteStorage> {
        Direct { server: Arc::clone(&self.server), device: device.into() }
    }

    /// One sync round of `replica`, with the chain `membership` it holds.
    fn round_with(&self, replica: &mut Replica, membership: &Membership) -> mamori_sync::Result<RoundReport> {
        self.round_over(self.direct(&replica.me.device), replica, membership)
    }

    fn round(&self, replica: &mut Replica) -> mamori_sync::Result<RoundReport> {
        self.round_with(replica, &self.chain.membership)
    }

    fn round_over<T: Transport>(
        &self,
        transport: T,
        replica: &mut Replica,
        membership: &Membership,
    ) -> mamori_sync::Result<RoundReport> {
        let engine = Engine { transport, me: &replica.me, directory: membership, settings: Settings::default() };
        self.runtime.block_on(engine.round(&mut replica.conn, &mut |_, _| {}))
    }

    fn server_frontier(&self, device: &str) -> u64 {
        self.runtime.block_on(self.server.state()).expect("state").frontier.seq(device)
    }
}

fn a_patient(id: u128, chart_no: &str, family: &str, phone: &str) -> Patient {
    let input = patient(chart_no, (family, "花子"), ("ヤマダ", "ハナコ"), "1980-05-06", phone);
    Patient::build(Uuid::from_u128(id), &input, NaiveDate::from_ymd_opt(2026, 11, 29).expect("date"))
        .expect("valid patient")
}

fn an_appointment(id: u128, purpose: &str) -> OpenBody {
    let at = chrono::DateTime::from_timestamp_millis(T0 + 86_400_000).expect("time");
    let input = AppointmentInput { scheduled_at: at, purpose: purpose.into(), ..AppointmentInput::default() };
    OpenBody::AppointmentSaved(Appointment::build(Uuid::from_u128(id), Uuid::from_u128(0xB0), &input).expect("valid"))
}

/// An honest write on `replica` by `author` at the chain's head: signed, taken into the replica's
/// own log through the one door (`VerifiedChange::check` + `import`), and sealed as the device's
/// next envelope, as a session and `seal_pending` would.
fn write(clinic: &Clinic, replica: &mut Replica, author: &str, wall: i64, body: OpenBody) -> SignedChange {
    let head = clinic.chain.membership.head().0;
    let change = craft(Uuid::now_v7(), wall, &[], author, &replica.me.device, head, &body, &key(author));
    let verified = replication::VerifiedChange::check(change.clone(), &clinic.chain.membership).expect("verifies");
    replication::import(&replica.conn, &verified).expect("imported");
    plant(replica, &change, &cdk(), head);
    change
}

/// A change as the insider crafts it: every field hers to choose (the signed change format is
/// documented in `changelog/signed.rs`: in the working tree it names the chain head the author
/// held, after the device), signed with `signer`.
#[allow(clippy::too_many_arguments)]
fn craft(
    id: Uuid,
    wall: i64,
    replaces: &[Uuid],
    author: &str,
    device: &str,
    chain_seq: u64,
    body: &OpenBody,
    signer: &SigningKey,
) -> SignedChange {
    let mut bytes = vec![0x01];
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(&wall.to_be_bytes());
    bytes.extend_from_slice(&0u32.to_be_bytes());
    bytes.push(u8::try_from(replaces.len()).expect("few"));
    for replaced in replaces {
        bytes.extend_from_slice(replaced.as_bytes());
    }
    for name in [author, device] {
        bytes.push(u8::try_from(name.len()).expect("short"));
        bytes.extend_from_slice(name.as_bytes());
    }
    bytes.extend_from_slice(&chain_seq.to_be_bytes());
    bytes.push(0);
    let json = serde_json::to_vec(body).expect("json");
    bytes.extend_from_slice(&u32::try_from(json.len()).expect("small").to_be_bytes());
    bytes.extend_from_slice(&json);
    let mut message = b"mamori-change-v1/sign\0".to_vec();
    message.extend_from_slice(&bytes);
    SignedChange::from_parts(bytes, &signer.sign(&message).to_bytes()).expect("readable")
}

/// The insider puts an envelope into her device's outbox with raw SQL (`sync_envelopes`), sealed
/// under `data_key` and signed with the device key from the OS keyring; her device's next round
/// pushes it like any other.
fn plant(replica: &Replica, change: &SignedChange, data_key: &DataKey, chain_seq: u64) -> Envelope {
    let envelope = seal_next(replica, change, data_key, chain_seq);
    replica
        .conn
        .execute(
            "INSERT INTO sync_envelopes (device, seq, hash, change_id, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                replica.me.device,
                i64::try_from(envelope.header().seq).expect("seq"),
                &envelope.hash()[..],
                change.id().to_string(),
                envelope.bytes()
            ],
        )
        .expect("planted");
    envelope
}

fn seal_next(replica: &Replica, change: &SignedChange, data_key: &DataKey, chain_seq: u64) -> Envelope {
    let last = mamori_sync::local::frontier(&replica.conn).expect("frontier").get(&replica.me.device).copied();
    let header = Header {
        clinic: replica.me.clinic,
        device: replica.me.device.clone(),
        seq: last.map_or(1, |p| p.seq + 1),
        prev: last.map_or_else(|| genesis_prev(&replica.me.clinic, &replica.me.device), |p| p.hash),
        cdk_epoch: data_key.epoch,
        chain_seq,
        nonce: [0; 24],
    };
    Envelope::seal(header, change, data_key, &replica.me.signing_key).expect("sealed")
}

fn digest(replica: &Replica) -> String {
    replication::state_digest(&replica.conn).expect("digest")
}

fn patient_phone(replica: &Replica, id: u128) -> Option<String> {
    replica
        .conn
        .query_row("SELECT body FROM patients WHERE id = ?1", [Uuid::from_u128(id).to_string()], |row| {
            row.get::<_, String>(0)
        })
        .ok()
        .map(|body| serde_json::from_str::<Patient>(&body).expect("patient").phone.unwrap_or_default())
}

fn holds_change(replica: &Replica, id: Uuid) -> bool {
    replica
        .conn
        .query_row("SELECT count(*) FROM changes WHERE id = ?1", [id.to_string()], |row| row.get::<_, i64>(0))
        .expect("count")
        == 1
}

// ---------------------------------------------------------------------------------------------
// (b) The insider on an enrolled device
// ---------------------------------------------------------------------------------------------

/// BREAK (availability, every replica): the receptionist adds a row to `data_keys` with raw SQL
/// (or seals with a key of her own, or reuses a colleague's change id, at once or naming the next
/// chain link so that it only goes off when the chain moves): the envelope verifies at the server
/// (her device's key signed it) and is stored, and from then on every other replica's round
/// fails on it — round after round — so none of them receives anything, and none of them sends
/// its own changes either (a round pulls before it pushes).
#[test]
fn one_poisoned_envelope_does_not_stop_other_replicas_syncing() {
    let broken: Vec<String> = [
        "an epoch nobody holds",
        "a key of her own",
        "a colleague's change id",
        "a colleague's change id, naming the next link",
    ]
    .into_iter()
    .filter_map(|poison| poisoned(poison).err().map(|why| format!("{poison}: {why}")))
    .collect();
    assert!(broken.is_empty(), "{broken:#?}");
}

fn poisoned(poison: &str) -> Result<(), String> {
    let mut clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let doctors = write(&clinic, &mut laptop, "doctor", T0, an_appointment(0xA1, "再診"));
    clinic.round(&mut laptop).expect("the laptop syncs");

    let theirs = match poison {
        "an epoch nobody holds" => DataKey { epoch: 99, key: Key32::from_bytes([0x99; 32]) },
        "a key of her own" => DataKey { epoch: 1, key: Key32::from_bytes([0x98; 32]) },
        _ => cdk(),
    };
    let id = if poison.starts_with("a colleague's change id") { doctors.id() } else { Uuid::now_v7() };
    let head = clinic.chain.membership.head().0;
    let named = if poison.ends_with("naming the next link") { head + 1 } else { head };
    let change = craft(id, T0 + 1, &[], "reception", "desk", named, &an_appointment(0xA2, "受付"), &key("reception"));
    plant(&desk, &change, &theirs, head);
    let pushed = clinic.round(&mut desk).expect("the desk syncs");
    assert_eq!(pushed.pushed, 1, "the server stores the poisoned envelope ({poison})");
    clinic.round(&mut laptop).map_err(|e| format!("the laptop's next round: {e}"))?;
    // The clinic works on: the admin changes a setting (a link), the doctor writes and syncs.
    clinic.chain.sign(Statement::SetRole { user: "reception".into(), role: Role::Reception }, &key("admin"));
    clinic.give_chain();
    let later = write(&clinic, &mut laptop, "doctor", T0 + 5, an_appointment(0xA3, "検査結果説明"));
    clinic.round(&mut laptop).map_err(|e| format!("the laptop's round after the chain moved: {e}"))?;
    let mut tablet = clinic.replica("tablet");
    clinic.round(&mut tablet).map_err(|e| format!("a new device's first round: {e}"))?;
    if !holds_change(&tablet, later.id()) {
        return Err("the doctor's later change does not reach the tablet".into());
    }
    Ok(())
}

/// BREAK (integrity: replicas with the same changes differ): the receptionist signs, with her own
/// key, a patient update that names *itself* among the changes it replaces (a cycle of two of
/// her changes does the same). The record then has no head: a replica that held the doctor's
/// registration first keeps it in state, one that received her change first never shows the
/// patient at all, and `store rebuild` drops the patient everywhere.
#[test]
fn a_change_naming_itself_as_replaced_does_not_make_replicas_differ() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let registered = a_patient(0x50, "000050", "山田", "03-1111-2222");
    let doctors = write(&clinic, &mut laptop, "doctor", T0, OpenBody::PatientRegistered(registered.clone()));
    clinic.round(&mut laptop).expect("the laptop syncs");
    clinic.round(&mut desk).expect("the desk syncs");

    let own = Uuid::now_v7();
    let edited = Patient { phone: Some("03-9999-0000".into()), ..registered };
    let change = craft(
        own,
        T0 + 10,
        &[doctors.id(), own],
        "reception",
        "desk",
        clinic.chain.membership.head().0,
        &OpenBody::PatientUpdated(edited),
        &key("reception"),
    );
    plant(&desk, &change, &cdk(), clinic.chain.membership.head().0);
    clinic.round(&mut desk).expect("the desk pushes it");

    clinic.round(&mut laptop).expect("the laptop pulls it");
    let mut tablet = clinic.replica("tablet");
    clinic.round(&mut tablet).expect("a new device pulls everything");
    assert!(holds_change(&laptop, own) && holds_change(&tablet, own), "both hold the same changes");
    let (on_laptop, on_tablet) = (patient_phone(&laptop, 0x50), patient_phone(&tablet, 0x50));
    assert_eq!(
        (digest(&laptop) == digest(&tablet), on_tablet.is_some()),
        (true, true),
        "the laptop shows the patient with phone {on_laptop:?}, the tablet {on_tablet:?}"
    );
}

/// BREAK (availability, honest path): the desk and the home-visit laptop, both offline, each
/// register a new patient with the next free chart number (`next_chart_no` is max + 1 on each
/// device). `patients.chart_no` is UNIQUE, so the second registration cannot be applied anywhere:
/// every replica that pulls both stops syncing for good. A receptionist can do it on purpose
/// with the app alone.
#[test]
fn two_devices_giving_the_same_chart_number_offline_do_not_stop_sync() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    write(
        &clinic,
        &mut desk,
        "reception",
        T0,
        OpenBody::PatientRegistered(a_patient(0x61, "000061", "佐藤", "03-1234-0001")),
    );
    write(
        &clinic,
        &mut laptop,
        "doctor",
        T0 + 1,
        OpenBody::PatientRegistered(a_patient(0x62, "000061", "田中", "03-1234-0002")),
    );
    clinic.round(&mut desk).expect("the desk syncs");
    let laptop_round = clinic.round(&mut laptop);
    let desk_round = clinic.round(&mut desk);
    assert!(
        laptop_round.is_ok() && desk_round.is_ok(),
        "laptop: {:?}; desk: {:?}",
        laptop_round.err(),
        desk_round.err()
    );
    assert_eq!(digest(&desk), digest(&laptop));
}

/// HOLDS: what the receptionist plants with her own key and the desk's device key is held (its
/// place counts) but set aside on every other replica, and the rest of the page applies: a
/// change in the doctor's name, one claiming another device inside the desk's envelope, and a
/// setting (administrators only).
#[test]
fn changes_forged_in_others_names_or_beyond_her_role_are_set_aside() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let head = clinic.chain.membership.head().0;
    let reception = key("reception");
    let body = OpenBody::PatientRegistered(a_patient(0x70, "000070", "偽造", "03-0000-0070"));
    let forged = [
        craft(Uuid::now_v7(), T0, &[], "doctor", "desk", head, &body, &reception),
        craft(Uuid::now_v7(), T0 + 1, &[], "reception", "laptop", head, &body, &reception),
        craft(
            Uuid::now_v7(),
            T0 + 2,
            &[],
            "reception",
            "desk",
            head,
            &OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "9999".into() },
            &reception,
        ),
    ];
    for change in &forged {
        plant(&desk, change, &cdk(), head);
    }
    let honest =
        craft(Uuid::now_v7(), T0 + 3, &[], "reception", "desk", head, &an_appointment(0x71, "受付"), &reception);
    plant(&desk, &honest, &cdk(), head);
    assert_eq!(clinic.round(&mut desk).expect("pushed").pushed, 4);

    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert_eq!((pulled.held, pulled.applied, pulled.set_aside), (4, 1, 3));
    assert!(forged.iter().all(|c| !holds_change(&laptop, c.id())) && holds_change(&laptop, honest.id()));
}

/// BREAK (authority): the admin disables the receptionist. She kept her user key (it was in her
/// own sealed entry) and the desk's device key and clinic data key (the OS keyring, and the
/// `data_keys` table she could read before). A patient update she signs afterwards is applied by
/// every replica: a change is checked against roles she has *ever* held, never against the
/// chain position it was written at (and that position is only in the device-signed header,
/// which she also signs).
#[test]
fn a_disabled_receptionists_later_changes_are_not_applied() {
    let mut clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    clinic.chain.sign(Statement::SetDisabled { user: "reception".into(), disabled: true }, &key("admin"));
    clinic.give_chain();
    let body = OpenBody::PatientRegistered(a_patient(0x80, "000080", "解雇後", "03-0000-0080"));
    let change =
        craft(Uuid::now_v7(), T0, &[], "reception", "desk", clinic.chain.membership.head().0, &body, &key("reception"));
    plant(&desk, &change, &cdk(), clinic.chain.membership.head().0);
    clinic.round(&mut desk).expect("pushed");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(!holds_change(&laptop, change.id()), "applied on the laptop: {pulled:?}");
}

/// BREAK (authority): the receptionist's user key leaked, so the admin invited her again and she
/// accepted with a new key. The old key still writes patients on every replica
/// (`former_signing_keys` count for every change, whenever it was written).
#[test]
fn a_replaced_user_key_no_longer_writes() {
    let mut clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    clinic.chain.add_user("reception", Role::Reception, "reception-2");
    clinic.give_chain();
    let body = OpenBody::PatientRegistered(a_patient(0x81, "000081", "漏洩鍵", "03-0000-0081"));
    let change =
        craft(Uuid::now_v7(), T0, &[], "reception", "desk", clinic.chain.membership.head().0, &body, &key("reception"));
    plant(&desk, &change, &cdk(), clinic.chain.membership.head().0);
    clinic.round(&mut desk).expect("pushed");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(!holds_change(&laptop, change.id()), "the leaked key's change was applied: {pulled:?}");
}

// ---------------------------------------------------------------------------------------------
// (a) The server, or whoever holds its database
// ---------------------------------------------------------------------------------------------

/// BREAK (integrity, also an honest race): a new receptionist joins; her change reaches the
/// tablet before the link that adds her (a server serving the tablet a shorter chain, or her
/// link and change arriving between the tablet's chain request and its pull). The tablet sets
/// the change aside, and never applies it once it holds the link: the tablet and the desk hold
/// the same envelopes and show different charts, for good.
#[test]
fn a_change_set_aside_for_a_missing_link_is_applied_once_the_link_arrives() {
    let mut clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut tablet = clinic.replica("tablet");
    let before = clinic.chain.membership.clone();
    clinic.chain.add_user("reception2", Role::Reception, "reception2");
    clinic.give_chain();
    let hers = write(&clinic, &mut desk, "reception2", T0, an_appointment(0xC1, "初診"));
    clinic.round(&mut desk).expect("the desk syncs");

    let withheld = clinic.round_with(&mut tablet, &before).expect("the tablet syncs on a withheld chain");
    assert_eq!(withheld.pulled.set_aside, 1);
    // The tablet now holds the whole chain and syncs again, twice.
    clinic.round(&mut tablet).expect("again");
    clinic.round(&mut tablet).expect("and again");
    assert!(holds_change(&tablet, hers.id()), "her change stays set aside on the tablet");
    assert_eq!(digest(&tablet), digest(&desk), "the tablet's chart differs from the desk's");
}

/// A transport that passes everything to the real server but says the server holds `extra`
/// more of `device`'s envelopes than it does.
struct Lying<T> {
    inner: T,
    device: String,
    extra: u64,
}

impl<T> Lying<T> {
    fn lie(&self, mut state: ServerState) -> ServerState {
        let position = state
            .frontier
            .0
            .entry(self.device.clone())
            .or_insert(mamori_sync::wire::Position { seq: 0, hash: [0; 32] });
        position.seq += self.extra;
        state
    }
}

impl<T: Transport> Transport for Lying<T> {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        Ok(self.lie(self.inner.state().await?))
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        let mut response = self.inner.push(request).await?;
        response.state = self.lie(response.state);
        Ok(response)
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        let mut response = self.inner.pull(request).await?;
        response.state = self.lie(response.state);
        Ok(response)
    }
}

/// BREAK (LOW, silent loss): a server that claims, in its frontier, to hold envelopes of the
/// desk it was never sent is believed: the desk never pushes them and reports nothing waiting.
/// The claimed position's hash (which the server cannot know) is not compared with the desk's.
#[test]
fn a_server_claiming_envelopes_it_never_received_is_not_believed() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    for i in 0..3 {
        write(&clinic, &mut desk, "reception", T0 + i, an_appointment(0xE0 + i as u128, "受付"));
    }
    let lying = Lying { inner: clinic.direct("desk"), device: "desk".into(), extra: 3 };
    let membership = clinic.chain.membership.clone();
    let round = clinic.round_over(lying, &mut desk, &membership);
    let held = clinic.server_frontier("desk");
    assert!(
        held == 3 || round.as_ref().is_err() || round.as_ref().is_ok_and(|r| r.waiting > 0),
        "the server holds {held} of the desk's 3 changes; the desk's round said {round:?}"
    );
}

/// A server that answers every pull with the same (genuine) page and says more waits.
struct Repeating<T> {
    inner: T,
    page: RefCell<Option<PullResponse>>,
    pulls: Cell<u32>,
}

impl<T: Transport> Transport for Repeating<T> {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        self.inner.state().await
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        self.inner.push(request).await
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        self.pulls.set(self.pulls.get() + 1);
        if self.pulls.get() > 200 {
            // The test's own safety stop, so a hung client does not hang the suite.
            return Err(mamori_sync::Error::Unreachable("the test stopped a client that kept pulling".into()));
        }
        if self.page.borrow().is_none() {
            let mut page = self.inner.pull(request).await?;
            page.more = true;
            *self.page.borrow_mut() = Some(page);
        }
        Ok(self.page.borrow().clone().expect("cached"))
    }
}

/// BREAK (LOW, availability): a server that repeats one page with `more` set keeps the device's
/// round pulling forever (every envelope a repeat, none new), so its own changes are never
/// pushed.
#[test]
fn a_server_repeating_one_page_does_not_keep_a_device_pulling_forever() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    write(&clinic, &mut desk, "reception", T0, an_appointment(0xF1, "受付"));
    clinic.round(&mut desk).expect("the desk syncs");
    let repeating = Repeating { inner: clinic.direct("laptop"), page: RefCell::new(None), pulls: Cell::new(0) };
    let membership = clinic.chain.membership.clone();
    let _ = clinic.round_over(&repeating, &mut laptop, &membership);
    assert!(repeating.pulls.get() < 50, "the laptop asked {} times for a page of repeats", repeating.pulls.get());
}

/// A server that serves crafted pages: `mutate` turns the genuine page into the attack.
struct Crafted<T, F> {
    inner: T,
    mutate: F,
}

impl<T: Transport, F: Fn(Vec<Vec<u8>>) -> Vec<Vec<u8>>> Transport for Crafted<T, F> {
    async fn state(&self) -> mamori_sync::Result<ServerState> {
        self.inner.state().await
    }

    async fn push(&self, request: PushRequest) -> mamori_sync::Result<PushResponse> {
        self.inner.push(request).await
    }

    async fn pull(&self, request: PullRequest) -> mamori_sync::Result<PullResponse> {
        let mut response = self.inner.pull(request).await?;
        response.envelopes = (self.mutate)(response.envelopes);
        Ok(response)
    }
}

/// HOLDS: the server cannot make a replica take a skipped, renumbered or relabelled envelope:
/// each is refused before anything is applied, and the genuine page still applies afterwards. A
/// replay of what the replica holds is a harmless repeat. (Order within a page does not matter:
/// a page is sorted by device and sequence before it is checked.)
#[test]
fn a_server_cannot_replay_skip_renumber_or_relabel_envelopes() {
    let clinic = Clinic::new();
    let mut laptop = clinic.replica("laptop");
    for i in 0..3 {
        write(&clinic, &mut laptop, "doctor", T0 + i, an_appointment(0x100 + i as u128, "往診"));
    }
    clinic.round(&mut laptop).expect("the laptop syncs");
    let membership = clinic.chain.membership.clone();

    // The header: format (1), clinic (32), device length (1), "laptop" (6), sequence (8).
    type Bend = Box<dyn Fn(Vec<Vec<u8>>) -> Vec<Vec<u8>>>;
    let attacks: Vec<(&str, Bend)> = vec![
        ("skipping the first", Box::new(|page: Vec<Vec<u8>>| page[1..].to_vec())),
        (
            "the second relabelled as the tablet's own",
            Box::new(|page: Vec<Vec<u8>>| {
                let mut bytes = page[1].clone();
                bytes[34..40].copy_from_slice(b"tablet");
                vec![page[0].clone(), bytes]
            }),
        ),
        (
            "the first served again as the second",
            Box::new(|page: Vec<Vec<u8>>| {
                let mut second = page[0].clone();
                second[47] = 2;
                vec![page[0].clone(), second]
            }),
        ),
    ];
    for (i, (name, mutate)) in attacks.into_iter().enumerate() {
        let mut tablet = clinic.replica(&format!("tablet-{i}"));
        tablet.me.device = "tablet".into();
        let refused = clinic.round_over(Crafted { inner: clinic.direct("tablet"), mutate }, &mut tablet, &membership);
        assert!(refused.is_err(), "{name}: taken");
        assert_eq!(replication::change_count(&tablet.conn).expect("count"), 0, "{name}: something was applied");
        let genuine = clinic.round(&mut tablet).expect("the genuine page");
        assert_eq!(genuine.pulled.applied, 3, "{name}");
    }
    let mut tablet = clinic.replica("tablet");
    clinic.round(&mut tablet).expect("first");
    let before = digest(&tablet);
    let page = clinic
        .runtime
        .block_on(clinic.direct("tablet").pull(PullRequest { have: Default::default(), limit: 10 }))
        .expect("page")
        .envelopes;
    let replayed = mamori_sync::local::apply_page(&mut tablet.conn, page, &tablet.me, &membership).expect("replay");
    assert_eq!((replayed.repeats, replayed.held), (3, 0));
    assert_eq!(digest(&tablet), before);
}

// ---------------------------------------------------------------------------------------------
// (c) A stranger on the clinic LAN, and (d) what the server learns
// ---------------------------------------------------------------------------------------------

/// HOLDS: on a server that holds no chain yet, a stranger's chain (her own root, her own device)
/// is refused: the server verifies the first upload from the clinic root it was given at init,
/// and the clinic's real first upload is still taken afterwards.
#[test]
fn a_stranger_cannot_be_first_to_give_a_fresh_server_a_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let clinic = Chain::clinic();
    let storage = SqliteStorage::open(&dir.path().join("server.db")).expect("db");
    let server = runtime.block_on(ClinicServer::following_chain(storage, clinic.root_pub())).expect("server");

    // The stranger's own clinic: a root of her own whose first user is an admin she holds.
    let stranger_root = key("stranger-root");
    let stranger_root_pub = stranger_root.verifying_key().to_bytes();
    let her_first = Link::sign(
        &stranger_root_pub,
        1,
        &mamori_core::chain::genesis_prev(&stranger_root_pub),
        Statement::FirstUser {
            user: "admin".into(),
            display_name: "x".into(),
            role: Role::Admin,
            signing_key: key("stranger").verifying_key().to_bytes(),
            x25519: x25519("stranger"),
        },
        &stranger_root,
    )
    .expect("signed");
    let hers = ChainLinks { first: 1, links: vec![(her_first.body, her_first.signature)] };
    assert!(runtime.block_on(server.first_chain(&hers)).expect("asked").is_none(), "her chain counts as first");
    let outcome = runtime.block_on(server.append_chain(hers)).expect("answered");
    assert!(matches!(outcome, mamori_server::ChainOutcome::Refused(_)), "{outcome:?}");
    // The clinic's own chain is still taken, whole.
    let ours = clinic.links_from(1);
    assert!(runtime.block_on(server.first_chain(&ours)).expect("asked").is_some());
    assert_eq!(runtime.block_on(server.append_chain(ours)).expect("answered"), mamori_server::ChainOutcome::Stored);
}

/// BREAK (LOW, what the server learns): envelopes are not padded, so the server (and its backups)
/// learns each change's exact length: two registrations differing only in the patient's name
/// differ in length by exactly the name's bytes.
#[test]
fn the_server_cannot_tell_a_patients_name_length_from_the_envelope() {
    let clinic = Clinic::new();
    let desk = clinic.replica("desk");
    let short = a_patient(0x200, "000200", "林", "03-0000-0200");
    let long = Patient { id: Uuid::from_u128(0x201), family_name: "勅使河原".into(), ..short.clone() };
    let sealed: Vec<usize> = [short, long]
        .into_iter()
        .map(|p| {
            let change = craft(
                Uuid::now_v7(),
                T0,
                &[],
                "reception",
                "desk",
                1,
                &OpenBody::PatientRegistered(p),
                &key("reception"),
            );
            seal_next(&desk, &change, &cdk(), 1).bytes().len()
        })
        .collect();
    assert_eq!(sealed[0], sealed[1], "the envelopes' lengths differ by {} bytes", sealed[1].abs_diff(sealed[0]));
}

/// BREAK (LOW, availability; flags "not built yet"): one change the receptionist stamps at the
/// end of time drags every replica's clock there: a replica's next session issues stamps after
/// the newest in its whole log (`last_stamp`), so every later change on every device carries the
/// same saturated stamp, and concurrent edits are decided by device name alone.
#[test]
fn a_stamp_at_the_end_of_time_does_not_freeze_every_devices_clock() {
    let clinic = Clinic::new();
    let desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let head = clinic.chain.membership.head().0;
    let far = craft(
        Uuid::now_v7(),
        i64::MAX,
        &[],
        "reception",
        "desk",
        head,
        &an_appointment(0x300, "受付"),
        &key("reception"),
    );
    plant(&desk, &far, &cdk(), head);
    let mut desk = desk;
    clinic.round(&mut desk).expect("pushed");
    clinic.round(&mut laptop).expect("pulled");
    let last = replication::last_stamp(&laptop.conn, "laptop").expect("last stamp");
    let year_3000 = 32_503_680_000_000;
    assert!(last.wall_ms < year_3000, "the laptop's next session stamps after {last}");
}

/// BREAK (MEDIUM, availability): any enrolled device may give the server wraps "for" any other
/// enrolled device; the server cannot open them and keeps every one. The receptionist's desk
/// gives the server a hundred thousand and one junk wraps for the laptop: from then on the
/// laptop's session fails at its first step (its wraps no longer fit one answer), for good.
#[test]
fn junk_wraps_from_one_device_do_not_stop_anothers_sync() {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("tmp");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let chain = Chain::clinic();
    let storage = SqliteStorage::open(&dir.path().join("server.db")).expect("db");
    let server = runtime.block_on(ClinicServer::following_chain(storage, chain.root_pub())).expect("server");
    assert_eq!(
        runtime.block_on(server.append_chain(chain.links_from(1))).expect("chain"),
        mamori_server::ChainOutcome::Stored
    );
    let junk = |i: u32| {
        let mut wrap = 1u32.to_be_bytes().to_vec();
        wrap.push(6);
        wrap.extend_from_slice(b"laptop");
        wrap.extend_from_slice(&[0x42; 32]);
        let mut ciphertext = [0u8; 48];
        ciphertext[..4].copy_from_slice(&i.to_be_bytes());
        wrap.extend_from_slice(&ciphertext);
        wrap
    };
    let count = mamori_sync::wire::codec::MAX_ITEMS as u32 + 1;
    for batch in (0..count).collect::<Vec<_>>().chunks(50_000) {
        let wraps = mamori_sync::wire::KeyWraps { wraps: batch.iter().map(|i| junk(*i)).collect() };
        // (Over HTTPS: `/v1/wraps`, signed by the desk's device key, two pushes of ~5 MB.)
        let kept = runtime.block_on(server.put_wraps(wraps)).expect("put");
        assert!(
            kept <= mamori_server::service::MAX_WRAPS_PER_EPOCH,
            "the server keeps a few per device and epoch: {kept}"
        );
    }
    let answer = runtime.block_on(server.wraps_for("laptop")).expect("wraps").encode();
    // What the laptop's `HttpTransport::my_wraps` does with the answer, first step of every session.
    let read = mamori_sync::wire::KeyWraps::decode(&answer);
    assert!(read.is_ok(), "the laptop cannot read its wraps: {:?}", read.err());
}

/// HOLDS (and says what an enrollment code is worth): over HTTPS, a device that is invited but
/// has not accepted signs with its code's key and may read the membership chain — every staff
/// login, display name and role — and nothing else: not the state, not a page of envelopes, not
/// a wrap. A stranger's key reads nothing.
#[test]
fn an_enrollment_code_holder_reads_only_the_chain() {
    use mamori_sync::wire::auth::{sign_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER};

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let mut chain = Chain::clinic();
    let code = key("enroll-kiosk");
    chain.sign(
        Statement::InviteDevice {
            device: "kiosk".into(),
            roles: vec![Role::Reception],
            invite_key: code.verifying_key().to_bytes(),
            vouches_history: false,
        },
        &key("admin"),
    );
    let certificate = crate::sync_over_http::certificate();
    let storage = SqliteStorage::open(&certificate.0.path().join("server.db")).expect("db");
    let server = runtime.block_on(async {
        let server = ClinicServer::following_chain(storage, chain.root_pub()).await.expect("server");
        assert_eq!(server.append_chain(chain.links_from(1)).await.expect("chain"), mamori_server::ChainOutcome::Stored);
        crate::sync_over_http::serve_app(Arc::new(mamori_server::http::App::new(server)), &certificate).await
    });
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(mamori_sync::http::pin::pinned_client_config(server.pin).expect("tls"))
        .build()
        .expect("client");
    let counter = Cell::new(1u64);
    let call = |method: reqwest::Method, path: &str, body: Vec<u8>, device: &str, signer: &SigningKey| {
        counter.set(counter.get() + 1);
        let signature = sign_request(signer, method.as_str(), path, device, counter.get(), &body);
        let request = client
            .request(method, format!("https://{}{path}", server.addr))
            .header(DEVICE_HEADER, device)
            .header(COUNTER_HEADER, counter.get().to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body);
        runtime.block_on(async {
            let response = request.send().await.expect("answered");
            (response.status().as_u16(), response.bytes().await.unwrap_or_default().to_vec())
        })
    };
    let (status, body) = call(reqwest::Method::POST, "/v1/chain", 0u64.to_be_bytes().to_vec(), "kiosk", &code);
    assert_eq!(status, 200);
    let links = ChainLinks::decode(&body).expect("links");
    assert_eq!(links.links.len(), chain.links.len(), "the code's holder reads the whole chain");
    let pull = PullRequest { have: Default::default(), limit: 10 }.encode();
    assert_eq!(call(reqwest::Method::POST, "/v1/pull", pull, "kiosk", &code).0, 401);
    assert_eq!(call(reqwest::Method::POST, "/v1/wraps/mine", Vec::new(), "kiosk", &code).0, 401);
    assert_eq!(call(reqwest::Method::GET, "/v1/state", Vec::new(), "kiosk", &code).0, 401);
    let stranger = key("stranger");
    assert_eq!(call(reqwest::Method::POST, "/v1/chain", 0u64.to_be_bytes().to_vec(), "kiosk", &stranger).0, 401);
    assert_eq!(call(reqwest::Method::POST, "/v1/chain", 0u64.to_be_bytes().to_vec(), "nobody", &stranger).0, 401);
}

mod backdating;
mod lost_device;
mod review_join;
