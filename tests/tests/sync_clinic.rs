//! Story: the clinic's administrator enrolls the front-desk computer; the back-office server,
//! set up knowing only the clinic root key, learns from the membership chain which devices it
//! serves. The doctor registers a patient and writes a note, and the desk syncs: the server now
//! holds every change, and not one byte of the patient's name, phone or note. A link the server
//! (or whoever holds its database) plants in the chain is refused by the desk, and a device the
//! chain never enrolled is turned away.

use std::sync::Arc;

use mamori_core::clinic::Clinic;
use mamori_core::domain::{EncounterKind, Role, SoapText};
use mamori_core::vault::MemoryStore;
use mamori_server::http::App;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_story_tests::{contains, patient, Site};
use mamori_sync::session::sync_session;
use mamori_sync::Settings;

use crate::sync_over_http::{certificate, RunningServer};

const NAME: &str = "鈴木";
const PHONE: &str = "090-4321-8765";
const NOTE: &str = "咽頭発赤あり、アモキシシリン処方";

struct Clinic2 {
    site: Site<MemoryStore>,
    server: RunningServer,
    server_db: std::path::PathBuf,
    runtime: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
}

/// The clinic with its desk enrolled by the admin, and a server following its chain.
fn clinic_with_server() -> Clinic2 {
    let tmp = tempfile::tempdir().expect("tmp");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let mut admin = site.login("admin");
    admin.enroll_this_device(&site.keyring, vec![Role::Admin, Role::Doctor, Role::Nurse]).expect("enrolled");
    let root = *admin.membership().expect("chain").root();
    admin.logout().expect("logout");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let cert = certificate();
    let server_db = cert.0.path().join("server.db");
    let storage = SqliteStorage::open(&server_db).expect("server db");
    let server = runtime.block_on(async {
        let clinic = ClinicServer::following_chain(storage, root).await.expect("server");
        crate::sync_over_http::serve_app(Arc::new(App::new(clinic)), &cert).await
    });
    Clinic2 { site, server, server_db, runtime, _tmp: tmp }
}

impl Clinic2 {
    fn sync(&self, session: &mut Clinic) -> mamori_sync::Result<mamori_sync::session::SessionReport> {
        let transport = crate::sync_over_http::transport_for(&self.server, session, &self.site.keyring);
        self.runtime.block_on(sync_session(
            session,
            &self.site.keyring,
            &transport,
            Settings::default(),
            &mut |_, _| {},
        ))
    }
}

#[test]
fn the_desk_syncs_and_the_server_holds_every_change_and_no_patient_content() {
    let clinic = clinic_with_server();
    let mut doctor = clinic.site.login("doctor");
    let registered = doctor
        .register_patient(&patient("000777", (NAME, "一郎"), ("スズキ", "イチロウ"), "1961-04-02", PHONE))
        .expect("registered");
    let visit = doctor.open_encounter(registered.id, EncounterKind::Outpatient).expect("visit");
    let text =
        SoapText { subjective: NOTE.into(), objective: String::new(), assessment: String::new(), plan: String::new() };
    doctor.write_note(visit.id, text).expect("note");

    let first = clinic.sync(&mut doctor).expect("the first sync");
    assert!(first.links_given > 0, "the desk gave the server the chain that enrolls it");
    assert!(first.round.pushed > 3, "and its changes: {first:?}");
    let again = clinic.sync(&mut doctor).expect("a second sync");
    assert_eq!((again.links_given, again.round.pushed, again.round.waiting), (0, 0, 0), "nothing twice");
    let held = clinic.runtime.block_on(clinic.server.app.server.state()).expect("state");
    let desk = doctor.device_id().to_owned();
    assert_eq!(held.frontier.seq(&desk), first.round.pushed, "the server holds every change the desk sent");

    drop(doctor);
    let bytes = std::fs::read(&clinic.server_db).expect("server database");
    let wal = std::fs::read(clinic.server_db.with_extension("db-wal")).unwrap_or_default();
    for secret in [NAME, PHONE, NOTE, "アモキシシリン", "スズキ"] {
        assert!(
            !contains(&bytes, secret.as_bytes()) && !contains(&wal, secret.as_bytes()),
            "the server holds {secret}"
        );
    }
}

#[test]
fn a_link_planted_in_the_servers_chain_is_refused_by_the_desk() {
    let clinic = clinic_with_server();
    let mut admin = clinic.site.login("admin");
    clinic.sync(&mut admin).expect("the chain reaches the server");
    let head = admin.membership().expect("chain").head().0;

    // Whoever holds the server's database appends a link enrolling a device of their own, signed
    // by a key of their own (the server holds no administrator's key).
    let intruder = ed25519_dalek::SigningKey::from_bytes(&[0x66; 32]);
    let root = *admin.membership().expect("chain").root();
    let (_, prev) = admin.membership().expect("chain").head();
    let planted = mamori_core::chain::Link::sign(
        &root,
        head + 1,
        &prev,
        mamori_core::chain::Statement::InviteDevice {
            device: "rogue".into(),
            roles: vec![Role::Doctor],
            invite_key: intruder.verifying_key().to_bytes(),
            vouches_history: false,
        },
        &intruder,
    )
    .expect("signed");
    let conn = rusqlite::Connection::open(&clinic.server_db).expect("server db");
    conn.execute(
        "INSERT INTO chain_links (seq, body, signature) VALUES (?1, ?2, ?3)",
        rusqlite::params![head as i64 + 1, planted.body, planted.signature],
    )
    .expect("planted");

    // The server itself verifies what its database holds and stops serving rather than pass it on.
    let refused = clinic.sync(&mut admin).expect_err("no sync over a planted chain");
    assert!(refused.to_string().contains("500"), "{refused}");
    // And were it passed on, the desk verifies every link against the clinic root itself.
    let taken = admin.adopt_chain_links(head + 1, vec![planted]);
    assert!(matches!(taken, Err(mamori_core::Error::ChainBroken { .. })), "{taken:?}");
    assert_eq!(admin.membership().expect("chain").head().0, head, "the desk's chain is unchanged");
    assert!(admin.membership().expect("chain").devices().get("rogue").is_none());
}

#[test]
fn every_devices_audit_reaches_the_server_and_the_admins_report_covers_it() {
    let clinic = clinic_with_server();
    let mut doctor = clinic.site.login("doctor");
    let registered = doctor
        .register_patient(&patient("000778", (NAME, "二郎"), ("スズキ", "ジロウ"), "1970-01-02", PHONE))
        .expect("registered");
    doctor.chart(registered.id).expect("the doctor opens the chart");
    let first = clinic.sync(&mut doctor).expect("sync");
    assert!(first.audit_shipped > 0, "the desk's audit events went to the server");
    let again = clinic.sync(&mut doctor).expect("sync again");
    assert_eq!(again.audit_shipped, 0, "nothing shipped twice");

    let transport = crate::sync_over_http::transport_for(&clinic.server, &doctor, &clinic.site.keyring);
    let patient_id = registered.id.to_string();
    // A doctor is not an administrator: her signature does not open the clinic-wide audit.
    let signer = |m: &[u8]| doctor.sign_server_request(m).map_err(mamori_sync::Error::from);
    let refused = clinic.runtime.block_on(transport.audit_for_patient(&patient_id, ("doctor", &signer)));
    assert!(refused.expect_err("not an admin").to_string().contains("403"));
    drop(doctor);

    let admin = clinic.site.login("admin");
    let signer = |m: &[u8]| admin.sign_server_request(m).map_err(mamori_sync::Error::from);
    let report = clinic.runtime.block_on(transport.audit_for_patient(&patient_id, ("admin", &signer))).expect("report");
    let opened = report.events.iter().any(|(device, _, body)| {
        let event: serde_json::Value = serde_json::from_slice(body).expect("JSON");
        device == admin.device_id() && event["user"] == "doctor" && event["action"] == "read"
    });
    assert!(opened, "the report shows the doctor opening the chart on the desk: {:?}", report.events.len());
    // Someone else's name on the admin's signature is refused too.
    let forged = clinic.runtime.block_on(transport.audit_for_patient(&patient_id, ("nurse", &signer)));
    assert!(forged.is_err());
}

#[test]
fn an_audit_event_rewritten_after_it_was_shipped_is_found_at_the_next_sync() {
    let clinic = clinic_with_server();
    let mut doctor = clinic.site.login("doctor");
    clinic.sync(&mut doctor).expect("the audit so far reaches the server");
    // The insider drops the append-only trigger, rewrites an event already shipped, and
    // recomputes every later hash so that the chain verifies on this computer.
    let conn = doctor.raw_sql_for_inspection().expect("raw SQL");
    conn.execute_batch("DROP TRIGGER audit_events_are_never_updated;").expect("trigger dropped");
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, body FROM audit_events ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut previous: Vec<u8> = Vec::new();
    for (seq, body) in rows {
        let body = if seq == 2 { body.replace("doctor", "nurse") } else { body };
        let hash = mamori_core::replication::audit_event_hash(&previous, body.as_bytes());
        conn.execute(
            "UPDATE audit_events SET body = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![body, &hash[..], seq],
        )
        .expect("rewritten");
        previous = hash.to_vec();
    }
    let refused = clinic.sync(&mut doctor).expect_err("the rewrite is found");
    assert!(refused.to_string().contains("audit"), "{refused}");
}
