//! `mamori alerts scan`: the insider detector over exported audit events and their context
//! (`docs/detection-context.md`), one alert per line. Needs no data folder and no login: it reads
//! two files and writes nothing.

use std::path::Path;

use anyhow::Context as _;
use mamori_detect::event::read_jsonl;
use mamori_detect::{detect, Context};

use crate::args::AlertsCommand;
use crate::output::table;

pub fn run(command: AlertsCommand) -> anyhow::Result<()> {
    match command {
        AlertsCommand::Scan { events, context, json } => scan(&events, &context, json),
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read the {what} file {}", path.display()))
}

fn scan(events: &Path, context: &Path, json: bool) -> anyhow::Result<()> {
    let events = read_jsonl(&read(events, "events")?)
        .map_err(|problem| anyhow::anyhow!("the events file is not audit export JSON lines ({problem})"))?;
    let context: Context = serde_json::from_str(&read(context, "context")?)
        .map_err(|e| anyhow::anyhow!("the context file does not follow docs/detection-context.md ({e})"))?;
    let alerts = detect(&events, &context);
    if json {
        for alert in &alerts {
            println!("{}", serde_json::to_string(alert).context("an alert could not be written")?);
        }
        return Ok(());
    }
    if alerts.is_empty() {
        println!("No alerts in {} events.", events.len());
        return Ok(());
    }
    let japanese = matches!(crate::locale::lang(), mamori_core::messages::Lang::Ja);
    let header: Vec<String> = ["from", "rule", "severity", "user", "patients", "why"].map(String::from).to_vec();
    let offset = context.clinic.offset();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(alerts.iter().map(|a| {
            vec![
                a.from.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string(),
                a.rule.as_str().to_owned(),
                format!("{:?}", a.severity).to_lowercase(),
                a.user.clone(),
                a.patients.len().to_string(),
                if japanese { a.explanation.ja.clone() } else { a.explanation.en.clone() },
            ]
        }))
        .collect();
    print!("{}", table::render(&rows));
    println!("{} alerts in {} events.", alerts.len(), events.len());
    Ok(())
}
