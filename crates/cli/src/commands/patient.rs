use anyhow::Context as _;
use mamori_core::domain::dates::to_wareki;
use uuid::Uuid;

use super::chart_text;
use crate::args::PatientCommand;
use crate::context::Context;
use crate::output::table;

pub fn run(context: &Context, command: PatientCommand) -> anyhow::Result<()> {
    match command {
        PatientCommand::Search { query, unlock, limit, json } => {
            let mut clinic = context.unlock(&unlock)?;
            let found = clinic.search_patients(&query, usize::from(limit))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else if found.is_empty() {
                println!("No patients found.");
            } else {
                let header = ["id", "chart", "name", "kana", "born", "phone"].map(String::from).to_vec();
                let rows = found.iter().map(|p| {
                    vec![
                        p.id.to_string(),
                        p.chart_no.clone(),
                        p.name.clone(),
                        p.kana.clone(),
                        format!("{} ({})", p.birth_date, to_wareki(p.birth_date)),
                        p.phone.clone().unwrap_or_else(|| "-".into()),
                    ]
                });
                print!("{}", table::render(&std::iter::once(header).chain(rows).collect::<Vec<_>>()));
            }
            clinic.logout()?;
        }
        PatientCommand::Show { id, unlock, json } => {
            let id = Uuid::parse_str(id.trim())
                .ok()
                .context("the patient id is not a valid id (copy it from `patient search`)")?;
            let mut clinic = context.unlock(&unlock)?;
            let chart = clinic.chart(id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&chart)?);
            } else {
                print!("{}", chart_text::render(&chart, clinic.today()));
            }
            clinic.logout()?;
        }
    }
    Ok(())
}
