//! `mamori alerts`: the insider detector. `scan` runs it over exported audit events and their
//! context (`docs/detection-context.md`), one alert per line; it needs no data folder and no
//! login, reads two files and writes nothing. `list`, `ack`, `summary`, `context-export` and
//! `profile` are the administrator's, on this computer's data folder.

use std::path::Path;

use anyhow::Context as _;
use mamori_core::alerts::{AlertFilter, AlertStatus, AlertSummary, AlertView, StaffProfile};
use mamori_detect::event::read_jsonl;
use mamori_detect::{detect, Context};

use crate::args::{AlertsCommand, StatusArg};
use crate::output::table;

/// Fetches every other device's audit events from the clinic server for this session's scans,
/// and says on stderr which devices the alerts cover and anything missing or refused.
fn fetch_clinic_wide(
    context: &crate::context::Context,
    clinic: &mut mamori_core::clinic::Clinic,
) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context)?;
    let coverage = super::sync::clinic_wide_audit(context, &server, clinic)?;
    eprintln!(
        "{}",
        crate::locale::pick(
            &format!("対象: {}台の端末の監査ログ ({})", coverage.devices.len(), coverage.devices.join(", ")),
            &format!("Covering the audit logs of {} devices ({})", coverage.devices.len(), coverage.devices.join(", ")),
        )
    );
    if !coverage.gaps.is_empty() || coverage.refused > 0 {
        eprintln!(
            "{}",
            crate::locale::pick(
                &format!(
                    "注意: 記録の抜けがある端末: {:?}、署名を確認できず除外したまとまり: {}件",
                    coverage.gaps, coverage.refused
                ),
                &format!(
                    "Caution: devices with missing events: {:?}; batches left out (signature did not check): {}",
                    coverage.gaps, coverage.refused
                ),
            )
        );
    }
    Ok(())
}

/// `alerts scan`, which needs no data folder.
pub fn run_offline(command: AlertsCommand) -> anyhow::Result<()> {
    match command {
        AlertsCommand::Scan { events, context, json } => scan(&events, &context, json),
        _ => anyhow::bail!("this alerts command needs the clinic's data folder"),
    }
}

pub fn run(context: &crate::context::Context, command: AlertsCommand) -> anyhow::Result<()> {
    match command {
        AlertsCommand::Scan { .. } => run_offline(command),
        AlertsCommand::List { status, rule, about, json, clinic_wide, unlock } => {
            let status = match status {
                StatusArg::Open => AlertStatus::Open,
                StatusArg::Acknowledged => AlertStatus::Acknowledged,
                StatusArg::All => AlertStatus::All,
            };
            let mut clinic = context.unlock(&unlock)?;
            if clinic_wide {
                if let Err(error) = fetch_clinic_wide(context, &mut clinic) {
                    clinic.logout()?;
                    return Err(error);
                }
            }
            let alerts = clinic.alerts(&AlertFilter { status, rule, user: about, since: None });
            clinic.logout()?;
            print_alerts(&alerts?, json)
        }
        AlertsCommand::Ack { id, comment, clinic_wide, unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let fetched = if clinic_wide { fetch_clinic_wide(context, &mut clinic) } else { Ok(()) };
            let done = fetched.and_then(|()| Ok(clinic.acknowledge_alert(&id, &comment)?));
            clinic.logout()?;
            done?;
            println!("{}", crate::locale::pick("アラートを確認済みにしました。", "Alert acknowledged."));
            Ok(())
        }
        AlertsCommand::Summary { unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let summary = clinic.alert_summary();
            clinic.logout()?;
            print_summary(&summary?);
            Ok(())
        }
        AlertsCommand::ContextExport { output, unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let exported = clinic.detection_context_export();
            clinic.logout()?;
            let json = serde_json::to_string_pretty(&exported?).context("the context could not be written")?;
            crate::output::write_new(&output, json.as_bytes())?;
            println!("{}", output.display());
            Ok(())
        }
        AlertsCommand::Profile { staff: user, surname, surname_kana, home_town, home_block, unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let (_, _, profiles) = clinic.detection_settings()?;
            let old = profiles.into_iter().find(|p| p.user == user).unwrap_or_default();
            let profile = StaffProfile {
                user,
                surname: surname.or(old.surname),
                surname_kana: surname_kana.or(old.surname_kana),
                home_town: home_town.or(old.home_town),
                home_block: home_block.or(old.home_block),
            };
            let done = clinic.set_staff_profile(&profile);
            clinic.logout()?;
            done?;
            println!("{}", crate::locale::pick("職員のプロフィールを保存しました。", "Staff profile saved."));
            Ok(())
        }
        AlertsCommand::Hours { file, unlock } => {
            let hours: mamori_detect::context::ClinicHours = serde_json::from_str(&read(&file, "hours")?)
                .map_err(|e| anyhow::anyhow!("the hours file does not follow docs/detection-context.md ({e})"))?;
            let mut clinic = context.unlock(&unlock)?;
            let done = clinic.set_clinic_hours(&hours);
            clinic.logout()?;
            done?;
            println!("{}", crate::locale::pick("診療時間を保存しました。", "Clinic hours saved."));
            Ok(())
        }
        AlertsCommand::Roster { file, unlock } => {
            let roster: Vec<mamori_detect::context::Shift> = serde_json::from_str(&read(&file, "roster")?)
                .map_err(|e| anyhow::anyhow!("the roster file does not follow docs/detection-context.md ({e})"))?;
            let mut clinic = context.unlock(&unlock)?;
            let done = clinic.set_roster(&roster);
            clinic.logout()?;
            done?;
            println!("{}", crate::locale::pick("当直・代診表を保存しました。", "Roster saved."));
            Ok(())
        }
    }
}

fn print_alerts(alerts: &[AlertView], json: bool) -> anyhow::Result<()> {
    if json {
        for alert in alerts {
            println!("{}", serde_json::to_string(alert).context("an alert could not be written")?);
        }
        return Ok(());
    }
    if alerts.is_empty() {
        println!("{}", crate::locale::pick("該当するアラートはありません。", "No alerts."));
        return Ok(());
    }
    let japanese = matches!(crate::locale::lang(), mamori_core::messages::Lang::Ja);
    let offset = mamori_core::clinic::japan_time();
    let header: Vec<String> =
        ["id", "from", "rule", "severity", "user", "charts", "why", "acknowledged"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(alerts.iter().map(|a| {
            vec![
                a.id.clone(),
                a.from.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string(),
                a.rule.clone(),
                a.severity.clone(),
                a.user.clone(),
                a.patients
                    .iter()
                    .map(|p| p.chart_no.clone().unwrap_or_else(|| p.id.clone()))
                    .collect::<Vec<_>>()
                    .join(" "),
                if japanese { a.explanation_ja.clone() } else { a.explanation_en.clone() },
                a.acknowledged.as_ref().map_or_else(String::new, |ack| format!("{}: {}", ack.by, ack.comment)),
            ]
        }))
        .collect();
    print!("{}", table::render(&rows));
    Ok(())
}

fn print_summary(summary: &AlertSummary) {
    let by_rule: Vec<String> = summary.open_by_rule.iter().map(|r| format!("{} {}", r.rule, r.count)).collect();
    println!(
        "{}",
        crate::locale::pick(
            &format!(
                "{}: 直近24時間の新しいアラート {}件（高 {}件）、未確認 {}件（高 {}件）{}",
                summary.day,
                summary.found_today,
                summary.high_today,
                summary.open,
                summary.open_high,
                if by_rule.is_empty() { String::new() } else { format!("：{}", by_rule.join("、")) }
            ),
            &format!(
                "{}: {} new alerts in the last 24 hours ({} high), {} open ({} high){}",
                summary.day,
                summary.found_today,
                summary.high_today,
                summary.open,
                summary.open_high,
                if by_rule.is_empty() { String::new() } else { format!(": {}", by_rule.join(", ")) }
            ),
        )
    );
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
