//! The transport over HTTPS: the server's certificate pinned, every request signed by the device
//! key with a counter that never repeats (`wire::auth`), bodies in `wire::codec`.

pub mod pin;

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;

use crate::error::{Error, Result};
use crate::transport::Transport;
use crate::wire::auth::{
    request_message, sign_request, COUNTER_HEADER, DEVICE_HEADER, SIGNATURE_HEADER, USER_HEADER, USER_SIGNATURE_HEADER,
};
use crate::wire::codec::{Codec, CONTENT_TYPE};
use crate::wire::{
    AuditBatches, AuditBatchesRequest, AuditEvents, AuditReceipt, ChainLinks, CheckIn, CheckInRequest, DeviceReports,
    Hash32, KeyWraps, PullRequest, PullResponse, PushRequest, PushResponse, ServerState, Signed, VaultRecords,
    WipeAcks,
};

/// The header in a 409 answer that gives the lowest counter the server will take next.
pub const COUNTER_FLOOR_HEADER: &str = "mamori-counter-floor";

pub struct HttpTransport {
    client: reqwest::Client,
    base: String,
    device: String,
    key: SigningKey,
    counter: Mutex<u64>,
}

impl HttpTransport {
    /// `base` is `https://host:port` from the enrollment code; `pin` the certificate fingerprint.
    pub fn new(base: &str, pin: Hash32, device: &str, key: SigningKey) -> Result<Self> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(pin::pinned_client_config(pin)?)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Error::Unreachable(format!("the HTTP client could not be set up: {e}")))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            device: device.to_owned(),
            key,
            counter: Mutex::new(0),
        })
    }

    /// A counter above any this device used before: the clock in microseconds, or one more than
    /// the last if the clock stepped back.
    fn next_counter(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let mut last = self.counter.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = now.max(*last + 1);
        *last
    }

    fn raise_counter(&self, floor: u64) {
        let mut last = self.counter.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = (*last).max(floor.saturating_sub(1));
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        self.call_as(method, path, body, None).await
    }

    /// [`HttpTransport::call`], also signed by a user (`user`: their login name and a signer
    /// over `USER_REQUEST_DOMAIN` and the request message, which their session holds).
    async fn call_as(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        user: Option<UserSigner<'_>>,
    ) -> Result<Vec<u8>> {
        // A retry when the server says this device's clock-based counter is behind, and after the
        // wait the server asks for when this device sends too much.
        for attempt in 0..4 {
            let counter = self.next_counter();
            let signature = sign_request(&self.key, method.as_str(), path, &self.device, counter, &body);
            let mut request = self.client.request(method.clone(), format!("{}{path}", self.base));
            if let Some((name, sign)) = &user {
                let message = request_message(method.as_str(), path, &self.device, counter, &body);
                request =
                    request.header(USER_HEADER, *name).header(USER_SIGNATURE_HEADER, hex::encode(sign(&message)?));
            }
            let response = request
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .header(DEVICE_HEADER, &self.device)
                .header(COUNTER_HEADER, counter.to_string())
                .header(SIGNATURE_HEADER, signature)
                .body(body.clone())
                .send()
                .await
                .map_err(|e| Error::Unreachable(describe(&e)))?;
            let status = response.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS && attempt < 3 {
                let wait = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
                tokio::time::sleep(Duration::from_secs(wait.unwrap_or(1u64).min(60))).await;
                continue;
            }
            if status == reqwest::StatusCode::CONFLICT && attempt == 0 {
                let floor = response.headers().get(COUNTER_FLOOR_HEADER).and_then(|v| v.to_str().ok()?.parse().ok());
                if let Some(floor) = floor {
                    self.raise_counter(floor);
                    continue;
                }
            }
            let bytes = response.bytes().await.map_err(|e| Error::Unreachable(describe(&e)))?;
            if !status.is_success() {
                let said = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
                return Err(Error::Server(format!("{} {said}", status.as_u16())));
            }
            return Ok(bytes.to_vec());
        }
        Err(Error::Server("the server kept refusing the request (counter or rate)".into()))
    }
}

impl HttpTransport {
    /// Membership chain links after `after`.
    pub async fn chain_after(&self, after: u64) -> Result<ChainLinks> {
        ChainLinks::decode(&self.call(reqwest::Method::POST, "/v1/chain", after.to_be_bytes().to_vec()).await?)
    }

    /// Offers links that follow the server's head; `Err` names the server's answer (a 409 when
    /// another device's links came first).
    pub async fn append_chain(&self, links: &ChainLinks) -> Result<()> {
        self.call(reqwest::Method::POST, "/v1/chain/append", links.encode()).await.map(|_| ())
    }

    pub async fn put_wraps(&self, wraps: &KeyWraps) -> Result<()> {
        self.call(reqwest::Method::POST, "/v1/wraps", wraps.encode()).await.map(|_| ())
    }

    /// Gives the server vault records; returns how many it kept.
    pub async fn put_vault_records(&self, records: &VaultRecords) -> Result<usize> {
        let answer = self.call(reqwest::Method::POST, "/v1/vault", records.encode()).await?;
        Ok(std::str::from_utf8(&answer).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(0))
    }

    /// The newest vault record of every user the server holds.
    pub async fn vault_records(&self) -> Result<VaultRecords> {
        VaultRecords::decode(&self.call(reqwest::Method::POST, "/v1/vault/all", Vec::new()).await?)
    }

    pub async fn my_wraps(&self) -> Result<KeyWraps> {
        KeyWraps::decode(&self.call(reqwest::Method::POST, "/v1/wraps/mine", Vec::new()).await?)
    }
}

/// A user signing a request through this device: their login name and their session's signer.
impl HttpTransport {
    /// The transport of an open session on this computer, to the server it remembers, signing
    /// with the device key its keyring secret derives.
    pub fn for_session(
        server: &crate::ServerSettings,
        clinic: &mamori_core::clinic::Clinic,
        secrets: &dyn mamori_core::vault::DeviceSecretStore,
    ) -> Result<Self> {
        let keys = clinic.sync_keys(secrets)?;
        Self::new(&server.server, server.pin()?, clinic.device_id(), keys.device_keys.signing_key())
    }

    /// The whole chain and, for an enrolled device, a lease (`wire::standing`).
    pub async fn check_in(&self, report: &CheckInRequest) -> Result<CheckIn> {
        CheckIn::decode(&self.call(reqwest::Method::POST, "/v1/check-in", report.encode()).await?)
    }

    /// What the server last heard from every device.
    pub async fn device_reports(&self) -> Result<DeviceReports> {
        DeviceReports::decode(&self.call(reqwest::Method::POST, "/v1/device-reports", Vec::new()).await?)
    }

    /// A wiped device's signed acknowledgement.
    pub async fn wipe_ack(&self, ack: &Signed) -> Result<()> {
        self.call(reqwest::Method::POST, "/v1/wipe-ack", ack.encode()).await.map(|_| ())
    }

    /// Every wiped device's acknowledgement the server keeps.
    pub async fn wipe_acks(&self) -> Result<WipeAcks> {
        WipeAcks::decode(&self.call(reqwest::Method::POST, "/v1/wipe-acks", Vec::new()).await?)
    }
}

pub type UserSigner<'a> = (&'a str, &'a dyn Fn(&[u8]) -> Result<[u8; 64]>);

impl HttpTransport {
    /// Ships an audit batch (bytes signed by this device); the server's receipt.
    pub async fn push_audit(&self, batch: Vec<u8>) -> Result<AuditReceipt> {
        AuditReceipt::decode(&self.call(reqwest::Method::POST, "/v1/audit", batch).await?)
    }

    /// A page of every device's signed audit batches holding events since `request.since`: an
    /// administrator's request, signed by them.
    pub async fn audit_batches(&self, request: AuditBatchesRequest, user: UserSigner<'_>) -> Result<AuditBatches> {
        AuditBatches::decode(
            &self.call_as(reqwest::Method::POST, "/v1/audit/batches", request.encode(), Some(user)).await?,
        )
    }

    /// Every device's audit events naming `patient`: an administrator's request, signed by them.
    pub async fn audit_for_patient(&self, patient: &str, user: UserSigner<'_>) -> Result<AuditEvents> {
        let body = patient.as_bytes().to_vec();
        AuditEvents::decode(&self.call_as(reqwest::Method::POST, "/v1/audit/patient", body, Some(user)).await?)
    }
}

/// A transport error in a line: what failed, without the request's content.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

impl Transport for HttpTransport {
    async fn state(&self) -> Result<ServerState> {
        ServerState::decode(&self.call(reqwest::Method::GET, "/v1/state", Vec::new()).await?)
    }

    async fn push(&self, request: PushRequest) -> Result<PushResponse> {
        PushResponse::decode(&self.call(reqwest::Method::POST, "/v1/push", request.encode()).await?)
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse> {
        PullResponse::decode(&self.call(reqwest::Method::POST, "/v1/pull", request.encode()).await?)
    }
}
