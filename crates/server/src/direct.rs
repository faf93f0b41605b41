//! The server reached in-process, as one device: for tests and the simulation (wrap it in
//! `mamori_sync::faults::FaultyLink` for a network's faults).

use std::sync::Arc;

use mamori_sync::wire::{PullRequest, PullResponse, PushRequest, PushResponse, ServerState};
use mamori_sync::{Error, Result, Transport};

use crate::service::ClinicServer;
use crate::storage::{ChainStorage, Storage};

pub struct Direct<S> {
    pub server: Arc<ClinicServer<S>>,
    pub device: String,
}

fn answered(error: crate::Error) -> Error {
    Error::Server(error.to_string())
}

impl<S: Storage + ChainStorage> Transport for Direct<S> {
    async fn state(&self) -> Result<ServerState> {
        self.server.state().await.map_err(answered)
    }

    async fn push(&self, request: PushRequest) -> Result<PushResponse> {
        self.server.push(&self.device, request).await.map_err(answered)
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse> {
        self.server.pull(&self.device, request).await.map_err(answered)
    }
}
