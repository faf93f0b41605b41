//! Story: the clinic server runs in the back office over HTTPS with its own certificate; the
//! front desk writes, syncs, and the doctor's laptop receives it. Anything that is not an
//! enrolled device's fresh, signed request — a stranger, a replay, a forged signature, a body too
//! large or unreadable, a server with another certificate — is refused and changes nothing.

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

use crate::sync_sim::world::{data_key, device_key, user_key, Keys, CLINIC};

pub struct RunningServer {
    pub addr: SocketAddr,
    pub pin: Hash32,
    pub app: Arc<App<SqliteStorage>>,
    _dir: tempfile::TempDir,
}

/// A server for `devices` on a free port, in a fresh folder.
pub fn start_server(runtime: &tokio::runtime::Runtime, devices: &[&str]) -> RunningServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let pin = http::tls::create(dir.path(), &["127.0.0.1".to_string()]).expect("certificate");
    let (tls, loaded) = http::tls::server_config(dir.path()).expect("tls");
    assert_eq!(pin, loaded, "the fingerprint printed at init is the one served");
    let storage = SqliteStorage::open(&dir.path().join("server.db")).expect("db");
    let keys = Keys { devices: devices.iter().map(|d| d.to_string()).collect() };
    let app = Arc::new(App::new(ClinicServer::new(storage, CLINIC, Box::new(keys))));
    let (tx, rx) = std::sync::mpsc::channel();
    let serving = Arc::clone(&app);
    runtime.spawn(async move {
        let served = http::serve(serving, "127.0.0.1:0".parse().expect("addr"), tls, move |addr| {
            tx.send(addr).expect("report the port");
        });
        if let Err(error) = served.await {
            eprintln!("test server stopped: {error}");
        }
    });
    let addr = rx.recv().expect("the server bound a port");
    RunningServer { addr, pin, app, _dir: dir }
}

pub fn replica(dir: &std::path::Path, device: &str) -> (Connection, DeviceIdentity) {
    let mut conn = Connection::open(dir.join(format!("{device}.db"))).expect("open");
    replication::testing::migrate(&mut conn).expect("migrate");
    let identity = DeviceIdentity {
        clinic: CLINIC,
        device: device.into(),
        signing_key: device_key(device),
        data_key: data_key(1),
    };
    (conn, identity)
}

pub fn transport(server: &RunningServer, device: &str) -> HttpTransport {
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

#[test]
fn a_change_at_the_front_desk_reaches_the_laptop_over_https() {
    let runtime = runtime();
    let server = start_server(&runtime, &["desk", "laptop"]);
    let dir = tempfile::tempdir().expect("dir");
    let keys = Keys { devices: vec!["desk".into(), "laptop".into()] };
    let (mut desk, desk_id) = replica(dir.path(), "desk");
    let (mut laptop, laptop_id) = replica(dir.path(), "laptop");
    setting(&mut desk, "desk", "25");

    let round = |conn: &mut Connection, me: &DeviceIdentity| {
        let engine = Engine {
            transport: transport(&server, &me.device),
            me,
            directory: &keys,
            chain_seq: 0,
            settings: Settings::default(),
        };
        runtime.block_on(engine.round(conn, &mut |_, _| {})).expect("round")
    };
    let pushed = round(&mut desk, &desk_id);
    assert_eq!((pushed.sealed, pushed.pushed, pushed.waiting), (1, 1, 0));
    let pulled = round(&mut laptop, &laptop_id);
    assert_eq!(pulled.pulled.applied, 1);
    assert_eq!(replication::state_digest(&laptop).expect("digest"), replication::state_digest(&desk).expect("digest"));
    let again = round(&mut laptop, &laptop_id);
    assert_eq!((again.pulled.held, again.pushed), (0, 0), "a second round moves nothing");
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

/// Sends a request by hand: `sign` with the device's key and `counter`, or not at all.
fn raw(
    runtime: &tokio::runtime::Runtime,
    server: &RunningServer,
    path: &str,
    body: Vec<u8>,
    signer: Option<(&str, u64)>,
) -> (u16, String) {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(pinned_client_config(server.pin).expect("tls"))
        .build()
        .expect("client");
    let mut request = client.post(format!("https://{}{path}", server.addr)).body(body.clone());
    if let Some((device, counter)) = signer {
        let signature = sign_request(&device_key(device), "POST", path, device, counter, &body);
        request = request
            .header(DEVICE_HEADER, device)
            .header(COUNTER_HEADER, counter.to_string())
            .header(SIGNATURE_HEADER, signature);
    }
    runtime.block_on(async {
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    })
}

fn server_state(runtime: &tokio::runtime::Runtime, server: &RunningServer) -> ServerState {
    runtime.block_on(server.app.server.state()).expect("state")
}

#[test]
fn strangers_replays_forgeries_and_bad_bodies_are_refused_and_change_nothing() {
    let runtime = runtime();
    let server = start_server(&runtime, &["desk"]);
    let dir = tempfile::tempdir().expect("dir");
    let (mut desk, desk_id) = replica(dir.path(), "desk");
    setting(&mut desk, "desk", "25");
    mamori_sync::local::prepare(&desk).expect("tables");
    mamori_sync::local::seal_pending(&mut desk, &desk_id, 0, 10).expect("seal");
    let envelopes = mamori_sync::local::envelopes_beyond(&desk, &Default::default(), 10).expect("outbox");
    let push = PushRequest { envelopes }.encode();
    let before = server_state(&runtime, &server);

    let (status, _) = raw(&runtime, &server, "/v1/push", push.clone(), None);
    assert_eq!(status, 401, "an unsigned request");
    let (status, said) = raw(&runtime, &server, "/v1/push", push.clone(), Some(("stranger", 1)));
    assert_eq!(status, 401, "a device the clinic never enrolled: {said}");
    // Signed with the desk's key but claiming another device's name.
    let keys_of_desk = sign_request(&device_key("desk"), "POST", "/v1/push", "laptop", 5, &push);
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(pinned_client_config(server.pin).expect("tls"))
        .build()
        .expect("client");
    let forged = runtime.block_on(async {
        client
            .post(format!("https://{}/v1/push", server.addr))
            .header(DEVICE_HEADER, "desk")
            .header(COUNTER_HEADER, "5")
            .header(SIGNATURE_HEADER, keys_of_desk)
            .body(push.clone())
            .send()
            .await
            .expect("answered")
            .status()
            .as_u16()
    });
    assert_eq!(forged, 401, "a signature over other headers");
    let (status, _) = raw(&runtime, &server, "/v1/push", vec![9, 9, 9], Some(("desk", 10)));
    assert_eq!(status, 400, "an unreadable body");
    let (status, _) = raw(&runtime, &server, "/v1/push", vec![0; http::MAX_BODY_BYTES + 1], Some(("desk", 11)));
    assert_eq!(status, 413, "a body over the limit");
    assert_eq!(server_state(&runtime, &server), before, "nothing refused changed anything");

    let (status, _) = raw(&runtime, &server, "/v1/push", push.clone(), Some(("desk", 20)));
    assert_eq!(status, 200);
    let after = server_state(&runtime, &server);
    assert_eq!(after.frontier.seq("desk"), 1);
    let (status, said) = raw(&runtime, &server, "/v1/push", push.clone(), Some(("desk", 20)));
    assert_eq!(status, 409, "the same request again is a replay: {said}");
    let (status, _) = raw(&runtime, &server, "/v1/push", push, Some(("desk", 19)));
    assert_eq!(status, 409, "an older counter too");
    assert_eq!(server_state(&runtime, &server), after);
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
    for route in ["/health", "/openapi.json", "/v1/state", "/v1/push", "/v1/pull"] {
        assert!(paths.contains(&route), "{route} is not documented: {paths:?}");
    }
}
