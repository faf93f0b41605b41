//! The explanations an office manager reads, Japanese first, then English. They name the user,
//! how many patients and when; never a patient's name (the alert lists the charts by id, and the
//! app shows them to whoever may see them).

use chrono::{DateTime, Utc};

use crate::alert::{Explanation, Rule};
use crate::context::Context;

/// The facts an explanation may name.
pub(super) struct Facts<'a> {
    pub user: &'a str,
    pub patients: usize,
    pub events: usize,
    pub from: DateTime<Utc>,
    pub context: &'a Context,
    /// A number a rule measured (the day's usual volume; failed attempts).
    pub measure: Option<usize>,
}

fn when(facts: &Facts<'_>) -> String {
    facts.from.with_timezone(&facts.context.clinic.offset()).format("%Y-%m-%d %H:%M").to_string()
}

pub(super) fn explain(rule: Rule, facts: &Facts<'_>) -> Explanation {
    let (user, n, at) = (facts.user, facts.patients, when(facts));
    let usual = facts.measure.unwrap_or(0);
    let (ja, en) = match rule {
        Rule::NoRelationship => (
            format!("{user} が {at} ごろ、予約・受診・訪問診療・検査結果・代診など診療上の関係が見当たらない患者 {n}名のカルテを開きました。"),
            format!("{user} opened the charts of {n} patients around {at} with no appointment, visit, home-visit list, lab result or cover that explains it."),
        ),
        Rule::SameSurname => (
            format!("{user} が {at} ごろ、自分と同じ姓の患者 {n}名のカルテを、診療上の関係がないまま開きました（家族・親族の閲覧の可能性）。"),
            format!("{user} opened the charts of {n} patients who share their surname around {at}, with no treatment relationship (possibly relatives)."),
        ),
        Rule::SameNeighbourhood => (
            format!("{user} が {at} ごろ、自分と同じ町・丁目に住む患者 {n}名のカルテを、診療上の関係がないまま開きました（近所の人の閲覧の可能性）。"),
            format!("{user} opened the charts of {n} patients living in their own town and block around {at}, with no treatment relationship (possibly neighbours)."),
        ),
        Rule::OwnOrFamily => (
            format!("{user} が {at} ごろ、自分自身または家族のカルテ（{n}名分）を開きました。職員が自分や家族の記録を扱うことは院内規程で確認が必要です。"),
            format!("{user} opened their own or a family member's chart ({n}) around {at}. Staff handling their own or their family's records needs the clinic's review."),
        ),
        Rule::Sensitive => (
            format!("{user} が {at} ごろ、職員・職員の家族・著名人など配慮が必要な患者 {n}名のカルテを、診療上の関係がないまま開きました。"),
            format!("{user} opened {n} sensitive charts (staff, staff's family or a public figure) around {at}, with no treatment relationship."),
        ),
        Rule::OffHours => (
            format!("{user} が診療時間外の {at} ごろ、当直・代診の予定がないまま、診療上の関係が見当たらない患者 {n}名のカルテを開きました。"),
            format!("{user} opened the charts of {n} patients around {at}, outside clinic hours and outside any on-call or cover shift, with no treatment relationship."),
        ),
        Rule::Volume => (
            format!("{user} が {at} からの1日に、普段（1日約{usual}名）を大きく上回る {n}名のカルテを開き、その多くに診療上の関係が見当たりません（退職前の大量閲覧などの可能性）。"),
            format!("{user} opened {n} charts on the day from {at}, far above their usual (about {usual} a day), most with no treatment relationship (for example, someone about to leave)."),
        ),
        Rule::BulkExport => (
            format!("{user} が {at} ごろ、診療上の関係が見当たらない患者 {n}名分を印刷または書き出しました。"),
            format!("{user} printed or exported {n} patients' records around {at} with no treatment relationship."),
        ),
        Rule::RepeatedRefusals => (
            format!("{user} が {at} からの1時間に、権限のない操作を {} 回試みて拒否されました。", facts.events),
            format!("{user} tried {} actions their role does not allow within an hour from {at}, and was refused each time.", facts.events),
        ),
        Rule::FailedLoginBurst => (
            format!("アカウント {user} へのログインが {at} ごろ {usual} 回続けて失敗した後、成功しました（パスワードの推測の可能性）。"),
            format!("Logins to the account {user} failed {usual} times in a row around {at}, then one succeeded (the password may have been guessed)."),
        ),
        Rule::NewDeviceOrHour => (
            format!("{user} が {at} に、これまで使ったことのない端末または時間帯でログインしました。"),
            format!("{user} logged in at {at} from a device or at an hour this account never used before."),
        ),
        Rule::BreakGlass => (
            format!("{user} が {at} ごろ、緊急時の閲覧（ブレイク・ザ・グラス）で権限外の記録を開きました（{n}名分、理由の記入あり）。内容の確認をお願いします。"),
            format!("{user} used break-the-glass around {at} to open records beyond their role ({n} patients, with a typed reason). Please review it."),
        ),
    };
    Explanation { ja, en }
}
