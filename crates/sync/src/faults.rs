//! A transport with a real network's faults, for the simulation and the tests: requests lost on
//! the way, answers lost on the way back (the server acted, the client does not know), requests
//! delivered twice, old requests delivered again long after (delay and reordering), and
//! partitions. Every fault comes from a seeded generator, so a run replays exactly.

use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::transport::Transport;
use crate::wire::{PullRequest, PullResponse, PushRequest, PushResponse, ServerState};

/// How often each fault strikes, per request (0.0 to 1.0).
#[derive(Clone, Copy, Debug)]
pub struct FaultRates {
    pub lose_request: f64,
    pub lose_answer: f64,
    pub duplicate: f64,
    /// An earlier push delivered again before this request.
    pub replay_old: f64,
}

impl FaultRates {
    pub const NONE: FaultRates = FaultRates { lose_request: 0.0, lose_answer: 0.0, duplicate: 0.0, replay_old: 0.0 };
}

pub struct FaultyLink<T> {
    inner: T,
    state: Mutex<LinkState>,
}

struct LinkState {
    rates: FaultRates,
    rng: ChaCha8Rng,
    partitioned: bool,
    sent: Vec<PushRequest>,
}

impl<T: Transport> FaultyLink<T> {
    pub fn new(inner: T, rates: FaultRates, seed: u64) -> Self {
        let state = LinkState { rates, rng: ChaCha8Rng::seed_from_u64(seed), partitioned: false, sent: Vec::new() };
        Self { inner, state: Mutex::new(state) }
    }

    /// Changes how often faults strike from now on (e.g. none, once the network heals).
    pub fn set_rates(&self, rates: FaultRates) {
        self.lock().rates = rates;
    }

    /// Cuts the link (every request fails) or heals it.
    pub fn set_partitioned(&self, partitioned: bool) {
        self.lock().partitioned = partitioned;
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides this request's fate: `Err` if lost on the way; otherwise whether to duplicate it,
    /// lose its answer, and an old push to deliver first.
    fn fate(&self) -> Result<(bool, bool, Option<PushRequest>)> {
        let mut s = self.lock();
        if s.partitioned {
            return Err(Error::Unreachable("partitioned".into()));
        }
        let rates = s.rates;
        if s.rng.random_bool(rates.lose_request) {
            return Err(Error::Unreachable("request lost".into()));
        }
        let duplicate = s.rng.random_bool(rates.duplicate);
        let lose_answer = s.rng.random_bool(rates.lose_answer);
        let old = if !s.sent.is_empty() && s.rng.random_bool(rates.replay_old) {
            let len = s.sent.len();
            let i = s.rng.random_range(0..len);
            Some(s.sent[i].clone())
        } else {
            None
        };
        Ok((duplicate, lose_answer, old))
    }
}

impl<T: Transport> Transport for FaultyLink<T> {
    async fn state(&self) -> Result<ServerState> {
        let (_, lose_answer, _) = self.fate()?;
        let state = self.inner.state().await?;
        if lose_answer {
            return Err(Error::Unreachable("answer lost".into()));
        }
        Ok(state)
    }

    async fn push(&self, request: PushRequest) -> Result<PushResponse> {
        let (duplicate, lose_answer, old) = self.fate()?;
        if let Some(old) = old {
            let _ = self.inner.push(old).await;
        }
        {
            let mut s = self.lock();
            if s.sent.len() >= 16 {
                let len = s.sent.len();
                let i = s.rng.random_range(0..len);
                s.sent.swap_remove(i);
            }
            s.sent.push(request.clone());
        }
        if duplicate {
            let _ = self.inner.push(request.clone()).await;
        }
        let response = self.inner.push(request).await?;
        if lose_answer {
            return Err(Error::Unreachable("answer lost".into()));
        }
        Ok(response)
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse> {
        let (duplicate, lose_answer, old) = self.fate()?;
        if let Some(old) = old {
            let _ = self.inner.push(old).await;
        }
        if duplicate {
            let _ = self.inner.pull(request.clone()).await;
        }
        let response = self.inner.pull(request).await?;
        if lose_answer {
            return Err(Error::Unreachable("answer lost".into()));
        }
        Ok(response)
    }
}
