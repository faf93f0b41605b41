//! Events gathered into one alert per rule, user and clinic day.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::alert::{Alert, Explanation, Rule, Severity};
use crate::context::Context;
use crate::event::Event;

/// Events of one user on one day for one rule.
#[derive(Default)]
pub(super) struct Group<'e> {
    pub events: Vec<&'e Event>,
}

impl<'e> Group<'e> {
    pub fn patients(&self) -> Vec<String> {
        let mut patients: Vec<String> = self.events.iter().filter_map(|e| e.patient.clone()).collect();
        patients.sort();
        patients.dedup();
        patients
    }

    pub fn into_alert(self, rule: Rule, severity: Severity, explanation: Explanation) -> Option<Alert> {
        let first = self.events.iter().map(|e| e.at).min()?;
        let last = self.events.iter().map(|e| e.at).max()?;
        let user = self.events.first()?.user.clone();
        Some(Alert {
            rule,
            patients: self.patients(),
            events: self.events.iter().map(|e| e.id.clone()).collect(),
            user,
            from: first,
            to: last,
            severity,
            explanation,
        })
    }
}

/// Groups keyed by (rule, user, clinic day).
#[derive(Default)]
pub(super) struct Groups<'e> {
    pub by_key: BTreeMap<(Rule, String, NaiveDate), Group<'e>>,
}

impl<'e> Groups<'e> {
    pub fn add(&mut self, rule: Rule, event: &'e Event, context: &Context) {
        let day = context.clinic.local_date(event.at);
        self.by_key.entry((rule, event.user.clone(), day)).or_default().events.push(event);
    }
}
