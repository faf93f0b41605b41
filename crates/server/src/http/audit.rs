//! The audit trail over HTTPS: a device ships its own signed audit batches; an administrator's
//! device, with a request she signs too, reads every device's events naming a patient and pages
//! every device's signed batches for the clinic-wide insider detector.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use mamori_sync::wire::auth::{request_message, COUNTER_HEADER, USER_HEADER, USER_SIGNATURE_HEADER};
use mamori_sync::wire::codec::Codec;
use mamori_sync::wire::{AuditBatchesRequest, AuditEvents};

use super::{authenticate, binary, failed, refuse, App, Backend};

/// A device's own audit batch: stored where it follows what is held, and countersigned.
pub(super) async fn audit_push<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let device = match authenticate(&app, &method, "/v1/audit", &headers, &body).await {
        Ok(device) => device,
        Err(refused) => return refused,
    };
    match app.server.push_audit(&device, &body).await {
        Ok(Ok(receipt)) => binary(receipt.encode()),
        Ok(Err(why)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
        Err(error) => failed(&error),
    }
}

/// The device a request comes from, if it is also signed by an enabled administrator whose key
/// in the chain verifies that signature (the clinic-wide audit is theirs alone).
async fn authenticate_admin<S: Backend>(
    app: &App<S>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, Response> {
    let device = authenticate(app, method, path, headers, body).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(user), Some(signature), Some(counter)) = (
        header(USER_HEADER),
        header(USER_SIGNATURE_HEADER),
        header(COUNTER_HEADER).and_then(|c| c.parse::<u64>().ok()),
    ) else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "the clinic-wide audit is asked for by an administrator, who signs the request",
        ));
    };
    let message = request_message(method.as_str(), path, &device, counter, body);
    match app.server.admin_signed(user, &message, signature).await {
        Ok(true) => Ok(device),
        Ok(false) => {
            Err(refuse(StatusCode::FORBIDDEN, "only an enabled administrator's signature opens the clinic-wide audit"))
        }
        Err(error) => Err(failed(&error)),
    }
}

/// Every device's audit events naming a patient, for an administrator's report.
pub(super) async fn audit_patient<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate_admin(&app, &method, "/v1/audit/patient", &headers, &body).await {
        return refused;
    }
    let Ok(patient) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "the body is a patient id");
    };
    match app.server.audit_for_patient(patient).await {
        Ok(events) => binary(AuditEvents { events }.encode()),
        Err(error) => failed(&error),
    }
}

/// A page of every device's signed audit batches, for an administrator's device to run the
/// insider detector clinic-wide (it checks each batch against its device's key itself).
pub(super) async fn audit_batches<S: Backend>(
    State(app): State<Arc<App<S>>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate_admin(&app, &method, "/v1/audit/batches", &headers, &body).await {
        return refused;
    }
    let request = match AuditBatchesRequest::decode(&body) {
        Ok(request) => request,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string()),
    };
    match app.server.audit_batches(request.since, request.after).await {
        Ok(page) => binary(page.encode()),
        Err(error) => failed(&error),
    }
}
