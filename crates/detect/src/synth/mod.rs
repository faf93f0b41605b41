//! A generator of realistic synthetic clinic logs, with labelled misuse, to measure the detector
//! on (`evaluate.rs`). Three weeks of a small clinic: two front-desk staff, two nurses, three
//! doctors (one part-time, covering a colleague's week off), every day's appointments with
//! check-in, vitals and consultation, a flu-vaccine day, lab results arriving in batches, home
//! visits twice a week with their printed lists and evening notes, night on-call with calls from
//! established patients, searches for common surnames, typos at login and the odd wrong click.
//! Into that go labelled misuse cases of varying subtlety (one unexplained chart, a neighbour, a
//! relative, a public figure, a leaver's last day, a bulk print, a guessed password …). Nothing
//! here is a real person: surnames and towns are common ones, ids are made up.

mod clinic;
pub mod evaluate;
mod misuse;
mod operations;
mod rng;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alert::Rule;
use crate::context::Context;
use crate::event::{Action, Event, Outcome, Role};

/// A misuse the generator planted: the rule that should catch it and the events it is made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    pub rule: Rule,
    pub user: String,
    pub events: Vec<String>,
    /// Hard to tell from ordinary work (one chart, a plausible hour).
    pub subtle: bool,
}

/// One generated clinic: its events in time order, its context and the planted cases.
pub struct Synthetic {
    pub events: Vec<Event>,
    pub context: Context,
    pub cases: Vec<Case>,
}

/// Generates the clinic for `seed` (the same seed, the same clinic).
pub fn generate(seed: u64) -> Synthetic {
    let mut log = Log::new(seed);
    let mut context = clinic::context(&mut log.rng);
    operations::run(&mut log, &mut context);
    let cases = misuse::plant(&mut log, &mut context);
    log.events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    Synthetic { events: log.events, context, cases }
}

/// The events being written, and the randomness.
pub(crate) struct Log {
    pub rng: rng::Rng,
    pub events: Vec<Event>,
}

impl Log {
    fn new(seed: u64) -> Self {
        Self { rng: rng::Rng::seeded(seed), events: Vec::new() }
    }

    /// Appends an event and returns its id.
    pub fn push(
        &mut self,
        user: &str,
        role: Role,
        device: &str,
        action: Action,
        patient: Option<&str>,
        at: DateTime<Utc>,
    ) -> String {
        let id = format!("ev-{:07}", self.events.len());
        let outcome = match action {
            Action::Denied | Action::LoginFailed => Outcome::Denied,
            _ => Outcome::Allowed,
        };
        self.events.push(Event {
            id: id.clone(),
            at,
            user: user.into(),
            role,
            device: device.into(),
            patient: patient.map(Into::into),
            section: None,
            action,
            outcome,
            break_glass: action == Action::BreakGlass,
            subject: None,
        });
        id
    }
}
