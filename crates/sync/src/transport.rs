//! How a device reaches the clinic server. The engine is written against this trait; the HTTP
//! transport authenticates every request with the device key, and [`crate::faults::FaultyLink`]
//! wraps any transport with the faults a real network has.

use crate::error::Result;
use crate::wire::{PullRequest, PullResponse, PushRequest, PushResponse, ServerState};

#[allow(async_fn_in_trait)] // used generically, never as a trait object
pub trait Transport {
    /// The server's instance and frontier.
    async fn state(&self) -> Result<ServerState>;
    /// Stores envelopes; each is acknowledged only once it is durable on the server.
    async fn push(&self, request: PushRequest) -> Result<PushResponse>;
    /// Envelopes beyond the client's frontier, one page.
    async fn pull(&self, request: PullRequest) -> Result<PullResponse>;
}

impl<T: Transport> Transport for &T {
    async fn state(&self) -> Result<ServerState> {
        (**self).state().await
    }

    async fn push(&self, request: PushRequest) -> Result<PushResponse> {
        (**self).push(request).await
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse> {
        (**self).pull(request).await
    }
}
