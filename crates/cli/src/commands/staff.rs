//! `mamori posture` and `mamori training`: the clinic's standing against the MHLW guideline 6.0
//! technical items, and the records of staff training and reviews behind it.

use anyhow::Context as _;
use mamori_core::clinic::{records_csv, PostureItem, ReviewKind, Standing, TrainingKind};
use mamori_sync::device_overview::{for_posture, overview};

use crate::args::{ReviewKindArg, TrainingCommand, TrainingKindArg, Unlock, YesNo};
use crate::context::Context;
use crate::locale::pick;
use crate::output::table;

pub fn posture(context: &Context, unlock: &Unlock) -> anyhow::Result<()> {
    let mut clinic = context.unlock(unlock)?;
    clinic.authorize_admin()?;
    // What the server heard from each device; offline, that item says it was not checked.
    let heard = super::sync::remembered_server(context)
        .ok()
        .and_then(|server| super::sync::device_reports(context, &server, &clinic).ok());
    let devices = match &heard {
        Some((reports, acks)) => Some(for_posture(&overview(
            clinic.membership()?,
            clinic.device_id(),
            reports,
            acks,
            chrono::Utc::now().timestamp(),
        ))),
        None => None,
    };
    let items = clinic.posture(devices.as_deref());
    clinic.logout()?;
    print_posture(&items?);
    Ok(())
}

fn print_posture(items: &[PostureItem]) {
    let header: Vec<String> = ["item", "standing", "count", "names", "last", "what to do"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(items.iter().map(|item| {
            let standing = match item.standing {
                Standing::Ok => pick("良好", "ok"),
                Standing::Attention => pick("要対応", "attention"),
                Standing::Unknown => pick("不明", "unknown"),
            };
            vec![
                item.item.clone(),
                standing.to_string(),
                item.count.to_string(),
                item.names.join(" "),
                item.last.clone().unwrap_or_default(),
                todo(&item.item).to_string(),
            ]
        }))
        .collect();
    print!("{}", table::render(&rows));
}

/// What to do about an item, in the CLI's language.
fn todo(item: &str) -> &'static str {
    match item {
        "second_factor" => pick(
            "二段階認証のない利用者に設定してもらう（管理者が再設定コードを発行）",
            "have them enroll a second factor (an administrator issues a reset code)",
        ),
        "devices_unseen" => pick(
            "期限内に同期していない端末を確認し、紛失なら消去を指示する",
            "find the devices that have not synced within their lease; wipe any that is lost",
        ),
        "devices_outdated" => pick("古い版の端末を最新版に更新する", "update the devices on an older version"),
        "backups" => pick("バックアップ機能は未実装（次の版で対応）", "backups are not built yet"),
        "log_review" => pick(
            "アクセスログを確認し `mamori training review --kind access-log` で記録する（月1回）",
            "review the access log and record it with `mamori training review --kind access-log` (monthly)",
        ),
        "dependency_audit" => pick(
            "依存ソフトの脆弱性を確認し `--kind dependencies` で記録する（3か月ごと）",
            "audit the dependencies and record it with `--kind dependencies` (quarterly)",
        ),
        "open_alerts" => pick(
            "`mamori alerts list` で確認し、`alerts ack` で結果を記録する",
            "review them with `mamori alerts list` and record the outcome with `alerts ack`",
        ),
        "break_glass" => pick("緊急閲覧の理由を本人に確認する", "check each break-the-glass reason with the person"),
        "training" => pick(
            "年1回のセキュリティ研修を受けてもらい `mamori training add` で記録する",
            "hold the yearly security training and record it with `mamori training add`",
        ),
        _ => "",
    }
}

pub fn training(context: &Context, command: TrainingCommand) -> anyhow::Result<()> {
    match command {
        TrainingCommand::Add { staff: user, date, kind, topic, reported, unlock } => {
            let kind = match kind {
                TrainingKindArg::Training => TrainingKind::Training,
                TrainingKindArg::PhishingDrill => TrainingKind::PhishingDrill,
            };
            let reported = reported.map(|r| matches!(r, YesNo::Yes));
            let mut clinic = context.unlock(&unlock)?;
            let done = clinic.record_training(&user, date, kind, &topic, reported);
            clinic.logout()?;
            done?;
            println!("{}", pick("研修の記録を保存しました。", "Training recorded."));
        }
        TrainingCommand::Review { kind, date, by, findings, unlock } => {
            let kind = match kind {
                ReviewKindArg::AccessLog => ReviewKind::AccessLog,
                ReviewKindArg::Dependencies => ReviewKind::Dependencies,
            };
            let mut clinic = context.unlock(&unlock)?;
            let done = clinic.record_review(kind, date, &by, &findings);
            clinic.logout()?;
            done?;
            println!("{}", pick("確認の記録を保存しました。", "Review recorded."));
        }
        TrainingCommand::List { unlock } => {
            let csv = records(context, &unlock)?;
            print!("{csv}");
        }
        TrainingCommand::Export { output, unlock } => {
            let csv = records(context, &unlock)?;
            crate::output::write_new(&output, csv.as_bytes())?;
            println!("{}", output.display());
        }
    }
    Ok(())
}

fn records(context: &Context, unlock: &Unlock) -> anyhow::Result<String> {
    let mut clinic = context.unlock(unlock)?;
    let training = clinic.training_records();
    let reviews = clinic.review_records();
    clinic.logout()?;
    Ok(records_csv(&training.context("training records")?, &reviews.context("review records")?))
}
