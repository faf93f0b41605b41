//! The client sync engine: one round pulls what the server holds beyond this replica's
//! frontier (page by page, each applied in one transaction before the next is asked for), seals
//! this device's new changes, and pushes everything the server lacks — this device's own and,
//! after a server restore, everyone's. Any error leaves the replica consistent; the next round
//! resumes from its frontier. [`Engine::run`] repeats rounds on a timer while anything waits.

use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::local::{self, DeviceIdentity, Directory, PageReport};
use crate::transport::Transport;
use crate::wire::{PullRequest, PushOutcome, PushRequest, ServerState};

/// Page sizes and the retry timer.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub pull_page: u32,
    pub push_page: usize,
    /// Own changes sealed per transaction.
    pub seal_batch: usize,
    /// First wait after a failed round; doubled up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// This device's clock in milliseconds since the epoch (injected in tests and the simulation).
    pub now_ms: fn() -> i64,
}

/// The system clock, in milliseconds since the epoch.
pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pull_page: 500,
            push_page: 500,
            seal_batch: 1000,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            now_ms: system_now_ms,
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub pulled: PageReport,
    pub sealed: u64,
    pub pushed: u64,
    /// Envelopes the server had acknowledged and no longer held (restored from a backup).
    pub server_lost: u64,
    /// Envelopes still waiting for the server after the round.
    pub waiting: u64,
    /// Own changes the outbox had passed over without sealing them (found and sent this round).
    pub passed_over_found: u64,
}

pub struct Engine<'a, T> {
    pub transport: T,
    pub me: &'a DeviceIdentity,
    pub directory: &'a dyn Directory,
    pub settings: Settings,
}

impl<T: Transport> Engine<'_, T> {
    /// One round: pull, seal, push. `progress(done, total)` is told after each pulled page.
    pub async fn round(&self, conn: &mut Connection, progress: &mut dyn FnMut(u64, u64)) -> Result<RoundReport> {
        local::prepare(conn)?;
        let mut report = RoundReport::default();
        // Changes that waited for a chain link or a key this device has since received.
        report.pulled.applied += local::retry_set_aside(conn, self.me, self.directory)?;
        let state = self.transport.state().await?;
        report.server_lost += local::note_server(conn, &state)?;
        self.pull(conn, state, &mut report, progress).await?;
        report.passed_over_found = local::recheck_outbox(conn, self.me)?;
        report.sealed = local::seal_pending(conn, self.me, self.settings.seal_batch)? as u64;
        while local::seal_pending(conn, self.me, self.settings.seal_batch)? > 0 {}
        self.push(conn, &mut report).await?;
        report.waiting = local::waiting(conn)?;
        Ok(report)
    }

    async fn pull(
        &self,
        conn: &mut Connection,
        state: ServerState,
        report: &mut RoundReport,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        let total = local::frontier(conn)?.behind(&state.frontier);
        let mut done = 0;
        loop {
            let have = local::frontier(conn)?;
            let response = self.transport.pull(PullRequest { have, limit: self.settings.pull_page }).await?;
            report.server_lost += local::note_server(conn, &response.state)?;
            if response.envelopes.is_empty() {
                break;
            }
            let page =
                local::apply_page_at(conn, response.envelopes, self.me, self.directory, (self.settings.now_ms)())?;
            done += page.held + page.repeats;
            report.pulled.held += page.held;
            report.pulled.applied += page.applied;
            report.pulled.repeats += page.repeats;
            report.pulled.set_aside += page.set_aside;
            report.pulled.far_ahead += page.far_ahead;
            progress(done.min(total), total);
            // A page that brought nothing new ends the pull even if the server says more waits
            // (a server repeating itself must not keep this device from pushing).
            if !response.more || page.held == 0 {
                break;
            }
        }
        Ok(())
    }

    async fn push(&self, conn: &mut Connection, report: &mut RoundReport) -> Result<()> {
        let mut server = local::server_held(conn)?;
        let mut claimed = server.clone();
        // Other devices whose envelopes the server refuses from us (a revoked device's history,
        // given back after a restore): not offered again this round, and not a reason to stop
        // giving back everyone else's.
        let mut passed_over: Vec<String> = Vec::new();
        loop {
            let mut offered = server.clone();
            for device in &passed_over {
                offered.0.insert(device.clone(), crate::wire::Position { seq: u64::MAX, hash: [0; 32] });
            }
            let envelopes = local::envelopes_beyond(conn, &offered, self.settings.push_page)?;
            if envelopes.is_empty() {
                return Ok(());
            }
            let places: Vec<Option<(String, u64)>> = envelopes
                .iter()
                .map(|bytes| {
                    crate::wire::Envelope::from_bytes(bytes.clone())
                        .ok()
                        .map(|e| (e.header().device.clone(), e.header().seq))
                })
                .collect();
            let devices: Vec<Option<String>> = places.iter().map(|p| p.as_ref().map(|(d, _)| d.clone())).collect();
            let response = self.transport.push(PushRequest { envelopes }).await?;
            report.server_lost += local::note_server(conn, &response.state)?;
            for ((outcome, device), place) in response.outcomes.iter().zip(&devices).zip(&places) {
                let own = device.as_deref() == Some(self.me.device.as_str());
                match outcome {
                    PushOutcome::Stored => report.pushed += 1,
                    PushOutcome::AlreadyHeld | PushOutcome::Gap { .. } => {}
                    PushOutcome::Fork | PushOutcome::Refused(_) if !own => {
                        if let Some(device) = device {
                            if !passed_over.contains(device) {
                                mamori_core::log_safe!(warn, "the server refused another device's envelopes from us");
                                passed_over.push(device.clone());
                            }
                        }
                    }
                    PushOutcome::Fork => {
                        return Err(Error::Server("the server holds another envelope at this device's place".into()))
                    }
                    PushOutcome::Refused(reason) => {
                        // None of this device's envelopes from here on reached anyone: they are
                        // sealed again from its change log at the next round (one planted with
                        // raw SQL is gone).
                        if let Some((_, seq)) = place {
                            local::discard_own_from(conn, self.me, *seq)?;
                        }
                        return Err(Error::Server(reason.clone()));
                    }
                }
            }
            let progressed = response.state.frontier != claimed;
            claimed = response.state.frontier;
            // What to send next: what the server holds as far as this device can check.
            server = local::server_held(conn)?;
            // A page the server took nothing from, with nothing passed over: stop rather than
            // resend it forever.
            if !progressed && !devices.iter().flatten().all(|d| passed_over.contains(d)) {
                return Err(Error::Server("the server did not take the envelopes it lacks".into()));
            }
        }
    }

    /// Rounds until nothing waits, waiting `backoff` (doubling) after a failed round. Returns the
    /// last round's report; never gives up while something waits, unless `stop()` says so.
    pub async fn run(&self, conn: &mut Connection, stop: &dyn Fn() -> bool) -> Result<RoundReport> {
        let mut wait = self.settings.backoff;
        loop {
            match self.round(conn, &mut |_, _| {}).await {
                Ok(report) if report.waiting == 0 => return Ok(report),
                Ok(_) => {}
                Err(error) => mamori_core::log_safe!(info, "sync round failed; retrying", reason = error.code()),
            }
            if stop() {
                return Err(Error::Unreachable("stopped with changes still waiting".into()));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.settings.max_backoff);
        }
    }
}
