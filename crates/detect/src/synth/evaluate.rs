//! Precision and recall of the detector on a generated clinic: an alert is true when it shares
//! an event with a planted case; a case is caught when an alert of its own rule shares one.

use std::collections::{BTreeMap, HashSet};

use super::Case;
use crate::alert::{Alert, Rule};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    pub alerts: usize,
    /// Alerts pointing at a planted misuse.
    pub true_alerts: usize,
    pub cases: usize,
    pub caught: usize,
}

impl Score {
    /// 1 when there were no alerts.
    pub fn precision(&self) -> f64 {
        if self.alerts == 0 {
            1.0
        } else {
            self.true_alerts as f64 / self.alerts as f64
        }
    }

    /// 1 when there was nothing to catch.
    pub fn recall(&self) -> f64 {
        if self.cases == 0 {
            1.0
        } else {
            self.caught as f64 / self.cases as f64
        }
    }

    pub fn add(&mut self, other: &Score) {
        self.alerts += other.alerts;
        self.true_alerts += other.true_alerts;
        self.cases += other.cases;
        self.caught += other.caught;
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    pub overall: Score,
    pub per_rule: BTreeMap<Rule, Score>,
    pub events: usize,
}

impl Evaluation {
    pub fn alerts_per_thousand_events(&self) -> f64 {
        if self.events == 0 {
            0.0
        } else {
            self.overall.alerts as f64 * 1000.0 / self.events as f64
        }
    }

    pub fn add(&mut self, other: &Evaluation) {
        self.overall.add(&other.overall);
        for (rule, score) in &other.per_rule {
            self.per_rule.entry(*rule).or_default().add(score);
        }
        self.events += other.events;
    }
}

pub fn evaluate(alerts: &[Alert], cases: &[Case], events: usize) -> Evaluation {
    let touches = |alert: &Alert, case: &Case| {
        let ids: HashSet<&str> = case.events.iter().map(String::as_str).collect();
        alert.events.iter().any(|e| ids.contains(e.as_str()))
    };
    let mut evaluation = Evaluation { events, ..Evaluation::default() };
    for alert in alerts {
        let true_alert = cases.iter().any(|c| touches(alert, c));
        let score = evaluation.per_rule.entry(alert.rule).or_default();
        score.alerts += 1;
        evaluation.overall.alerts += 1;
        if true_alert {
            score.true_alerts += 1;
            evaluation.overall.true_alerts += 1;
        }
    }
    for case in cases {
        let score = evaluation.per_rule.entry(case.rule).or_default();
        score.cases += 1;
        evaluation.overall.cases += 1;
        if alerts.iter().any(|a| a.rule == case.rule && touches(a, case)) {
            score.caught += 1;
        }
        if alerts.iter().any(|a| touches(a, case)) {
            evaluation.overall.caught += 1;
        }
    }
    evaluation
}

/// The evaluation as a table, one row per rule and one for all.
pub fn table(evaluation: &Evaluation) -> String {
    let mut out = format!(
        "{:<22} {:>7} {:>7} {:>6} {:>6} {:>9} {:>7}\n",
        "rule", "alerts", "true", "cases", "caught", "precision", "recall"
    );
    let row = |name: &str, s: &Score| {
        format!(
            "{name:<22} {:>7} {:>7} {:>6} {:>6} {:>9.3} {:>7.3}\n",
            s.alerts,
            s.true_alerts,
            s.cases,
            s.caught,
            s.precision(),
            s.recall()
        )
    };
    for (rule, score) in &evaluation.per_rule {
        out.push_str(&row(rule.as_str(), score));
    }
    out.push_str(&row("overall", &evaluation.overall));
    out.push_str(&format!(
        "{} events, {:.2} alerts per 1,000 events\n",
        evaluation.events,
        evaluation.alerts_per_thousand_events()
    ));
    out
}
