//! Security review of the clinic-wide insider detector (`mamori_sync::clinic_audit`,
//! `clinic/alerts/clinic_wide.rs`, the server's `audit_batches` and `POST /v1/audit/batches`),
//! as (a) whoever holds the clinic server's database and (b) an insider with her own login, the
//! keyring and raw SQL on a computer she works at (which gives her that device's signing key).
//!
//! Tests marked `BROKE, FIXED` broke at the reviewed commit (4c05825: the attack worked) and
//! pass since the fix; `HOLDS` held from the start; `DOCUMENTS` pin down what does not hold yet
//! (docs/security-model.md, "What does not hold yet").
//!
//! The scene is `clinic_wide_alerts`'s: the doctor registers a public figure at the desk, joins
//! the home-visit laptop, and two days later opens the figure's chart there; the admin at the
//! desk fetches every device's audit batches from the server.

use chrono::Duration;
use ed25519_dalek::SigningKey;
use mamori_core::alerts::{AlertFilter, AlertStatus, AlertView};
use mamori_core::clinic::Clinic;
use mamori_core::clock::Clock;
use mamori_core::replication::audit_event_hash;
use mamori_sync::clinic_audit::{fetch_pages, MAX_FETCH_BYTES, MAX_PAGES};
use mamori_sync::http::pin::pinned_client_config;
use mamori_sync::wire::audit::AuditBatch;
use mamori_sync::wire::auth::{
    request_message, sign_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER, USER_HEADER, USER_SIGNATURE_HEADER,
};
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{AuditBatches, AuditBatchesRequest};
use rusqlite::Connection;
use serde_json::Value;

use crate::clinic_wide_alerts::{figure_and_laptop, opened_on_laptop, refresh};
use crate::sync_join::{demo_with_server, unlock_on, Clinic3, Computer, LAPTOP};

/// Every alert the admin's list holds now.
fn all_alerts(admin: &mut Clinic) -> Vec<AlertView> {
    admin.alerts(&AlertFilter { status: AlertStatus::All, ..AlertFilter::default() }).expect("the admin lists alerts")
}

/// The alerts naming `user` and `patient`.
fn naming(admin: &mut Clinic, user: &str, patient: &str) -> Vec<AlertView> {
    all_alerts(admin).into_iter().filter(|a| a.user == user && a.patients.iter().any(|p| p.id == patient)).collect()
}

/// The server's database as whoever holds it opens it, its append-only triggers dropped.
fn server_db(clinic: &Clinic3) -> Connection {
    let db = Connection::open(&clinic.server_db).expect("the server's database, opened directly");
    db.execute_batch("DROP TRIGGER audit_batches_are_never_updated; DROP TRIGGER audit_batches_are_never_deleted;")
        .expect("whoever holds the server's database drops the triggers");
    db
}

fn batches_of(db: &Connection, device: &str) -> Vec<(i64, Vec<u8>)> {
    let mut stmt = db.prepare("SELECT number, bytes FROM audit_batches WHERE device = ?1 ORDER BY number").expect("q");
    stmt.query_map([device], |r| Ok((r.get(0)?, r.get(1)?))).expect("rows").map(|r| r.expect("row")).collect()
}

fn plant(db: &Connection, device: &str, bytes: &[u8]) {
    db.execute(
        "INSERT INTO audit_batches (device, newest_at, bytes) VALUES (?1, ?2, ?3)",
        rusqlite::params![device, i64::MAX / 2, bytes],
    )
    .expect("planted");
}

/// The laptop's device key, as the doctor holds it: her own login there, with its keyring.
fn laptop_key(clinic: &Clinic3, laptop: &Computer, password: &str) -> SigningKey {
    let doctor = unlock_on(clinic, laptop, "doctor", password).expect("unlocks");
    let key = doctor.sync_keys(&laptop.keyring).expect("sync keys").device_keys.signing_key();
    doctor.logout().expect("logout");
    key
}

/// The laptop's newest batch as the server holds it, opened with its key.
fn newest_batch(db: &Connection, key: &SigningKey) -> AuditBatch {
    let public = key.verifying_key().to_bytes();
    batches_of(db, LAPTOP)
        .into_iter()
        .map(|(_, bytes)| AuditBatch::open(&bytes, |_| Some(public)).expect("a genuine batch"))
        .max_by_key(AuditBatch::last)
        .expect("the laptop shipped batches")
}

/// The laptop's genuine event opening `patient`.
fn access_event(batch: &AuditBatch, patient: &str) -> Value {
    batch
        .bodies
        .iter()
        .map(|b| serde_json::from_slice::<Value>(b).expect("json"))
        .find(|e| e["patient"] == patient && e["action"] == "read")
        .expect("the laptop's access to the chart")
}

/// A batch signed with `key` continuing `after`'s chain with `events` (each given its sequence).
fn continuing(after: &AuditBatch, key: &SigningKey, events: Vec<Value>) -> Vec<u8> {
    let mut prev = after.head;
    let first = after.last() + 1;
    let mut bodies = Vec::new();
    for (offset, mut event) in events.into_iter().enumerate() {
        event["seq"] = Value::from(first + offset as u64);
        let body = serde_json::to_vec(&event).expect("json");
        prev = audit_event_hash(&prev, &body);
        bodies.push(body);
    }
    let batch = AuditBatch {
        clinic: after.clinic,
        device: after.device.clone(),
        first,
        prev: Some(after.head),
        bodies,
        head: prev,
    };
    batch.sign(key).expect("signed")
}

/// `template` made another access: a new id, at `at`, by `user` in `role`.
fn access_by(template: &Value, user: &str, role: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    let mut event = template.clone();
    event["id"] = Value::from(uuid::Uuid::new_v4().to_string());
    event["user"] = Value::from(user);
    event["role"] = Value::from(role);
    event["at"] = Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    event
}

/// HOLDS: a server replaying every one of the laptop's batches again at later numbers, in
/// reverse order, changes nothing: no refusal, no hole, and the alert covers the same events.
#[test]
fn replayed_reordered_and_doubled_batches_change_nothing() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 3);
    let mut admin = clinic.site.login("admin");
    refresh(&clinic, &mut admin).expect("fetched");
    let before: Vec<Vec<String>> = naming(&mut admin, "doctor", &figure).into_iter().map(|a| a.events).collect();
    assert!(!before.is_empty(), "the laptop's access is an alert");

    let db = server_db(&clinic);
    for (_, bytes) in batches_of(&db, LAPTOP).into_iter().rev() {
        plant(&db, LAPTOP, &bytes);
        plant(&db, LAPTOP, &bytes);
    }
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert!(coverage.refused == 0 && coverage.gaps.is_empty(), "{coverage:?}");
    let after: Vec<Vec<String>> = naming(&mut admin, "doctor", &figure).into_iter().map(|a| a.events).collect();
    assert_eq!(after, before, "each event counted once");
    admin.logout().expect("logout");
}

/// HOLDS: the admin's own device's batches are never taken from the server (its own log is the
/// original): altered there, they are counted as refused and change nothing; genuine, they are
/// skipped and its device is named once.
#[test]
fn the_admins_own_batches_from_the_server_are_not_taken() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    let mut admin = clinic.site.login("admin");
    let me = admin.device_id().to_string();
    let honest = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(honest.devices.iter().filter(|d| **d == me).count(), 1, "{honest:?}");
    let alerts_before = all_alerts(&mut admin).len();

    let db = server_db(&clinic);
    let own = batches_of(&db, &me);
    assert!(!own.is_empty(), "the desk shipped its own audit");
    db.execute(
        "UPDATE audit_batches SET bytes = CAST(replace(bytes, '\"admin\"', '\"nurse\"') AS BLOB) WHERE device = ?1",
        [&me],
    )
    .expect("altered");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert!(coverage.refused >= 1, "the altered batches do not verify: {coverage:?}");
    assert_eq!(coverage.devices, honest.devices);
    assert_eq!(all_alerts(&mut admin).len(), alerts_before, "nothing of the desk's comes from the server");
    admin.logout().expect("logout");
}

/// HOLDS: a batch from a device the chain never enrolled, or signed with the laptop's own key
/// but naming another clinic, is refused.
#[test]
fn a_never_enrolled_device_or_another_clinics_batch_is_refused() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    let key = laptop_key(&clinic, &laptop, &password);
    let db = server_db(&clinic);
    let newest = newest_batch(&db, &key);

    let stranger = SigningKey::from_bytes(&[9; 32]);
    let mut foreign = newest.clone();
    foreign.device = "a-stranger-pc".into();
    plant(&db, "a-stranger-pc", &foreign.sign(&stranger).expect("signed"));
    let mut other_clinic = newest.clone();
    other_clinic.clinic = [7; 32];
    plant(&db, LAPTOP, &other_clinic.sign(&key).expect("signed"));

    let mut admin = clinic.site.login("admin");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(coverage.refused, 2, "{coverage:?}");
    assert!(!coverage.devices.iter().any(|d| d == "a-stranger-pc"));
    admin.logout().expect("logout");
}

/// BROKE, FIXED: the doctor, with the laptop's key (her login there and its keyring), signs a
/// batch continuing the laptop's chain in which the receptionist — who was never enrolled on the
/// laptop — opens the public figure, and one in which the nurse does so as a doctor (a role she
/// never held). At 4c05825 both became alerts naming them. Now an access counts only if the
/// chain let its user hold that role on that device: both are refused and counted.
/// DOCUMENTS: an access in the name of a colleague who may log in there (here the doctor's own
/// name would do) is still taken: the device's key vouches for it.
#[test]
fn a_device_key_cannot_frame_someone_the_chain_never_let_work_there() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    let key = laptop_key(&clinic, &laptop, &password);
    let db = server_db(&clinic);
    let newest = newest_batch(&db, &key);
    let template = access_event(&newest, &figure);
    let now = clinic.site.clock.now();
    let framed = vec![
        access_by(&template, "reception", "reception", now - Duration::hours(1)),
        access_by(&template, "nurse", "doctor", now - Duration::minutes(50)),
        access_by(&template, "nurse", "nurse", now - Duration::minutes(40)),
    ];
    plant(&db, LAPTOP, &continuing(&newest, &key, framed));

    let mut admin = clinic.site.login("admin");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert_eq!(coverage.refused, 2, "the receptionist's and the nurse-as-doctor's accesses: {coverage:?}");
    assert!(naming(&mut admin, "reception", &figure).is_empty(), "the receptionist is not framed");
    assert!(
        naming(&mut admin, "nurse", &figure).iter().all(|a| a.events.len() == 1),
        "only the nurse's access as a nurse, on a laptop enrolled for nurses, is taken"
    );
    admin.logout().expect("logout");
}

/// BROKE, FIXED: the doctor hides her access on the laptop from the clinic-wide view. With raw
/// SQL on the desk's database (her own login there) she appends to the desk's audit log an
/// innocent event (a logout) under the id of the laptop's event (she reads it in the laptop's
/// database the same way; here it is read from the server's). At 4c05825 the scan left out every
/// other device's event whose id the desk's own log held: the alert vanished with no hole and
/// no refusal. Now other devices' events are never matched against the own log's ids.
#[test]
fn an_event_id_copied_into_the_admins_own_log_does_not_hide_another_devices_access() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    let mut admin = clinic.site.login("admin");
    refresh(&clinic, &mut admin).expect("fetched");
    assert!(!naming(&mut admin, "doctor", &figure).is_empty(), "baseline: the laptop's access is an alert");
    let desk = admin.device_id().to_string();
    admin.logout().expect("logout");

    let key = laptop_key(&clinic, &laptop, &password);
    let newest = newest_batch(&server_db(&clinic), &key);
    let access = access_event(&newest, &figure);
    {
        let doctor = clinic.site.login("doctor");
        let sql = doctor.raw_sql_for_inspection().expect("raw SQL");
        let (seq, prev): (i64, Vec<u8>) = sql
            .query_row("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("the desk's head");
        let mut decoy = access.clone();
        decoy["seq"] = Value::from(seq + 1);
        decoy["device"] = Value::from(desk);
        decoy["action"] = Value::from("logout");
        decoy["patient"] = Value::Null;
        decoy["section"] = Value::Null;
        let body = serde_json::to_string(&decoy).expect("json");
        let hash = audit_event_hash(&prev, body.as_bytes());
        sql.execute(
            "INSERT INTO audit_events (seq, patient_id, user_name, body, hash) VALUES (?1, NULL, 'doctor', ?2, ?3)",
            rusqlite::params![seq + 1, body, hash.to_vec()],
        )
        .expect("her raw SQL runs");
        doctor.logout().expect("logout");
    }

    let mut admin = clinic.site.login("admin");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert!(coverage.refused == 0 && coverage.gaps.is_empty(), "{coverage:?}");
    let alerts = naming(&mut admin, "doctor", &figure);
    let id = access["id"].as_str().expect("id").to_string();
    assert!(alerts.iter().any(|a| a.events.contains(&id)), "the laptop's access is still an alert: {alerts:?}");
    admin.logout().expect("logout");
}

/// DOCUMENTS: a revoked device's key still signs batches the admin's device takes. The doctor
/// keeps the laptop's key; the admin revokes the laptop; whoever holds the server's database
/// plants a batch signed with that key, continuing its chain, dated after the revocation. It is
/// taken (no refusal, no hole) and scanned as an access on the laptop. (The server refuses such
/// a batch from the device itself; only one who also holds the server's database plants it.)
#[test]
fn a_revoked_devices_key_still_signs_batches_the_admin_takes() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 1);
    let key = laptop_key(&clinic, &laptop, &password);
    let mut admin = clinic.site.login("admin");
    admin.revoke_device(LAPTOP, 1_000).expect("revoked");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the revocation reaches the server");
    admin.logout().expect("logout");

    clinic.site.clock.advance(Duration::days(1));
    let db = server_db(&clinic);
    let newest = newest_batch(&db, &key);
    let template = access_event(&newest, &figure);
    let planted = access_by(&template, "doctor", "doctor", clinic.site.clock.now() - Duration::minutes(5));
    let id = planted["id"].as_str().expect("id").to_string();
    plant(&db, LAPTOP, &continuing(&newest, &key, vec![planted]));

    let mut admin = clinic.site.login("admin");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert!(coverage.refused == 0 && coverage.gaps.is_empty(), "{coverage:?}");
    let alerts = naming(&mut admin, "doctor", &figure);
    assert!(alerts.iter().any(|a| a.events.contains(&id)), "taken after the revocation: {alerts:?}");
    admin.logout().expect("logout");
}

/// DOCUMENTS: the server can leave out a device's earliest batches of the window (all of them
/// before the first it serves) with no hole shown: the first batch a device shows is taken to
/// start its window whatever its first sequence.
#[test]
fn the_server_can_leave_out_a_devices_earliest_batches_with_no_hole() {
    let clinic = demo_with_server();
    let (figure, laptop, password) = figure_and_laptop(&clinic);
    opened_on_laptop(&clinic, &laptop, &password, &figure, 3);
    let db = server_db(&clinic);
    let numbers: Vec<i64> = batches_of(&db, LAPTOP).into_iter().map(|(n, _)| n).collect();
    assert!(numbers.len() >= 4, "{numbers:?}");
    db.execute("DELETE FROM audit_batches WHERE device = ?1 AND number < ?2", rusqlite::params![LAPTOP, numbers[2]])
        .expect("held back");
    let mut admin = clinic.site.login("admin");
    let coverage = refresh(&clinic, &mut admin).expect("fetched");
    assert!(coverage.gaps.is_empty() && coverage.refused == 0, "no trace of it: {coverage:?}");
    assert!(coverage.devices.iter().any(|d| d == LAPTOP));
    admin.logout().expect("logout");
}

/// BROKE, FIXED: a server's pages must move forward. At 4c05825 a server answering the same
/// page with `more` forever kept the admin's device asking for a thousand pages and holding
/// every copy; one serving far more than six weeks could hold was cut off after a thousand pages
/// in silence (the batches past the cut missing, with no hole shown). Now a page that does not
/// move past the last, an empty page with more to come, a thousand pages, or more bytes than
/// [`MAX_FETCH_BYTES`] refuse the whole fetch.
#[test]
fn a_server_paging_forever_backwards_or_too_much_is_refused_whole() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let fetch = |pages: &dyn Fn(AuditBatchesRequest) -> AuditBatches| {
        let asked = std::cell::Cell::new(0usize);
        let result = runtime.block_on(fetch_pages(0, |request| {
            asked.set(asked.get() + 1);
            let page = pages(request);
            async move { Ok(page) }
        }));
        (result, asked.get())
    };
    // Honest: three pages.
    let (honest, asked) =
        fetch(&|r| AuditBatches { batches: vec![(r.after + 1, vec![1]), (r.after + 2, vec![2])], more: r.after < 4 });
    assert_eq!((honest.expect("honest").len(), asked), (6, 3));
    // The same page forever.
    let (same, asked) = fetch(&|_| AuditBatches { batches: vec![(5, vec![1])], more: true });
    assert!(same.is_err() && asked == 2, "asked {asked} times");
    // Numbers going back.
    let (back, _) = fetch(&|_| AuditBatches { batches: vec![(9, vec![1]), (3, vec![2])], more: false });
    assert!(back.is_err());
    // Empty, with more to come.
    let (empty, asked) = fetch(&|_| AuditBatches { batches: vec![], more: true });
    assert!(empty.is_err() && asked == 1);
    // Moving forward, but forever.
    let (endless, asked) = fetch(&|r| AuditBatches { batches: vec![(r.after + 1, vec![1])], more: true });
    assert!(endless.is_err() && asked == MAX_PAGES, "refused, not cut short: asked {asked}");
    // Too many bytes.
    let big = vec![0u8; 4 * 1024 * 1024];
    let (huge, asked) =
        fetch(&|r| AuditBatches { batches: (1..=16).map(|i| (r.after + i, big.clone())).collect(), more: true });
    assert!(huge.is_err() && asked <= MAX_FETCH_BYTES / (64 * 1024 * 1024) + 1, "asked {asked}");
}

/// HOLDS: the route wants the device's signature and an enabled administrator's over the same
/// request: a request the desk signs alone is refused, and the same admin-signed request sent
/// twice is refused the second time (the device's counter).
#[test]
fn the_route_refuses_a_request_without_an_admins_signature_and_a_replay() {
    let clinic = demo_with_server();
    let mut admin = clinic.site.login("admin");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the server learns the chain");
    let device = admin.device_id().to_string();
    let key = admin.sync_keys(&clinic.site.keyring).expect("keys").device_keys.signing_key();
    let path = "/v1/audit/batches";
    let body = AuditBatchesRequest { since: 0, after: 0 }.encode();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    let counter = u64::try_from(now.as_micros()).expect("fits") + 1_000_000;
    let send = |counter: u64, as_admin: bool| {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(pinned_client_config(clinic.server.pin).expect("tls"))
            .build()
            .expect("client");
        let mut request = client
            .post(format!("https://{}{path}", clinic.server.addr))
            .body(body.clone())
            .header(DEVICE_HEADER, &device)
            .header(COUNTER_HEADER, counter.to_string())
            .header(SIGNATURE_HEADER, sign_request(&key, "POST", path, &device, counter, &body));
        if as_admin {
            let message = request_message("POST", path, &device, counter, &body);
            let signature = admin.sign_server_request(&message).expect("signed");
            request = request.header(USER_HEADER, "admin").header(USER_SIGNATURE_HEADER, hex::encode(signature));
        }
        clinic.runtime.block_on(async { request.send().await.expect("answered").status().as_u16() })
    };
    assert_eq!(send(counter, false), 401, "the device alone");
    assert_eq!(send(counter + 1, true), 200, "the device and the administrator");
    assert_eq!(send(counter + 1, true), 409, "the same request again");
    admin.logout().expect("logout");
}
