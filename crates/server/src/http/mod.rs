//! The server over HTTPS (axum + rustls): every /v1 request is authenticated by its device's
//! signature and a counter the database has not seen, bodies are size-limited, slow requests
//! time out, and each device is rate-limited. A refused request changes nothing.

mod audit;
mod limits;
mod standing;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use mamori_sync::http::COUNTER_FLOOR_HEADER;
use mamori_sync::wire::auth::{verify_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER};
use mamori_sync::wire::codec::{Codec, CONTENT_TYPE};
use mamori_sync::wire::{ChainLinks, KeyWraps, PullRequest, PushRequest, VaultRecords};
use tower_http::timeout::TimeoutLayer;

pub use limits::RateLimiter;

use crate::chain_registry::{standing_in, Standing};
use crate::service::{ChainOutcome, ClinicServer};
use crate::storage::{AuditStorage, ChainStorage, RequestCounters, Storage};

/// What every server backend offers.
pub trait Backend: Storage + ChainStorage + RequestCounters + AuditStorage {}
impl<T: Storage + ChainStorage + RequestCounters + AuditStorage> Backend for T {}

/// The largest body the server reads: a full push page of the largest envelopes is far below.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const OPENAPI: &str = include_str!("openapi.json");

pub struct App<S> {
    pub server: ClinicServer<S>,
    pub limiter: RateLimiter,
}

impl<S> App<S> {
    /// A hundred requests a second per device, bursts of five hundred: a full resync in pages of
    /// five hundred envelopes pages through well within it; a runaway loop does not take the
    /// server down.
    pub fn new(server: ClinicServer<S>) -> Self {
        Self { server, limiter: RateLimiter::new(100.0, 500.0) }
    }
}

pub fn router<S: Backend>(app: Arc<App<S>>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/openapi.json", get(|| async { ([("content-type", "application/json")], OPENAPI) }))
        .route("/v1/state", get(state::<S>))
        .route("/v1/push", post(push::<S>))
        .route("/v1/pull", post(pull::<S>))
        .route("/v1/chain", post(chain_after::<S>))
        .route("/v1/chain/append", post(chain_append::<S>))
        .route("/v1/wraps", post(wraps_put::<S>))
        .route("/v1/wraps/mine", post(wraps_mine::<S>))
        .route("/v1/vault", post(vault_put::<S>))
        .route("/v1/vault/all", post(vault_all::<S>))
        .route("/v1/check-in", post(standing::check_in::<S>))
        .route("/v1/wipe-ack", post(standing::wipe_ack::<S>))
        .route("/v1/wipe-acks", post(standing::wipe_acks::<S>))
        .route("/v1/device-reports", post(standing::device_reports::<S>))
        .route("/v1/audit", post(audit::audit_push::<S>))
        .route("/v1/audit/patient", post(audit::audit_patient::<S>))
        .route("/v1/audit/batches", post(audit::audit_batches::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(app)
}

/// Serves `app` on `addr` over TLS until the process stops.
pub async fn serve<S: Backend>(
    app: Arc<App<S>>,
    addr: SocketAddr,
    tls: rustls::ServerConfig,
    bound: impl FnOnce(SocketAddr),
) -> crate::Result<()> {
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
    let listener = std::net::TcpListener::bind(addr).map_err(|e| crate::Error::Setup(format!("{addr}: {e}")))?;
    listener.set_nonblocking(true).map_err(|e| crate::Error::Setup(e.to_string()))?;
    bound(listener.local_addr().map_err(|e| crate::Error::Setup(e.to_string()))?);
    axum_server::from_tcp_rustls(listener, config)
        .map_err(|e| crate::Error::Setup(e.to_string()))?
        .serve(router(app).into_make_service())
        .await
        .map_err(|e| crate::Error::Setup(format!("the server stopped: {e}")))
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

fn binary(bytes: Vec<u8>) -> Response {
    ([("content-type", CONTENT_TYPE)], bytes).into_response()
}

fn failed(error: &crate::Error) -> Response {
    match error {
        crate::Error::UnknownDevice(_) => refuse(StatusCode::UNAUTHORIZED, error.to_string()),
        crate::Error::TooMany { .. } => refuse(StatusCode::PAYLOAD_TOO_LARGE, error.to_string()),
        _ => {
            mamori_core::log_safe!(error, "a request failed", reason = error.code());
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "the server could not answer; see its log")
        }
    }
}

/// Who may make a request: an enrolled device, or also one still holding its enrollment code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Enrolled,
    EnrolledOrInvited,
    /// A device marked lost too: it may learn of its wipe order and acknowledge it.
    EnrolledOrLost,
}

/// The device a request comes from, if its signature, counter and rate check out.
async fn authenticate<S: Backend>(
    app: &App<S>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, Response> {
    authenticate_as(app, method, path, headers, body, Needs::Enrolled, None).await
}

/// [`authenticate`], for `needs`; `first_chain` is the membership a very first chain upload
/// would give (its device may sign the upload that enrolls it).
async fn authenticate_as<S: Backend>(
    app: &App<S>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    needs: Needs,
    first_chain: Option<&mamori_core::chain::Membership>,
) -> Result<String, Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(device), Some(counter), Some(signature)) =
        (header(DEVICE_HEADER), header(COUNTER_HEADER), header(SIGNATURE_HEADER))
    else {
        return Err(refuse(StatusCode::UNAUTHORIZED, "the request is not signed by a device"));
    };
    let counter: u64 = counter.parse().map_err(|_| refuse(StatusCode::BAD_REQUEST, "the counter is not a number"))?;
    let standing = match first_chain {
        Some(membership) => standing_in(membership, device),
        None => app.server.standing(device).await.map_err(|error| failed(&error))?,
    };
    let key = match (standing, needs) {
        (Some(Standing::Active(key)), _)
        | (Some(Standing::Invited(key)), Needs::EnrolledOrInvited)
        | (Some(Standing::Lost(key)), Needs::EnrolledOrLost) => key,
        _ => return Err(refuse(StatusCode::UNAUTHORIZED, format!("device {device} is not enrolled in this clinic"))),
    };
    verify_request(&key, method.as_str(), path, device, counter, body, signature)
        .map_err(|_| refuse(StatusCode::UNAUTHORIZED, "the request signature does not match the device"))?;
    if let Err(wait) = app.limiter.take(device, Instant::now()) {
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, "too many requests from this device");
        response.headers_mut().insert("retry-after", HeaderValue::from(wait));
        return Err(response);
    }
    match app.server.storage().advance_counter(device, counter).await {
        Ok(Ok(())) => Ok(device.to_owned()),
        Ok(Err(floor)) => {
            let mut response = refuse(StatusCode::CONFLICT, "this request was seen before (its counter is not new)");
            response.headers_mut().insert(COUNTER_FLOOR_HEADER, HeaderValue::from(floor));
            Err(response)
        }
        Err(error) => Err(failed(&error)),
    }
}

async fn state<S: Backend>(State(app): State<Arc<App<S>>>, method: Method, headers: HeaderMap) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/state", &headers, &[]).await {
        return refused;
    }
    match app.server.state().await {
        Ok(state) => binary(state.encode()),
        Err(error) => failed(&error),
    }
}

async fn push<S: Backend>(State(app): State<Arc<App<S>>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let device = match authenticate(&app, &method, "/v1/push", &headers, &body).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    let request = match PushRequest::decode(&body) {
        Ok(request) => request,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    match app.server.push(&device, request).await {
        Ok(response) => binary(response.encode()),
        Err(error) => failed(&error),
    }
}

async fn pull<S: Backend>(State(app): State<Arc<App<S>>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let device = match authenticate(&app, &method, "/v1/pull", &headers, &body).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    let request = match PullRequest::decode(&body) {
        Ok(request) => request,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    match app.server.pull(&device, request).await {
        Ok(response) => binary(response.encode()),
        Err(error) => failed(&error),
    }
}

async fn chain_after<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/v1/chain";
    // Before its first link the server has nothing to tell and nobody to recognise: the first
    // device learns that it must give the chain.
    match app.server.chain_head().await {
        Ok(0) => return binary(ChainLinks { first: 1, links: Vec::new() }.encode()),
        Ok(_) => {}
        Err(error) => return failed(&error),
    }
    if let Err(refused) = authenticate_as(&app, &method, path, &headers, &body, Needs::EnrolledOrInvited, None).await {
        return refused;
    }
    let Ok(after) = body.as_ref().try_into().map(u64::from_be_bytes) else {
        return refuse(StatusCode::BAD_REQUEST, "the body is the sequence to read after (8 bytes)");
    };
    match app.server.chain_after(after).await {
        Ok(links) => binary(links.encode()),
        Err(error) => failed(&error),
    }
}

async fn chain_append<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let offered = match ChainLinks::decode(&body) {
        Ok(offered) => offered,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    // The very first upload comes from the device that chain enrolls: it signs with its own key.
    let first = match app.server.first_chain(&offered).await {
        Ok(first) => first,
        Err(error) => return failed(&error),
    };
    let path = "/v1/chain/append";
    if let Err(refused) =
        authenticate_as(&app, &method, path, &headers, &body, Needs::EnrolledOrInvited, first.as_ref()).await
    {
        return refused;
    }
    match app.server.append_chain(offered).await {
        Ok(ChainOutcome::Stored) => (StatusCode::OK, "stored").into_response(),
        Ok(ChainOutcome::NotAtHead { head }) => {
            let mut response = refuse(StatusCode::CONFLICT, format!("the chain's head is {head}; read it and rebase"));
            response.headers_mut().insert("mamori-chain-head", HeaderValue::from(head));
            response
        }
        Ok(ChainOutcome::Refused(why)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
        Err(error) => failed(&error),
    }
}

async fn wraps_put<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/wraps", &headers, &body).await {
        return refused;
    }
    match KeyWraps::decode(&body) {
        Ok(wraps) => match app.server.put_wraps(wraps).await {
            Ok(kept) => (StatusCode::OK, kept.to_string()).into_response(),
            Err(error) => failed(&error),
        },
        Err(error) => refuse(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn wraps_mine<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let device = match authenticate(&app, &method, "/v1/wraps/mine", &headers, &body).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    match app.server.wraps_for(&device).await {
        Ok(wraps) => binary(wraps.encode()),
        Err(error) => failed(&error),
    }
}

async fn vault_put<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/vault", &headers, &body).await {
        return refused;
    }
    match VaultRecords::decode(&body) {
        Ok(records) => match app.server.put_vault_records(records).await {
            Ok(kept) => (StatusCode::OK, kept.to_string()).into_response(),
            Err(error) => failed(&error),
        },
        Err(error) => refuse(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn vault_all<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/vault/all", &headers, &body).await {
        return refused;
    }
    match app.server.vault_records().await {
        Ok(records) => binary(records.encode()),
        Err(error) => failed(&error),
    }
}
