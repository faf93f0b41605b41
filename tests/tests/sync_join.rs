//! Story: the clinic's administrator invites the home-visit laptop with a one-time code (shown as
//! text and QR); on the laptop, the doctor joins with the code, her password and her Secret Key,
//! and after the front desk has passed the clinic data key on, the laptop holds every chart —
//! over real HTTPS, with a server that can read none of it. The doctor's home-visit note reaches
//! the desk, where the receptionist's session stores and carries it without being able to read
//! it, and the doctor reads it there later. Her password change travels as a new vault record.

use std::sync::Arc;

use mamori_core::clinic::{Clinic, DataDir, JoinCode};
use mamori_core::clock::Clock as _;
use mamori_core::domain::{EncounterKind, Role, SoapText};
use mamori_core::secret::Password;
use mamori_core::vault::vault_record::SecretKey;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_server::http::App;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_story_tests::{contains, patient, totp_code, Site};
use mamori_sync::join::{join_clinic, FirstLogin};
use mamori_sync::session::{sync_session, SessionReport};
use mamori_sync::Settings;

use crate::sync_over_http::{certificate, RunningServer};

pub(crate) const LAPTOP: &str = "home-visit-laptop";
const DESK_NOTE: &str = "外来所見・膝関節痛み持続";
const VISIT_NOTE: &str = "往診所見・下肢浮腫軽度";

pub(crate) struct Clinic3 {
    pub(crate) site: Site<MemoryStore>,
    pub(crate) server: RunningServer,
    pub(crate) runtime: tokio::runtime::Runtime,
    /// The server's SQLite file, for stories where someone edits it behind the server's back.
    pub(crate) server_db: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

/// A new computer: its own folder and its own keyring.
pub(crate) struct Computer {
    pub(crate) dir: DataDir,
    pub(crate) keyring: MemoryStore,
    _tmp: tempfile::TempDir,
}

impl Computer {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp");
        Self { dir: DataDir::new(tmp.path().join("clinic")), keyring: MemoryStore::default(), _tmp: tmp }
    }
}

/// The demo clinic (its computer enrolled) and a server following its chain.
pub(crate) fn demo_with_server() -> Clinic3 {
    let tmp = tempfile::tempdir().expect("tmp");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 3, 7);
    let root = hex::decode(&site.demo.as_ref().expect("demo").clinic_root).expect("hex");
    let root: [u8; 32] = root.try_into().expect("32 bytes");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let cert = certificate();
    let server_db = cert.0.path().join("server.db");
    let storage = SqliteStorage::open(&server_db).expect("server db");
    let server = runtime.block_on(async {
        let clinic = ClinicServer::following_chain(storage, root).await.expect("server");
        crate::sync_over_http::serve_app(Arc::new(App::new(clinic)), &cert).await
    });
    Clinic3 { site, server, runtime, server_db, _tmp: tmp }
}

impl Clinic3 {
    pub(crate) fn url(&self) -> String {
        format!("https://{}", self.server.addr)
    }

    pub(crate) fn sync(&self, session: &mut Clinic, keyring: &MemoryStore) -> mamori_sync::Result<SessionReport> {
        let transport = crate::sync_over_http::transport_for(&self.server, session, keyring);
        self.runtime.block_on(sync_session(session, keyring, &transport, Settings::default(), &mut |_, _| {}))
    }

    pub(crate) fn secret_key(&self, user: &str) -> SecretKey {
        let demo = self.site.demo.as_ref().expect("demo");
        let text = &demo.users.iter().find(|u| u.name == user).expect("demo user").secret_key;
        SecretKey::parse(text).expect("the demo printed a Secret Key")
    }

    pub(crate) fn join(
        &self,
        computer: &Computer,
        code: &str,
        user: &str,
        password: &str,
    ) -> mamori_sync::Result<Clinic> {
        let code = JoinCode::parse(code)?;
        let login = FirstLogin { user, password: &Password::new(password), secret_key: &self.secret_key(user) };
        let clock = Box::new(self.site.clock.clone());
        self.runtime.block_on(join_clinic(&computer.dir, &computer.keyring, clock, &code, login))
    }

    /// The admin, at the desk, invites the laptop for the clinical roles and syncs the link.
    pub(crate) fn invite_laptop(&self) -> String {
        let mut admin = self.site.login("admin");
        self.sync(&mut admin, &self.site.keyring).expect("the desk syncs");
        let code = admin
            .invite_device(LAPTOP, vec![Role::Doctor, Role::Nurse], &self.url(), self.server.pin)
            .expect("invited");
        self.sync(&mut admin, &self.site.keyring).expect("the link reaches the server");
        code.to_text().to_string()
    }
}

fn note(text: &str) -> SoapText {
    SoapText { subjective: text.into(), objective: String::new(), assessment: String::new(), plan: String::new() }
}

/// Logs `user` in on `computer` as on any other: password and the authenticator's code.
pub(crate) fn unlock_on(
    clinic: &Clinic3,
    computer: &Computer,
    user: &str,
    password: &str,
) -> mamori_core::Result<Clinic> {
    unlock(clinic, (&computer.dir, &computer.keyring), user, password)
}

fn unlock(
    clinic: &Clinic3,
    (dir, keyring): (&DataDir, &MemoryStore),
    user: &str,
    password: &str,
) -> mamori_core::Result<Clinic> {
    clinic.site.clock.advance(chrono::Duration::seconds(30));
    let code = totp_code(&clinic.site.totp_secret(user), clinic.site.clock.now());
    Clinic::unlock(
        dir,
        keyring,
        Box::new(clinic.site.clock.clone()),
        user,
        &Password::new(password),
        &mamori_core::auth::SecondFactor::Totp(code),
    )
}

#[test]
fn a_doctor_joins_the_laptop_with_a_code_and_her_secret_key_and_works_on_every_chart() {
    let clinic = demo_with_server();
    // Before the laptop exists: a chart with a note, written at the desk.
    let mut doctor = clinic.site.login("doctor");
    let p = doctor
        .register_patient(&patient("7001", ("往診", "花子"), ("オウシン", "ハナコ"), "1944-03-03", ""))
        .expect("p");
    let visit = doctor.open_encounter(p.id, EncounterKind::Outpatient).expect("visit");
    doctor.write_note(visit.id, note(DESK_NOTE)).expect("note");
    clinic.sync(&mut doctor, &clinic.site.keyring).expect("the desk syncs");
    doctor.logout().expect("logout");
    let code = clinic.invite_laptop();

    let laptop = Computer::new();
    let password = clinic.site.password("doctor");
    let mut on_laptop = clinic.join(&laptop, &code, "doctor", &password).expect("the doctor joins the laptop");
    // The laptop holds no clinic data key until a device holding it passes it on.
    let waiting = clinic.sync(&mut on_laptop, &laptop.keyring);
    assert!(matches!(waiting, Err(mamori_sync::Error::UnknownDataKey(_))), "{waiting:?}");
    let mut admin = clinic.site.login("admin");
    let passed = clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk syncs");
    assert_eq!(passed.wraps_given, 1, "the desk wrapped the data key to the laptop: {passed:?}");
    admin.logout().expect("logout");
    let first = clinic.sync(&mut on_laptop, &laptop.keyring).expect("the laptop's first sync");
    assert_eq!(first.data_keys_taken, 1);
    assert!(first.round.pulled.applied > 10, "{first:?}");
    assert_eq!(first.round.pulled.set_aside, 0, "{first:?}");
    let chart = on_laptop.chart(p.id).expect("the doctor opens the chart on the laptop");
    let notes = chart.notes.expect("the doctor reads notes");
    assert!(notes.iter().any(|n| n.text.subjective == DESK_NOTE), "the desk's note is readable on the laptop");

    // On a home visit: a note written on the laptop reaches the desk.
    let visit = on_laptop.open_encounter(p.id, EncounterKind::HomeVisit).expect("home visit");
    on_laptop.write_note(visit.id, note(VISIT_NOTE)).expect("visit note");
    let pushed = clinic.sync(&mut on_laptop, &laptop.keyring).expect("the laptop syncs");
    assert!(pushed.round.pushed >= 2, "{pushed:?}");
    on_laptop.logout().expect("logout");

    // At the desk only the receptionist is logged in: her session takes the sealed note in,
    // and cannot read it.
    let mut reception = clinic.site.login("reception");
    let pulled = clinic.sync(&mut reception, &clinic.site.keyring).expect("the desk syncs as reception");
    assert!(pulled.round.pulled.applied >= 2, "{pulled:?}");
    assert_eq!(pulled.round.pulled.set_aside, 0, "{pulled:?}");
    assert!(matches!(reception.chart(p.id).map(|c| c.notes), Ok(None) | Err(Error::SealedSection { .. })));
    let raw = reception.raw_sql_for_inspection().expect("raw SQL");
    let bodies: Vec<Vec<u8>> = raw
        .prepare("SELECT CAST(body AS BLOB) FROM changes UNION ALL SELECT CAST(body AS BLOB) FROM notes")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("bodies");
    assert!(!bodies.iter().any(|b| contains(b, VISIT_NOTE.as_bytes())), "the visit note is readable with raw SQL");
    reception.logout().expect("logout");
    let mut doctor = clinic.site.login("doctor");
    let notes = doctor.chart(p.id).expect("chart").notes.expect("notes");
    assert!(notes.iter().any(|n| n.text.subjective == VISIT_NOTE), "the doctor reads the home-visit note at the desk");
    doctor.logout().expect("logout");

    // The laptop unlocks like any device, offline, with the same authenticator.
    let again = unlock(&clinic, (&laptop.dir, &laptop.keyring), "doctor", &password)
        .expect("the doctor logs in on the laptop again");
    assert_eq!(again.user().role, Role::Doctor);
}

#[test]
fn a_join_needs_the_right_code_password_and_secret_key_and_leaves_nothing_when_refused() {
    let clinic = demo_with_server();
    let code = clinic.invite_laptop();
    let password = clinic.site.password("doctor");

    let laptop = Computer::new();
    let wrong = clinic.join(&laptop, &code, "doctor", "not-her-password-1");
    assert!(matches!(wrong, Err(mamori_sync::Error::Core(Error::WrongPassword))), "{wrong:?}");
    assert!(!laptop.dir.key_file().exists() && !laptop.dir.database().exists(), "a refused join left files");
    let reception = clinic.join(&laptop, &code, "reception", &clinic.site.password("reception"));
    assert!(matches!(reception, Err(mamori_sync::Error::Core(Error::JoinRefused(_)))), "{reception:?}");
    // The same computer tries again with the right password: its acceptance is already in the
    // chain, and it goes on from there.
    let joined = clinic.join(&laptop, &code, "doctor", &password).expect("joined on the second try");
    drop(joined);

    // The code is spent: another computer holding it cannot take the laptop's place (the server
    // no longer answers the code's key, and the chain holds no open invitation for it).
    let thief = Computer::new();
    let stolen = clinic.join(&thief, &code, "doctor", &password);
    assert!(stolen.is_err() && !thief.dir.key_file().exists(), "{stolen:?}");
    // A code that never came from the admin (same server and clinic, another secret) is refused.
    let mut forged: Vec<char> = code.chars().collect();
    forged[8] = if forged[8] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    JoinCode::parse(&forged).expect("a well-formed code");
    let elsewhere = Computer::new();
    let refused = clinic.join(&elsewhere, &forged, "doctor", &password);
    assert!(refused.is_err() && !elsewhere.dir.key_file().exists(), "a forged code joined: {refused:?}");
}

#[test]
fn a_password_changed_on_one_device_travels_as_a_new_vault_record() {
    let clinic = demo_with_server();
    let code = clinic.invite_laptop();
    let old = clinic.site.password("doctor");
    let laptop = Computer::new();
    let mut on_laptop = clinic.join(&laptop, &code, "doctor", &old).expect("joined");
    let new = "a-new-long-password-for-visits";
    on_laptop.change_password(&laptop.keyring, &Password::new(&old), &Password::new(new)).expect("changed");
    let given = clinic.sync(&mut on_laptop, &laptop.keyring);
    // The laptop has no data key yet; the vault records were shared before the changes.
    assert!(given.is_err());
    let mut reception = clinic.site.login("reception");
    let taken = clinic.sync(&mut reception, &clinic.site.keyring).expect("the desk syncs");
    assert_eq!(taken.vault_records_taken, 1, "the desk took the doctor's new record: {taken:?}");

    // The receptionist (or the server) seals a "doctor" record of her own, with a password she
    // knows: the server keeps it not, and no device takes it.
    let forged_secrets = mamori_core::vault::vault_record::VaultSecrets {
        user_key: mamori_core::vault::UserKeyPair::generate().expect("key"),
        second_factor: None,
        clinical_keys: Default::default(),
    };
    let forged = mamori_core::vault::vault_record::VaultRecord::seal(
        "doctor",
        99,
        &forged_secrets,
        &Password::new("known-to-reception-1"),
        &SecretKey::generate().expect("key"),
    )
    .expect("sealed");
    let transport = crate::sync_over_http::transport_for(&clinic.server, &reception, &clinic.site.keyring);
    let offered =
        mamori_sync::wire::VaultRecords { records: vec![(forged.bytes().to_vec(), forged.signature().to_vec())] };
    assert_eq!(clinic.runtime.block_on(transport.put_vault_records(&offered)).expect("answered"), 0);
    assert!(reception.take_vault_record(&forged).is_err(), "the desk took a record its user never signed");
    reception.logout().expect("logout");

    // At the desk, her next login with the new password works, and from then on only it does.
    let desk = (&clinic.site.dir, &clinic.site.keyring);
    unlock(&clinic, desk, "doctor", &old)
        .expect("until she uses it, the old password still opens the desk")
        .logout()
        .expect("logout");
    let mut at_desk = unlock(&clinic, desk, "doctor", new).expect("the new password opens the desk");
    assert_eq!(at_desk.user().role, Role::Doctor);
    assert!(at_desk.pending_recipients().is_ok(), "a working clinical session");
    at_desk.logout().expect("logout");
    let old_refused = unlock(&clinic, desk, "doctor", &old);
    assert!(matches!(old_refused, Err(Error::WrongPassword)), "{old_refused:?}");

    // A third computer joins with the new password; the old one no longer opens her record.
    let mut admin = clinic.site.login("admin");
    let tablet_code =
        admin.invite_device("tablet", vec![Role::Doctor], &clinic.url(), clinic.server.pin).expect("invited");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the link reaches the server");
    let tablet_code = tablet_code.to_text().to_string();
    let tablet = Computer::new();
    let refused = clinic.join(&tablet, &tablet_code, "doctor", &old);
    assert!(matches!(refused, Err(mamori_sync::Error::Core(Error::WrongPassword))), "{refused:?}");
    clinic.join(&tablet, &tablet_code, "doctor", new).expect("the new password opens the record");
}

/// A server that is not the clinic's (here: another clinic's, whose certificate the code was made
/// with) cannot pass its own chain off as the clinic's: the joining computer verifies the chain
/// from the clinic root in the code, and makes nothing.
#[test]
fn a_server_cannot_pass_off_another_clinics_chain_to_a_joining_computer() {
    let ours = demo_with_server();
    let theirs = demo_with_server();
    let mut their_admin = theirs.site.login("admin");
    theirs.sync(&mut their_admin, &theirs.site.keyring).expect("their desk syncs");
    let mut admin = ours.site.login("admin");
    ours.sync(&mut admin, &ours.site.keyring).expect("our desk syncs");
    let code = admin
        .invite_device(LAPTOP, vec![Role::Doctor], &theirs.url(), theirs.server.pin)
        .expect("invited")
        .to_text()
        .to_string();
    let laptop = Computer::new();
    let refused = ours.join(&laptop, &code, "doctor", &ours.site.password("doctor"));
    assert!(refused.is_err() && !laptop.dir.key_file().exists(), "joined through another clinic's server: {refused:?}");

    // Were that server to answer, the chain it gives does not start from the code's clinic root.
    let their_links = ours.runtime.block_on(theirs.server.app.server.chain_after(0)).expect("their chain");
    let their_links: Vec<mamori_core::chain::Link> = their_links
        .links
        .into_iter()
        .map(|(body, signature)| mamori_core::chain::Link::from_parts(body, signature))
        .collect();
    let record = ours.runtime.block_on(ours.server.app.server.vault_records()).expect("records");
    let (bytes, signature) = record.records.into_iter().next().expect("a record");
    let record = mamori_core::vault::vault_record::VaultRecord::from_parts(bytes, &signature).expect("record");
    let joined = Clinic::join(
        &laptop.dir,
        &laptop.keyring,
        Box::new(ours.site.clock.clone()),
        &JoinCode::parse(&code).expect("code"),
        &their_links,
        &record,
        &Password::new(ours.site.password(record.user())),
        &ours.secret_key(record.user()),
    );
    assert!(matches!(joined, Err(Error::ChainBroken { .. })), "{joined:?}");
    assert!(!laptop.dir.key_file().exists());
}
