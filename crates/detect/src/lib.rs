//! Detecting insiders in Mamori's audit trail (issue "Detecting insiders"). Explanation-based
//! auditing (Fabbri & LeFevre): every access to a chart is first explained by a treatment
//! relationship the clinic's own data shows — an appointment or check-in that day, a home-visit
//! list, a lab result that arrived, a colleague covered, an on-call night with an established
//! patient, a registration — and the rules look hard only at what stays unexplained (the same
//! surname or neighbourhood as the user, the user's own or family chart, a sensitive record,
//! off-hours, a day far above the user's own volume), and at what needs no chart at all (bulk
//! export, repeated refusals, failed logins before a success, a device or hour the account never
//! used, break-the-glass).
//!
//! No UI, no network, no database: [`detect`] takes the events (`mamori audit export --format
//! jsonl`, `docs/audit-events.md`) and the context (`docs/detection-context.md`) and gives alerts
//! that say which rule fired, who, which patients, which events, when, how severe, and why, in
//! Japanese and English. The same code runs on each device over its own events and on the
//! server over every device's.

pub mod alert;
pub mod context;
pub mod event;
pub mod explain;
mod rules;
pub mod synth;

pub use alert::{Alert, Rule, Severity};
pub use context::Context;
pub use event::Event;

/// Every alert the events call for, in time order.
pub fn detect(events: &[Event], context: &Context) -> Vec<Alert> {
    let explained = explain::explain_all(events, context);
    let mut alerts = rules::run(events, context, &explained);
    alerts.sort_by(|a, b| (a.from, a.rule, &a.user).cmp(&(b.from, b.rule, &b.user)));
    alerts
}
