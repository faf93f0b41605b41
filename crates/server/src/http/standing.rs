//! A device's standing over HTTPS: its check-in (also while nobody is logged in there, and for a
//! device the chain marks lost, which learns of its wipe order), a lost device's signed report,
//! and what administrators' devices read back (the reports, what each device said at check-in).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{CheckInRequest, Signed};

use super::{authenticate, authenticate_as, binary, failed, refuse, App, Backend, Needs};

/// The whole chain and a lease (none for a device marked lost, which learns of its order).
pub(super) async fn check_in<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/v1/check-in";
    let device = match authenticate_as(&app, &method, path, &headers, &body, Needs::EnrolledOrLost, None).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    let report = match CheckInRequest::decode(&body) {
        Ok(report) => report,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    match app.server.check_in(&device, report).await {
        Ok(answer) => binary(answer.encode()),
        Err(error) => failed(&error),
    }
}

pub(super) async fn wipe_ack<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/v1/wipe-ack";
    let device = match authenticate_as(&app, &method, path, &headers, &body, Needs::EnrolledOrLost, None).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    let ack = match Signed::decode(&body) {
        Ok(ack) => ack,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    match app.server.put_wipe_ack(&device, ack).await {
        Ok(Ok(())) => (StatusCode::OK, "kept").into_response(),
        Ok(Err(why)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
        Err(error) => failed(&error),
    }
}

pub(super) async fn wipe_acks<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/wipe-acks", &headers, &body).await {
        return refused;
    }
    match app.server.wipe_acks().await {
        Ok(acks) => binary(acks.encode()),
        Err(error) => failed(&error),
    }
}

pub(super) async fn device_reports<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&app, &method, "/v1/device-reports", &headers, &body).await {
        return refused;
    }
    match app.server.device_reports().await {
        Ok(reports) => binary(reports.encode()),
        Err(error) => failed(&error),
    }
}
