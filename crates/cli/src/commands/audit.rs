use anyhow::{bail, Context as _};
use mamori_core::audit::{AuditEvent, Filter, Verdict};
use uuid::Uuid;

use crate::args::{AuditCommand, ExportFormat, ReportFormat};
use crate::context::Context;

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

const COLUMNS: [&str; 9] = ["seq", "at", "user", "role", "patient", "section", "action", "outcome", "reason"];

fn cells(e: &AuditEvent) -> [String; 9] {
    [
        e.seq.to_string(),
        e.at.to_rfc3339(),
        e.user.clone(),
        e.role.as_str().to_string(),
        e.patient.map(|p| p.to_string()).unwrap_or_default(),
        match e.section {
            Some(section) => section.as_str().to_string(),
            None => e.sections_read.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+"),
        },
        format!("{:?}", e.action).to_lowercase(),
        format!("{:?}", e.outcome).to_lowercase(),
        format!("{}{}", if e.break_glass { "[break-glass] " } else { "" }, e.reason.as_deref().unwrap_or("")),
    ]
}

fn print_report(events: &[AuditEvent], format: ReportFormat) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(events)?),
        ReportFormat::Csv => {
            println!("{}", COLUMNS.join(","));
            for e in events {
                let row: Vec<String> = cells(e).iter().map(|c| csv_field(c)).collect();
                println!("{}", row.join(","));
            }
        }
        ReportFormat::Table => {
            if events.is_empty() {
                println!("No audit events.");
            }
            for e in events {
                println!("{}", cells(e).iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("  "));
            }
        }
    }
    Ok(())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
