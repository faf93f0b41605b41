//! Attack stories against remote wipe and the offline lease (DESIGN.md, "Lost devices"): the
//! insider at the shared front desk (same OS account and keyring, raw SQL, any file in the data
//! folder), a thief holding a lost laptop (its files, its clock, its login screen), and a
//! compromised clinic server (it answers anything, replays, withholds links, but holds no
//! administrator's or user's signing key).
//!
//! A compromised server is modelled by a second server process with the clinic's own TLS
//! certificate and the clinic server's own lease-signing key, fed whatever chain the attack
//! needs; the laptop's remembered address is pointed at it (what taking over the server's host
//! or address does). Every test asserts the *secure* behaviour: a failing test shows a break.

use std::cell::Cell;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mamori_core::chain::{LeasePolicy, Link, Membership, Statement};
use mamori_core::clinic::{Clinic, JoinCode};
use mamori_core::clock::Clock as _;
use mamori_core::domain::{EncounterKind, Role, SoapText, User};
use mamori_core::lost_device::Standing;
use mamori_core::secret::Password;
use mamori_core::vault::vault_record::SecretKey;
use mamori_core::vault::{DeviceSecretStore as _, MemoryStore};
use mamori_server::http::App;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_story_tests::{patient, totp_code, Site};
use mamori_sync::check_in::{check_in, CheckedIn};
use mamori_sync::join::{join_clinic, FirstLogin};
use mamori_sync::session::{sync_session, SessionReport};
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{ChainLinks, CheckIn, CheckInRequest, Hash32, Lease, Signed, WipeAck, WipeAcks};
use mamori_sync::{ServerSettings, Settings};

use super::{key, x25519, Chain};
use crate::sync_join::{Computer, LAPTOP};
use crate::sync_over_http::{certificate, serve_app, transport_for, RunningServer};

type Cert = (Arc<tempfile::TempDir>, Hash32);

/// The demo clinic at its front desk, and its server, whose lease-signing key the test knows (so
/// a compromised copy of the server can sign with it too).
struct Rig {
    site: Site<MemoryStore>,
    server: RunningServer,
    cert: Cert,
    lease_key: SigningKey,
    root: Hash32,
    runtime: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
}

impl Rig {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp");
        let site = Site::demo(tmp.path(), MemoryStore::default(), 3, 7);
        let root = hex::decode(&site.demo.as_ref().expect("demo").clinic_root).expect("hex");
        let root: Hash32 = root.try_into().expect("32 bytes");
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let cert = certificate();
        let lease_key = SigningKey::from_bytes(&[0x5E; 32]);
        let storage = SqliteStorage::open(&cert.0.path().join("server.db")).expect("server db");
        let server = runtime.block_on(async {
            let clinic = ClinicServer::following_chain(storage, root)
                .await
                .expect("server")
                .with_countersigner(lease_key.clone());
            serve_app(Arc::new(App::new(clinic)), &cert).await
        });
        Self { site, server, cert, lease_key, root, runtime, _tmp: tmp }
    }

    fn url(&self) -> String {
        format!("https://{}", self.server.addr)
    }

    fn now(&self) -> i64 {
        self.site.clock.now().timestamp()
    }

    fn sync(&self, session: &mut Clinic, keyring: &MemoryStore) -> mamori_sync::Result<SessionReport> {
        let transport = transport_for(&self.server, session, keyring);
        self.runtime.block_on(sync_session(session, keyring, &transport, Settings::default(), &mut |_, _| {}))
    }

    fn admin_syncs(&self, change: impl FnOnce(&mut Clinic)) {
        let mut admin = self.site.login("admin");
        change(&mut admin);
        self.sync(&mut admin, &self.site.keyring).expect("the desk syncs");
        admin.logout().expect("logout");
    }

    fn unlock(&self, computer: &Computer, user: &str) -> mamori_core::Result<Clinic> {
        self.site.clock.advance(chrono::Duration::seconds(30));
        let code = totp_code(&self.site.totp_secret(user), self.site.clock.now());
        Clinic::unlock(
            &computer.dir,
            &computer.keyring,
            Box::new(self.site.clock.clone()),
            user,
            &Password::new(self.site.password(user)),
            &mamori_core::auth::SecondFactor::Totp(code),
        )
    }

    /// The doctor's home-visit laptop: invited, joined, given the data key, synced once (its
    /// first lease, the server's key pinned), logged out.
    fn laptop(&self) -> Computer {
        self.laptop_named(LAPTOP)
    }

    fn laptop_named(&self, name: &str) -> Computer {
        let mut code = String::new();
        self.admin_syncs(|admin| {
            code = admin
                .invite_device(name, vec![Role::Doctor, Role::Nurse], &self.url(), self.server.pin)
                .expect("invited")
                .to_text()
                .to_string();
        });
        let laptop = Computer::new();
        let demo = self.site.demo.as_ref().expect("demo");
        let text = &demo.users.iter().find(|u| u.name == "doctor").expect("doctor").secret_key;
        let secret_key = SecretKey::parse(text).expect("secret key");
        let password = Password::new(self.site.password("doctor"));
        let login = FirstLogin { user: "doctor", password: &password, secret_key: &secret_key };
        let code = JoinCode::parse(&code).expect("code");
        let clock = Box::new(self.site.clock.clone());
        let mut doctor = self
            .runtime
            .block_on(join_clinic(&laptop.dir, &laptop.keyring, clock, &code, login))
            .expect("the doctor joins the laptop");
        // The desk passes the clinic data key on.
        self.admin_syncs(|_| {});
        self.sync(&mut doctor, &laptop.keyring).expect("the laptop syncs");
        doctor.logout().expect("logout");
        laptop
    }

    /// The doctor writes a new patient, a visit and a note on `laptop` (three changes of its own).
    fn write_visit(&self, doctor: &mut Clinic, chart: &str) {
        let p = doctor
            .register_patient(&patient(chart, ("紛失", "前"), ("フンシツ", "マエ"), "1950-01-01", ""))
            .expect("p");
        let visit = doctor.open_encounter(p.id, EncounterKind::HomeVisit).expect("visit");
        let text = SoapText {
            subjective: "往診所見".into(),
            objective: String::new(),
            assessment: String::new(),
            plan: String::new(),
        };
        doctor.write_note(visit.id, text).expect("note");
    }

    fn chain(&self) -> Vec<Link> {
        let links = self.runtime.block_on(self.server.app.server.chain_after(0)).expect("chain");
        links.links.into_iter().map(|(body, signature)| Link::from_parts(body, signature)).collect()
    }

    /// A compromised server: the clinic's certificate, lease-signing key `signer`, and the chain
    /// `links` (verified from `root`, as any server process would) as its whole chain.
    fn rogue(&self, root: Hash32, links: &[Link], signer: &SigningKey) -> (RunningServer, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let storage = SqliteStorage::open(&dir.path().join("rogue.db")).expect("db");
        let offered =
            ChainLinks { first: 1, links: links.iter().map(|l| (l.body.clone(), l.signature.clone())).collect() };
        let server = self.runtime.block_on(async {
            let server =
                ClinicServer::following_chain(storage, root).await.expect("server").with_countersigner(signer.clone());
            assert_eq!(server.append_chain(offered).await.expect("append"), mamori_server::ChainOutcome::Stored);
            serve_app(Arc::new(App::new(server)), &self.cert).await
        });
        (server, dir)
    }

    /// `computer` now reaches `server` at its remembered address.
    fn point(&self, computer: &Computer, server: &RunningServer) {
        let settings =
            ServerSettings::new(&format!("https://{}", server.addr), &hex::encode(server.pin)).expect("settings");
        settings.remember(&computer.dir).expect("remembered");
    }

    fn check_in(&self, computer: &Computer) -> mamori_sync::Result<CheckedIn> {
        self.runtime.block_on(check_in(&computer.dir, &computer.keyring, self.now()))
    }

    fn mark_lost(&self, device: &str) {
        let held = self.runtime.block_on(self.server.app.server.state()).expect("state").frontier.seq(device);
        self.admin_syncs(|admin| {
            admin.mark_device_lost(device, held).expect("marked lost");
        });
    }
}

fn intact(computer: &Computer) -> bool {
    computer.dir.key_file().exists() && computer.keyring.load(LAPTOP).expect("keyring").is_some()
}

fn standing(computer: &Computer) -> Standing {
    Standing::load(&computer.keyring, LAPTOP).expect("standing")
}

fn sign_next(root: &Hash32, links: &mut Vec<Link>, statement: Statement, signer: &SigningKey) {
    let membership = Membership::verify(root, links).expect("the chain so far verifies");
    let (seq, prev) = membership.head();
    links.push(Link::sign(root, seq + 1, &prev, statement, signer).expect("signed"));
}

// ---------------------------------------------------------------------------------------------
// (c) A compromised server and wipe orders
// ---------------------------------------------------------------------------------------------

/// HOLDS: a server cannot order a wipe with a chain of its own making: its own root, its own
/// administrator, a device under the laptop's name and public key, revoked and ordered wiped.
/// The laptop checks the order from the root it pinned and keeps everything.
#[test]
fn a_wipe_order_from_another_root_wipes_nothing() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    let laptop_key = laptop_signing_key(&rig);
    let before = standing(&laptop);

    let evil_root = key("evil-root");
    let evil_root_pub = evil_root.verifying_key().to_bytes();
    let evil_admin = key("evil-admin");
    let code = key("evil-code");
    let mut links = vec![Link::sign(
        &evil_root_pub,
        1,
        &mamori_core::chain::genesis_prev(&evil_root_pub),
        Statement::FirstUser {
            user: "admin".into(),
            display_name: "管理 一郎".into(),
            role: Role::Admin,
            signing_key: evil_admin.verifying_key().to_bytes(),
            x25519: x25519("evil-admin"),
        },
        &evil_root,
    )
    .expect("first")];
    let invite = Statement::InviteDevice {
        device: LAPTOP.into(),
        roles: vec![Role::Doctor],
        invite_key: code.verifying_key().to_bytes(),
        vouches_history: false,
    };
    sign_next(&evil_root_pub, &mut links, invite, &evil_admin);
    let accept = Statement::AcceptDevice { device: LAPTOP.into(), signing_key: laptop_key, x25519: x25519("evil-x") };
    sign_next(&evil_root_pub, &mut links, accept, &code);
    sign_next(
        &evil_root_pub,
        &mut links,
        Statement::RevokeDevice { device: LAPTOP.into(), accepted_through: 0 },
        &evil_admin,
    );
    sign_next(&evil_root_pub, &mut links, Statement::WipeDevice { device: LAPTOP.into() }, &evil_admin);

    let (rogue, _db) = rig.rogue(evil_root_pub, &links, &rig.lease_key);
    rig.point(&laptop, &rogue);
    let outcome = rig.check_in(&laptop);
    assert!(outcome.is_err(), "a chain from another root was taken: {outcome:?}");
    assert!(intact(&laptop), "the laptop wiped itself on another clinic's order");
    assert_eq!(standing(&laptop), before, "a refused check-in changed the standing record");
}

/// HOLDS: an order for another device (the second laptop, really marked lost) is no order for
/// this one, even served by a server that would like it to be.
#[test]
fn another_devices_wipe_order_wipes_nothing_here() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    // The second laptop, enrolled and then marked lost; it wipes.
    let second = rig.laptop_named("second-laptop");
    rig.mark_lost("second-laptop");
    let wiped = rig.check_in(&second);
    assert!(matches!(wiped, Ok(CheckedIn::Wiped { .. })), "{wiped:?}");
    let outcome = rig.check_in(&laptop);
    assert!(matches!(outcome, Ok(CheckedIn::Leased { .. })), "{outcome:?}");
    assert!(intact(&laptop), "an order for another device wiped this one");
}

/// HOLDS (fixed after review: a check-in must extend the head the device pinned). A compromised
/// server tries to make a laptop that was never lost wipe itself, by serving a chain that forks
/// from one the laptop already verified past. An administrator (here
/// `admin2`) is disabled; she (or anyone holding her old key) signs, on the chain as it stood
/// before, a revocation and a wipe order for the doctor's laptop. The laptop had already taken
/// the link that disabled her. Before the fix its locked check-in verified the served chain from
/// the root alone and destroyed its secret and chart, unsent work included.
#[test]
fn a_fork_signed_by_a_disabled_admin_does_not_wipe_a_laptop_that_holds_a_later_head() {
    let mut rig = Rig::new();
    let mut admin = rig.site.login("admin");
    let admin2 = User::build("admin2", "副管理 二郎", Role::Admin).expect("user");
    rig.site.invite(&mut admin, &admin2, "admin2-password-long-1");
    rig.sync(&mut admin, &rig.site.keyring).expect("synced");
    admin.logout().expect("logout");
    let her = rig.site.login("admin2");
    let her_key = her.own_keys_for_inspection().expect("her keys").1;
    her.logout().expect("logout");

    let laptop = rig.laptop();
    let before_her_removal = rig.chain();
    rig.admin_syncs(|admin| {
        admin.set_user_disabled("admin2", true).expect("disabled");
    });
    // The laptop takes the link that disabled her, and writes a visit it has not sent yet.
    let mut doctor = rig.unlock(&laptop, "doctor").expect("unlocks");
    rig.sync(&mut doctor, &laptop.keyring).expect("the laptop takes the new link");
    assert!(doctor.membership().expect("chain").head().0 > before_her_removal.len() as u64);
    rig.write_visit(&mut doctor, "7501");
    doctor.logout().expect("logout");

    let mut fork = before_her_removal;
    sign_next(&rig.root, &mut fork, Statement::RevokeDevice { device: LAPTOP.into(), accepted_through: 0 }, &her_key);
    sign_next(&rig.root, &mut fork, Statement::WipeDevice { device: LAPTOP.into() }, &her_key);
    let (rogue, _db) = rig.rogue(rig.root, &fork, &rig.lease_key);
    rig.point(&laptop, &rogue);
    let outcome = rig.check_in(&laptop);
    assert!(intact(&laptop), "a forked chain wiped a laptop that was never marked lost: {outcome:?}");
    assert!(outcome.is_err(), "a chain that does not extend the laptop's head was taken: {outcome:?}");
}

/// HOLDS (fixed after review, as above). A compromised server withholding links tries to roll
/// the lease policy back to one the clinic withdrew, and so make a laptop that was never lost
/// wipe itself. The clinic once ran a strict policy (1 day, self-wipe after 2) and relaxed it to
/// the default; the laptop verified the relaxed one. The server serves the chain as it stood
/// before (every link genuine) with a fresh lease. Before the fix the locked check-in took the
/// old policy, and after a weekend away the login screen wiped the chart before a password was
/// tried, unsent visit included.
#[test]
fn a_server_serving_an_older_chain_cannot_bring_back_a_withdrawn_self_wipe_policy() {
    let rig = Rig::new();
    rig.admin_syncs(|admin| {
        admin.set_lease_policy(LeasePolicy { lease_days: 1, self_wipe_days: Some(2) }).expect("strict policy");
    });
    let laptop = rig.laptop();
    let strict_era = rig.chain();
    rig.admin_syncs(|admin| {
        admin.set_lease_policy(LeasePolicy::default()).expect("relaxed policy");
    });
    let mut doctor = rig.unlock(&laptop, "doctor").expect("unlocks");
    assert_eq!(rig.sync(&mut doctor, &laptop.keyring).expect("synced").lease_days, 14);
    rig.write_visit(&mut doctor, "7502");
    doctor.logout().expect("logout");
    assert_eq!(standing(&laptop).policy, LeasePolicy::default());

    let (rogue, _db) = rig.rogue(rig.root, &strict_era, &rig.lease_key);
    rig.point(&laptop, &rogue);
    let outcome = rig.check_in(&laptop);
    let policy = standing(&laptop).policy;

    // A weekend later (three days), the doctor opens the lid.
    rig.site.clock.advance(chrono::Duration::days(3));
    let unlocked = rig.unlock(&laptop, "doctor").map(|_| ());
    assert!(
        intact(&laptop),
        "the laptop wiped itself on a withdrawn policy {policy:?} (check-in: {outcome:?}, unlock: {unlocked:?})"
    );
    assert!(outcome.is_err(), "a chain older than the laptop's head renewed its lease: {outcome:?}");
    assert_eq!(policy, LeasePolicy::default(), "the withdrawn policy came back");
}

/// HOLDS: a server signing leases with another key (a thief's server at the remembered address,
/// or a swapped key) renews nothing, even with the clinic's genuine chain.
#[test]
fn a_lease_signed_with_another_key_renews_nothing() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    let before = standing(&laptop);
    assert!(before.server_key.is_some() && before.lease_received_at.is_some(), "{before:?}");
    rig.site.clock.advance(chrono::Duration::days(10));
    let (rogue, _db) = rig.rogue(rig.root, &rig.chain(), &key("thief-lease"));
    rig.point(&laptop, &rogue);
    let outcome = rig.check_in(&laptop);
    assert!(outcome.is_err(), "a lease under another key was taken: {outcome:?}");
    assert_eq!(standing(&laptop).lease_received_at, before.lease_received_at, "the lease was renewed");
    rig.site.clock.advance(chrono::Duration::days(5));
    let refused = rig.unlock(&laptop, "doctor").map(|_| ());
    assert!(matches!(refused, Err(mamori_core::Error::LeaseExpired { .. })), "{refused:?}");
}

// ---------------------------------------------------------------------------------------------
// (b) The thief with the laptop, (a) the insider with its files: the wipe report's count
// ---------------------------------------------------------------------------------------------

/// DOES NOT HOLD (docs/security-model.md): the count of unsent changes in the wipe report is the
/// device's own word, kept in a plain file (`lost_device/unsent.rs`). Whoever edits it before the
/// laptop reaches the server changes the number the administrator reads; what holds is that the
/// chart is gone all the same and the report is still the laptop's, signed with its key, naming
/// the order it carried out.
#[test]
fn an_edited_count_file_changes_only_the_number_the_report_gives() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    let mut doctor = rig.unlock(&laptop, "doctor").expect("unlocks");
    rig.write_visit(&mut doctor, "7503");
    doctor.logout().expect("logout");
    std::fs::write(laptop.dir.root().join("own-changes"), b"0").expect("the thief edits the count");
    rig.mark_lost(LAPTOP);
    let outcome = rig.check_in(&laptop).expect("check-in");
    assert!(!intact(&laptop), "not wiped: {outcome:?}");
    let acks = rig.runtime.block_on(rig.server.app.server.wipe_acks()).expect("acks");
    let ack = WipeAck::open(&acks.acks[0], &laptop_signing_key(&rig)).expect("the laptop's report");
    assert_eq!(ack.device, LAPTOP);
    assert_eq!(ack.unsent, 0, "the edited number is what the report gives (a known limit)");
}

/// HOLDS (fixed after review): changes were counted only at login, lock and logout
/// (`clinic/pins.rs` `save_pins` → `note_own_changes`). A session that ends any other way (the app
/// killed, the battery flat, the laptop snatched open) leaves the count behind: the report says
/// nothing was lost.
#[test]
fn changes_of_a_session_that_never_logged_out_are_counted_in_the_report() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    let mut doctor = rig.unlock(&laptop, "doctor").expect("unlocks");
    rig.write_visit(&mut doctor, "7504");
    drop(doctor); // the process dies: no lock, no logout
    rig.mark_lost(LAPTOP);
    let outcome = rig.check_in(&laptop).expect("check-in");
    let CheckedIn::Wiped { unsent, .. } = outcome else { panic!("not wiped: {outcome:?}") };
    assert_eq!(unsent, 3, "the patient, visit and note written in the last session are not counted");
}

fn laptop_signing_key(rig: &Rig) -> Hash32 {
    let admin = rig.site.login("admin");
    let key = admin.membership().expect("chain").devices().get(LAPTOP).expect("named").signing_key;
    admin.logout().expect("logout");
    key
}

/// HOLDS: the thief, with the laptop's files and clock but not its keyring, cannot make an
/// expired lease open: not by winding the clock, not by deleting or editing what lies in the data
/// folder beside the chart (the remembered server, the count), not by unlocking again.
#[test]
fn a_thief_with_the_files_and_the_clock_cannot_reopen_an_expired_lease() {
    let rig = Rig::new();
    let laptop = rig.laptop();
    let start = rig.site.clock.now();
    rig.site.clock.advance(chrono::Duration::days(15));
    let refused = rig.unlock(&laptop, "doctor").map(|_| ());
    assert!(matches!(refused, Err(mamori_core::Error::LeaseExpired { .. })), "{refused:?}");
    for file in ["sync.toml", "own-changes"] {
        let _ = std::fs::remove_file(laptop.dir.root().join(file));
    }
    rig.site.clock.set(start);
    let refused = rig.unlock(&laptop, "doctor").map(|_| ());
    assert!(matches!(refused, Err(mamori_core::Error::LeaseExpired { .. })), "{refused:?}");
    assert!(intact(&laptop));
}

// ---------------------------------------------------------------------------------------------
// The new routes over HTTPS: who may reach them, and what a bad body does
// ---------------------------------------------------------------------------------------------

/// A server over HTTPS following `chain`, and a client that signs requests as any device.
struct Routes {
    runtime: tokio::runtime::Runtime,
    server: RunningServer,
    client: reqwest::Client,
    counter: Cell<u64>,
}

impl Routes {
    fn new(chain: &Chain) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let cert = certificate();
        let storage = SqliteStorage::open(&cert.0.path().join("server.db")).expect("db");
        let server = runtime.block_on(async {
            let server = ClinicServer::following_chain(storage, chain.root_pub()).await.expect("server");
            assert_eq!(
                server.append_chain(chain.links_from(1)).await.expect("chain"),
                mamori_server::ChainOutcome::Stored
            );
            serve_app(Arc::new(App::new(server)), &cert).await
        });
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(mamori_sync::http::pin::pinned_client_config(server.pin).expect("tls"))
            .build()
            .expect("client");
        Self { runtime, server, client, counter: Cell::new(1) }
    }

    /// A request to `path` as `device`, signed with `signer` (none: unsigned).
    fn call(&self, path: &str, body: Vec<u8>, device: &str, signer: Option<&SigningKey>) -> (u16, Vec<u8>) {
        use mamori_sync::wire::auth::{sign_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER};
        self.counter.set(self.counter.get() + 1);
        let method = if path == "/v1/state" { reqwest::Method::GET } else { reqwest::Method::POST };
        let mut request = self.client.request(method.clone(), format!("https://{}{path}", self.server.addr));
        if let Some(signer) = signer {
            let signature = sign_request(signer, method.as_str(), path, device, self.counter.get(), &body);
            request = request
                .header(DEVICE_HEADER, device)
                .header(COUNTER_HEADER, self.counter.get().to_string())
                .header(SIGNATURE_HEADER, signature);
        }
        let request = request.body(body);
        self.runtime.block_on(async {
            let response = request.send().await.expect("answered");
            (response.status().as_u16(), response.bytes().await.unwrap_or_default().to_vec())
        })
    }

    fn acks(&self) -> WipeAcks {
        self.runtime.block_on(self.server.app.server.wipe_acks()).expect("acks")
    }
}

/// The insider_sync clinic with the laptop marked lost (revoked, ordered wiped at `wipe_link`) and
/// the tablet revoked but not marked lost.
fn clinic_with_a_lost_laptop() -> (Chain, u64) {
    let mut chain = Chain::clinic();
    chain.sign(Statement::RevokeDevice { device: "laptop".into(), accepted_through: 0 }, &key("admin"));
    chain.sign(Statement::WipeDevice { device: "laptop".into() }, &key("admin"));
    let wipe_link = chain.membership.head().0;
    chain.sign(Statement::RevokeDevice { device: "tablet".into(), accepted_through: 0 }, &key("admin"));
    (chain, wipe_link)
}

fn ack(clinic: Hash32, device: &str, wipe_link: u64, unsent: u64) -> WipeAck {
    WipeAck { clinic, device: device.into(), wipe_link, unsent, wiped_at: 1_800_000_000, keyring_cleared: true }
}

/// HOLDS: a device marked lost reaches only the check-in (the chain, no lease) and its own
/// acknowledgement; every other route refuses it, as it refuses a device revoked but not lost.
#[test]
fn a_lost_device_reaches_only_check_in_and_its_acknowledgement() {
    let (chain, _) = clinic_with_a_lost_laptop();
    let routes = Routes::new(&chain);
    let laptop = key("dev-laptop");
    let before = routes.runtime.block_on(routes.server.app.server.state()).expect("state");
    for path in [
        "/v1/state",
        "/v1/push",
        "/v1/pull",
        "/v1/chain",
        "/v1/chain/append",
        "/v1/wraps",
        "/v1/wraps/mine",
        "/v1/vault",
        "/v1/vault/all",
        "/v1/audit",
        "/v1/audit/patient",
        "/v1/wipe-acks",
        "/v1/device-reports",
    ] {
        // A readable body where the route reads it before it authenticates.
        let body = match path {
            "/v1/chain" => 0u64.to_be_bytes().to_vec(),
            "/v1/chain/append" => ChainLinks { first: chain.links.len() as u64 + 1, links: Vec::new() }.encode(),
            _ => Vec::new(),
        };
        let (status, _) = routes.call(path, body, "laptop", Some(&laptop));
        assert_eq!(status, 401, "the lost laptop reached {path}");
    }
    let said = CheckInRequest { app_version: "0.1.0".into(), waiting: 2 }.encode();
    let (status, body) = routes.call("/v1/check-in", said.clone(), "laptop", Some(&laptop));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer = CheckIn::decode(&body).expect("an answer");
    assert!(answer.lease.is_none(), "a lost device was given a lease");
    assert_eq!(answer.links.links.len(), chain.links.len());
    let reports = || routes.runtime.block_on(routes.server.app.server.device_reports()).expect("reports");
    let noted = reports();
    // Revoked but not lost: nothing at all. A stranger, or no signature: nothing.
    assert_eq!(routes.call("/v1/check-in", said.clone(), "tablet", Some(&key("dev-tablet"))).0, 401);
    assert_eq!(routes.call("/v1/check-in", said.clone(), "laptop", Some(&key("stranger"))).0, 401);
    assert_eq!(routes.call("/v1/check-in", said.clone(), "laptop", None).0, 401);
    // Bad check-in bodies: a clean 4xx, and nothing noted.
    let mut long = CheckInRequest { app_version: "0.1.0".into(), waiting: 2 }.encode();
    long.push(1);
    for body in [Vec::new(), vec![9, 9, 9], said[..said.len() - 1].to_vec(), long] {
        let (status, answer) = routes.call("/v1/check-in", body, "laptop", Some(&laptop));
        assert!((400..500).contains(&status), "{status} {}", String::from_utf8_lossy(&answer));
    }
    let huge = vec![0; mamori_server::http::MAX_BODY_BYTES + 1];
    assert_eq!(routes.call("/v1/check-in", huge, "laptop", Some(&laptop)).0, 413);
    assert_eq!(reports(), noted, "a refused check-in was noted");
    assert_eq!(routes.runtime.block_on(routes.server.app.server.state()).expect("state"), before);
}

/// HOLDS: the server keeps a wipe report only from the lost device itself, signed with its key,
/// naming itself, this clinic and the link that ordered it; every other report and every bad body
/// is a clean 4xx that keeps nothing; a replayed request is refused and a second report does not
/// replace the first.
#[test]
fn only_the_lost_devices_own_report_is_kept_and_bad_bodies_change_nothing() {
    let (chain, wipe_link) = clinic_with_a_lost_laptop();
    let routes = Routes::new(&chain);
    let clinic = chain.root_pub();
    let laptop = key("dev-laptop");
    let genuine = ack(clinic, "laptop", wipe_link, 2).sign(&laptop);

    let refused: Vec<(&str, Signed, &str, SigningKey)> = vec![
        ("naming the tablet", ack(clinic, "tablet", wipe_link, 2).sign(&laptop), "laptop", key("dev-laptop")),
        ("naming another link", ack(clinic, "laptop", wipe_link - 1, 2).sign(&laptop), "laptop", key("dev-laptop")),
        ("naming another clinic", ack([9; 32], "laptop", wipe_link, 2).sign(&laptop), "laptop", key("dev-laptop")),
        (
            "signed by the desk's key",
            ack(clinic, "laptop", wipe_link, 0).sign(&key("dev-desk")),
            "laptop",
            key("dev-laptop"),
        ),
        ("sent by the desk (not lost)", genuine.clone(), "desk", key("dev-desk")),
        (
            "sent by the revoked tablet",
            ack(clinic, "tablet", wipe_link, 0).sign(&key("dev-tablet")),
            "tablet",
            key("dev-tablet"),
        ),
    ];
    for (what, signed, sender, signer) in refused {
        let (status, said) = routes.call("/v1/wipe-ack", signed.encode(), sender, Some(&signer));
        assert!((400..500).contains(&status), "{what}: {status} {}", String::from_utf8_lossy(&said));
    }
    let bytes = genuine.encode();
    let mut trailing = bytes.clone();
    trailing.push(0);
    let mut three = Signed { bytes: genuine.bytes.clone(), signature: genuine.signature.clone() }.encode();
    three.extend_from_slice(&[0, 0, 0, 0]);
    let mut bent = genuine.clone();
    bent.bytes.truncate(bent.bytes.len() - 1);
    let junk: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("junk", vec![9, 9, 9]),
        ("cut short", bytes[..bytes.len() / 2].to_vec()),
        ("with a byte after", trailing),
        ("with a blob after", three),
        ("a shortened report", bent.encode()),
        ("over the limit", vec![0; mamori_server::http::MAX_BODY_BYTES + 1]),
    ];
    for (what, body) in junk {
        let (status, said) = routes.call("/v1/wipe-ack", body, "laptop", Some(&laptop));
        assert!((400..500).contains(&status), "{what}: {status} {}", String::from_utf8_lossy(&said));
    }
    assert!(routes.acks().acks.is_empty(), "a refused report was kept");

    let (status, said) = routes.call("/v1/wipe-ack", genuine.encode(), "laptop", Some(&laptop));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&said));
    // The same request again is a replay.
    let counter = routes.counter.get();
    routes.counter.set(counter - 1);
    assert_eq!(routes.call("/v1/wipe-ack", genuine.encode(), "laptop", Some(&laptop)).0, 409, "a replay");
    routes.counter.set(counter + 1);
    let second = ack(clinic, "laptop", wipe_link, 0).sign(&laptop);
    let _ = routes.call("/v1/wipe-ack", second.encode(), "laptop", Some(&laptop));
    assert_eq!(routes.acks().acks, vec![genuine], "the first report was replaced or another kept");
    // Enrolled devices read the reports; the administrator's device checks them against the chain.
    let (status, body) = routes.call("/v1/wipe-acks", Vec::new(), "desk", Some(&key("dev-desk")));
    assert_eq!(status, 200);
    assert_eq!(WipeAcks::decode(&body).expect("reports").acks.len(), 1);
}

/// HOLDS: the new codecs refuse anything cut short, bent or padded without panicking: a check-in
/// answer, a report, a list of reports, a lease with a bad name.
#[test]
fn the_new_codecs_refuse_junk_without_panicking() {
    use rand::{Rng, SeedableRng};
    let server = key("server");
    let lease = Lease { clinic: [7; 32], device: "laptop".into(), chain_head: 3, issued_at: 5 }.sign(&server);
    let answer = CheckIn {
        links: ChainLinks { first: 1, links: vec![(b"l1".to_vec(), vec![1; 64])] },
        lease: Some(lease.clone()),
        server_key: server.verifying_key().to_bytes(),
    }
    .encode();
    let reports = WipeAcks { acks: vec![ack([7; 32], "laptop", 4, 1).sign(&key("dev-laptop"))] }.encode();
    let report = ack([7; 32], "laptop", 4, 1).sign(&key("dev-laptop")).encode();
    type Decoder = fn(&[u8]) -> bool;
    let cases: [(&Vec<u8>, Decoder); 3] = [
        (&answer, |b| CheckIn::decode(b).is_ok()),
        (&reports, |b| WipeAcks::decode(b).is_ok()),
        (&report, |b| Signed::decode(b).is_ok()),
    ];
    for (bytes, decodes) in cases {
        assert!(decodes(bytes));
        for cut in 0..bytes.len() {
            assert!(!decodes(&bytes[..cut]), "cut at {cut}");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(!decodes(&padded), "a byte after");
    }
    // Random bytes, and random bytes behind a valid version byte: no panic, and nothing taken
    // that does not re-encode to itself.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for i in 0..4000usize {
        let mut bytes: Vec<u8> = (0..(i % 300)).map(|_| rng.random()).collect();
        if i % 2 == 0 && !bytes.is_empty() {
            bytes[0] = answer[0];
        }
        if let Ok(read) = CheckIn::decode(&bytes) {
            assert_eq!(read.encode(), bytes);
        }
        if let Ok(read) = WipeAcks::decode(&bytes) {
            assert_eq!(read.encode(), bytes);
        }
        if let Ok(read) = Signed::decode(&bytes) {
            assert_eq!(read.encode(), bytes);
        }
    }
    // A lease naming no device, or a name over 64 bytes, does not open even when signed.
    for name_len in [0usize, 65, 255] {
        let mut bytes = b"mamori-lease-v1\0".to_vec();
        bytes.extend_from_slice(&[7; 32]);
        bytes.push(u8::try_from(name_len).expect("small"));
        bytes.extend(std::iter::repeat_n(b'a', name_len));
        bytes.extend_from_slice(&3u64.to_be_bytes());
        bytes.extend_from_slice(&5i64.to_be_bytes());
        let signature = ed25519_dalek::Signer::sign(&server, &bytes).to_bytes().to_vec();
        let signed = Signed { bytes, signature };
        assert!(Lease::open(&signed, &server.verifying_key().to_bytes()).is_err(), "a {name_len}-byte name");
    }
}
