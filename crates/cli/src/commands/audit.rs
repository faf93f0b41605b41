use anyhow::{bail, Context as _};
use mamori_core::audit::{AuditEvent, Filter, Verdict};
use uuid::Uuid;

use crate::args::{AuditCommand, ExportFormat, ReportFormat};
use crate::context::Context;
use crate::output::{self, table, wire_name};

pub fn run(context: &Context, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let verdict = clinic.verify_audit()?;
            clinic.logout()?;
            match verdict {
                Verdict::Intact { events, signed_through } => println!(
                    "Audit log intact: {events} events; signature valid through event {signed_through} \
                     (later reads are signed at the next login, logout, lock or write)."
                ),
                Verdict::Broken { seq, problem } => bail!("the audit log is broken at event {seq}: {problem}"),
            }
        }
        AuditCommand::Report { patient, of_user, format, unlock } => {
            let filter = match (patient, of_user) {
                (Some(id), _) => {
                    Filter::Patient(Uuid::parse_str(id.trim()).ok().context("the patient id is not a valid id")?)
                }
                (None, Some(user)) => Filter::User(user),
                (None, None) => bail!("give --patient ID or --of-user NAME"),
            };
            let mut clinic = context.unlock(&unlock)?;
            let events = clinic.audit_events(&filter)?;
            clinic.logout()?;
            print_report(&events, format)?;
        }
        AuditCommand::Alerts { format, unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let events = clinic.audit_events(&Filter::Alerts)?;
            clinic.logout()?;
            print_report(&events, format)?;
        }
        AuditCommand::Export { format: ExportFormat::Jsonl, unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let events = clinic.audit_events(&Filter::All)?;
            clinic.logout()?;
            for event in &events {
                println!("{}", serde_json::to_string(event)?);
            }
        }
    }
    Ok(())
}

/// The report's columns, named and ordered as the JSON fields (docs/audit-events.md).
const COLUMNS: [&str; 11] =
    ["seq", "at", "user", "role", "patient", "section", "action", "outcome", "reason", "break_glass", "subject"];

fn cells(e: &AuditEvent) -> Vec<String> {
    vec![
        e.seq.to_string(),
        e.at.to_rfc3339(),
        e.user.clone(),
        wire_name(&e.role),
        e.patient.map(|p| p.to_string()).unwrap_or_default(),
        match e.section {
            Some(section) => wire_name(&section),
            None => e.sections_read.iter().map(wire_name).collect::<Vec<_>>().join("+"),
        },
        wire_name(&e.action),
        wire_name(&e.outcome),
        e.reason.clone().unwrap_or_default(),
        e.break_glass.to_string(),
        e.subject.clone().unwrap_or_default(),
    ]
}

fn print_report(events: &[AuditEvent], format: ReportFormat) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = events.iter().map(cells).collect();
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(events)?),
        ReportFormat::Csv => output::csv::write(std::io::stdout().lock(), &COLUMNS, &rows)?,
        ReportFormat::Table if events.is_empty() => println!("No audit events."),
        ReportFormat::Table => {
            let header = COLUMNS.iter().map(|c| c.to_string()).collect();
            print!("{}", table::render(&[vec![header], rows].concat()));
        }
    }
    Ok(())
}
