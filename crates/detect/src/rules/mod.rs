//! The rules, run over the events once every chart access has been explained or not. Each
//! unexplained access goes to the most specific rule that fits it, so one act makes one alert:
//! a bulk print first, then the user's own or family chart, a sensitive chart, the same surname,
//! the same neighbourhood, a day far above the usual volume, off-hours, and last "no
//! relationship". Rules that need no chart (refusals, logins, devices, break-the-glass) run
//! beside them.

mod accounts;
mod bulk;
mod grouping;
mod unexplained;
mod volume;
mod words;

use crate::alert::Alert;
use crate::context::Context;
use crate::event::Event;
use crate::explain::Explained;

pub(crate) fn run(events: &[Event], context: &Context, explained: &Explained) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let (bulk_alerts, in_bulk) = bulk::bulk_exports(events, context, explained);
    alerts.extend(bulk_alerts);
    let heavy_days = volume::heavy_days(events, context, explained);
    alerts.extend(unexplained::classify(events, context, explained, &in_bulk, &heavy_days));
    alerts.extend(accounts::repeated_refusals(events, context));
    alerts.extend(accounts::failed_login_bursts(events, context));
    alerts.extend(accounts::new_device_or_hour(events, context));
    alerts.extend(accounts::break_glass(events, context));
    alerts
}
