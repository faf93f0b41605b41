//! Story: the clinic server runs in the back office over HTTPS with its own certificate; the
//! front desk writes, syncs, and the doctor's laptop receives it. Anything that is not an
//! enrolled device's fresh, signed request — a stranger, a replay, a forged signature, a body too
//! large or unreadable, a server with another certificate — is refused and changes nothing.
//! Each story runs on SQLite and PostgreSQL, and with two server processes on one database (the
//! desk talking to one, the laptop to the other).

use std::net::SocketAddr;
use std::sync::Arc;

use mamori_core::replication;
use mamori_core::OpenBody;
use mamori_server::http::{self, App};
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_sync::http::pin::pinned_client_config;
use mamori_sync::http::HttpTransport;
use mamori_sync::wire::auth::{sign_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER};
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{Hash32, PushRequest, ServerState};
use mamori_sync::{DeviceIdentity, Engine, Settings, Transport};
use rusqlite::Connection;

use mamori_story_tests::sync_fixture::{data_key, device_key, user_key, Keys, CLINIC};

pub struct RunningServer<S = SqliteStorage> {
    pub addr: SocketAddr,
    pub pin: Hash32,
    pub app: Arc<App<S>>,
    _dir: Arc<tempfile::TempDir>,
}

/// The certificate folder a server process is given (two processes of one clinic share it).
pub fn certificate() -> (Arc<tempfile::TempDir>, Hash32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pin = http::tls::create(dir.path(), &["127.0.0.1".to_string()]).expect("certificate");
    (Arc::new(dir), pin)
}

/// A server process for `devices` on a free port over `storage`, with the certificate in `dir`.
/// Call inside the runtime that will run it.
pub async fn serve_on<S: mamori_server::http::Backend>(
    storage: S,
    (dir, pin): &(Arc<tempfile::TempDir>, Hash32),
    devices: &[&str],
) -> RunningServer<S> {
    let keys = Keys { devices: devices.iter().map(|d| d.to_string()).collect() };
    let app = Arc::new(App::new(ClinicServer::new(storage, CLINIC, Box::new(keys))));
    serve_app(app, &(Arc::clone(dir), *pin)).await
}

/// Serves `app` on a free port with the certificate in `dir`. Call inside the runtime.
pub async fn serve_app<S: mamori_server::http::Backend>(
    app: Arc<App<S>>,
    (dir, pin): &(Arc<tempfile::TempDir>, Hash32),
) -> RunningServer<S> {
    let addr = mamori_story_tests::serving::serve(Arc::clone(&app), dir.path(), pin).await;
    RunningServer { addr, pin: *pin, app, _dir: Arc::clone(dir) }
}

/// A SQLite server for `devices` on a free port, in a fresh folder, run by `runtime`.
pub fn start_server(runtime: &tokio::runtime::Runtime, devices: &[&str]) -> RunningServer {
    let certificate = certificate();
    let storage = SqliteStorage::open(&certificate.0.path().join("server.db")).expect("db");
    runtime.block_on(serve_on(storage, &certificate, devices))
}

pub fn replica(dir: &std::path::Path, device: &str) -> (Connection, DeviceIdentity) {
    let mut conn = Connection::open(dir.join(format!("{device}.db"))).expect("open");
    replication::testing::migrate(&mut conn).expect("migrate");
    let identity = DeviceIdentity {
        clinic: CLINIC,
        device: device.into(),
        signing_key: device_key(device),
        data_keys: vec![data_key(1)],
    };
    (conn, identity)
}

/// The transport a real session's device uses: its name and its key from its device secret.
pub fn transport_for<S>(
    server: &RunningServer<S>,
    session: &mamori_core::clinic::Clinic,
    secrets: &dyn mamori_core::vault::DeviceSecretStore,
) -> HttpTransport {
    let keys = session.sync_keys(secrets).expect("sync keys");
    HttpTransport::new(
        &format!("https://{}", server.addr),
        server.pin,
        session.device_id(),
        keys.device_keys.signing_key(),
    )
    .expect("client")
}

pub fn transport<S>(server: &RunningServer<S>, device: &str) -> HttpTransport {
    HttpTransport::new(&format!("https://{}", server.addr), server.pin, device, device_key(device)).expect("client")
}

fn setting(conn: &mut Connection, device: &str, value: &str) {
    let body = OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: value.into() };
    let hlc = replication::Hlc { wall_ms: 1_790_000_000_000 + value.len() as i64, counter: 0 };
    replication::testing::write_open(conn, "admin", &user_key("admin"), device, hlc, body).expect("write");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Runs `story(a, b)` over HTTPS on every backend: `a` and `b` one server process, then two
/// processes on one database.
macro_rules! over_https_on_every_backend {
    ($story:ident) => {{
        use $crate::server_storage::backend::{on_postgres, on_sqlite, Database as _};
        on_sqlite("SQLite", |db| async move {
            let cert = certificate();
            let a = serve_on(db.open().await, &cert, DEVICES).await;
            $story(&a, &a).await
        });
        on_sqlite("two SQLite server processes on one file", |db| async move {
            let cert = certificate();
            let a = serve_on(db.open().await, &cert, DEVICES).await;
            let b = serve_on(db.open().await, &cert, DEVICES).await;
            $story(&a, &b).await
        });
        on_postgres("PostgreSQL", |db| async move {
            let cert = certificate();
            let a = serve_on(db.open().await, &cert, DEVICES).await;
            $story(&a, &a).await
        });
        on_postgres("two PostgreSQL server processes on one schema", |db| async move {
            let cert = certificate();
            let a = serve_on(db.open().await, &cert, DEVICES).await;
            let b = serve_on(db.open().await, &cert, DEVICES).await;
            $story(&a, &b).await
        });
    }};
}

const DEVICES: &[&str] = &["desk", "laptop"];

async fn round<S>(server: &RunningServer<S>, conn: &mut Connection, me: &DeviceIdentity) -> mamori_sync::RoundReport {
    let keys = Keys { devices: DEVICES.iter().map(|d| d.to_string()).collect() };
    let engine =
        Engine { transport: transport(server, &me.device), me, directory: &keys, settings: Settings::default() };
    engine.round(conn, &mut |_, _| {}).await.expect("round")
}

#[test]
fn a_change_at_the_front_desk_reaches_the_laptop_over_https() {
    over_https_on_every_backend!(front_desk_to_laptop);
}

async fn front_desk_to_laptop<S>(desk_server: &RunningServer<S>, laptop_server: &RunningServer<S>) {
    let dir = tempfile::tempdir().expect("dir");
    let (mut desk, desk_id) = replica(dir.path(), "desk");
    let (mut laptop, laptop_id) = replica(dir.path(), "laptop");
    setting(&mut desk, "desk", "25");

    let pushed = round(desk_server, &mut desk, &desk_id).await;
    assert_eq!((pushed.sealed, pushed.pushed, pushed.waiting), (1, 1, 0));
    let pulled = round(laptop_server, &mut laptop, &laptop_id).await;
    assert_eq!(pulled.pulled.applied, 1);
    assert_eq!(replication::state_digest(&laptop).expect("digest"), replication::state_digest(&desk).expect("digest"));
    setting(&mut laptop, "laptop", "30");
    round(laptop_server, &mut laptop, &laptop_id).await;
    let back = round(desk_server, &mut desk, &desk_id).await;
    assert_eq!(back.pulled.applied, 1, "and the laptop's answer reaches the desk");
    let again = round(laptop_server, &mut laptop, &laptop_id).await;
    assert_eq!((again.pulled.held, again.pushed), (0, 0), "a further round moves nothing");
    assert_eq!(replication::state_digest(&laptop).expect("digest"), replication::state_digest(&desk).expect("digest"));
}

#[test]
fn a_server_with_another_certificate_is_refused() {
    let runtime = runtime();
    let server = start_server(&runtime, &["desk"]);
    let impostor = HttpTransport::new(&format!("https://{}", server.addr), [0xEE; 32], "desk", device_key("desk"))
        .expect("client");
    let refused = runtime.block_on(impostor.state()).expect_err("the pin does not match");
    assert!(refused.to_string().contains("not the one this device was enrolled with"), "{refused}");
}

/// Sends a request by hand: signed with the device's key and `counter`, or not at all.
async fn raw<S>(server: &RunningServer<S>, path: &str, body: Vec<u8>, signer: Option<(&str, u64)>) -> (u16, String) {
    raw_as(server, path, body, signer.map(|(device, counter)| (device, device, counter))).await
}

/// As [`raw`], claiming to be `claimed` but signing with `signer`'s key.
async fn raw_as<S>(
    server: &RunningServer<S>,
    path: &str,
    body: Vec<u8>,
    signer: Option<(&str, &str, u64)>,
) -> (u16, String) {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(pinned_client_config(server.pin).expect("tls"))
        .build()
        .expect("client");
    let mut request = client.post(format!("https://{}{path}", server.addr)).body(body.clone());
    if let Some((claimed, signer, counter)) = signer {
        let signature = sign_request(&device_key(signer), "POST", path, claimed, counter, &body);
        request = request
            .header(DEVICE_HEADER, claimed)
            .header(COUNTER_HEADER, counter.to_string())
            .header(SIGNATURE_HEADER, signature);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn server_state<S: mamori_server::http::Backend>(server: &RunningServer<S>) -> ServerState {
    server.app.server.state().await.expect("state")
}

#[test]
fn strangers_replays_forgeries_and_bad_bodies_are_refused_and_change_nothing() {
    over_https_on_every_backend!(refusals);
}

async fn refusals<S: mamori_server::http::Backend>(a: &RunningServer<S>, b: &RunningServer<S>) {
    let dir = tempfile::tempdir().expect("dir");
    let (mut desk, desk_id) = replica(dir.path(), "desk");
    setting(&mut desk, "desk", "25");
    mamori_sync::local::prepare(&desk).expect("tables");
    mamori_sync::local::seal_pending(&mut desk, &desk_id, 10).expect("seal");
    let envelopes = mamori_sync::local::envelopes_beyond(&desk, &Default::default(), 10).expect("outbox");
    let push = PushRequest { envelopes }.encode();
    let before = server_state(a).await;

    assert_eq!(raw(a, "/v1/push", push.clone(), None).await.0, 401, "an unsigned request");
    let (status, said) = raw(a, "/v1/push", push.clone(), Some(("stranger", 1))).await;
    assert_eq!(status, 401, "a device the clinic never enrolled: {said}");
    let forged = raw_as(a, "/v1/push", push.clone(), Some(("laptop", "desk", 5))).await.0;
    assert_eq!(forged, 401, "the desk's signature under the laptop's name");
    assert_eq!(raw(a, "/v1/push", vec![9, 9, 9], Some(("desk", 10))).await.0, 400, "an unreadable body");
    let huge = vec![0; http::MAX_BODY_BYTES + 1];
    assert_eq!(raw(a, "/v1/push", huge, Some(("desk", 11))).await.0, 413, "a body over the limit");
    assert_eq!(server_state(a).await, before, "nothing refused changed anything");

    assert_eq!(raw(a, "/v1/push", push.clone(), Some(("desk", 20))).await.0, 200);
    let after = server_state(a).await;
    assert_eq!(after.frontier.seq("desk"), 1);
    let (status, said) = raw(b, "/v1/push", push.clone(), Some(("desk", 20))).await;
    assert_eq!(status, 409, "the same request again, to either process, is a replay: {said}");
    assert_eq!(raw(b, "/v1/push", push, Some(("desk", 19))).await.0, 409, "an older counter too");
    assert_eq!(server_state(b).await, after);
}
#[test]
fn the_openapi_document_names_every_route() {
    let runtime = runtime();
    let server = start_server(&runtime, &["desk"]);
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(pinned_client_config(server.pin).expect("tls"))
        .build()
        .expect("client");
    let document: serde_json::Value = runtime.block_on(async {
        let text = client
            .get(format!("https://{}/openapi.json", server.addr))
            .send()
            .await
            .expect("answered")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).expect("JSON")
    });
    let paths: Vec<&str> = document["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    // Every route the router serves, read from its source.
    let router = include_str!("../../crates/server/src/http/mod.rs");
    let routes: Vec<&str> = router.split(".route(\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert!(routes.len() >= 18 && routes.contains(&"/v1/audit/batches"), "routes read: {routes:?}");
    for route in routes {
        assert!(paths.contains(&route), "{route} is not documented: {paths:?}");
    }
}
