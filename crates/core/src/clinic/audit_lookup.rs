//! "Who opened this chart?" by the number on the patient's card (診察券番号). An admin's role
//! reads no demographics, so the core resolves the number to the patient's id itself and returns
//! the id and the events only — never a name — and the lookup is audited under that patient.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::Clinic;
use crate::audit::{self, Action, ExplainedEvent, Filter, NewEvent};
use crate::domain::kana::nfkc_compact;
use crate::domain::validation::{Field, Problem};
use crate::policy::{Access, Section};
use crate::{Error, Result};

/// The longest chart number an admin may type for a lookup.
const MAX_CHART_NO_TYPED: usize = 20;

/// The audit report of one patient, named by chart number.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct PatientAuditReport {
    /// The chart number as stored (e.g. "000123" for a typed "123").
    pub chart_no: String,
    pub patient: Uuid,
    pub events: Vec<ExplainedEvent>,
}

impl Clinic {
    /// The events about the patient whose chart number is `chart_no`; admin only.
    pub fn audit_events_for_chart_no(&mut self, chart_no: &str) -> Result<PatientAuditReport> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let typed = nfkc_compact(chart_no);
        if typed.is_empty() {
            return Err(Error::invalid(Field::ChartNo, Problem::Required));
        }
        if typed.chars().count() > MAX_CHART_NO_TYPED {
            return Err(Error::invalid(Field::ChartNo, Problem::TooLong { max: MAX_CHART_NO_TYPED }));
        }
        let found = self.audited(|conn| {
            let Some((patient, stored)) = patient_by_chart_no(conn, &typed)? else {
                let event = NewEvent::allowed(Action::Search, Some(Section::Administration), None)
                    .with_reason(format!("looked up chart number {typed} for an audit report: no such patient"));
                return Ok((None, vec![event]));
            };
            let events = audit::events(conn, &Filter::Patient(patient))?;
            let event = NewEvent::allowed(Action::Export, Some(Section::Administration), Some(patient))
                .with_reason(format!("events about the patient with chart number {stored}"));
            let events = events.into_iter().map(ExplainedEvent::from).collect();
            Ok((Some(PatientAuditReport { chart_no: stored, patient, events }), vec![event]))
        })?;
        found.ok_or(Error::NotFound { what: "chart number", id: typed })
    }
}

/// The patient whose stored chart number is `typed`, or equals it without leading zeros (as the
/// desk's search matches); `None` when none or several do.
fn patient_by_chart_no(conn: &Connection, typed: &str) -> Result<Option<(Uuid, String)>> {
    let exact: Option<(String, String)> = conn
        .query_row("SELECT id, chart_no FROM patients WHERE chart_no = ?1", [typed], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let found = match exact {
        Some(found) => Some(found),
        None => {
            let mut stmt = conn.prepare_cached(
                "SELECT id, chart_no FROM patients WHERE ltrim(chart_no, '0') = ltrim(?1, '0') LIMIT 2",
            )?;
            let rows: Vec<(String, String)> =
                stmt.query_map([typed], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            if rows.len() == 1 {
                rows.into_iter().next()
            } else {
                None
            }
        }
    };
    found
        .map(|(id, chart_no)| {
            let id = Uuid::parse_str(&id)
                .map_err(|_| Error::InvalidState("a stored patient id is unreadable; run `mamori store rebuild`"))?;
            Ok((id, chart_no))
        })
        .transpose()
}
