//! A chart as plain text for the terminal: header, allergy banner, problems, then the timeline.

use std::fmt::Write;

use chrono::NaiveDate;
use mamori_core::clinic::{japan_time, Chart};
use mamori_core::domain::dates::to_wareki;
use mamori_core::domain::{EncounterKind, LabFlag, Sex};

pub fn render(chart: &Chart, today: NaiveDate) -> String {
    let mut out = String::new();
    let p = &chart.patient;
    let sex = match p.sex {
        Sex::Male => "男",
        Sex::Female => "女",
        Sex::Other => "他",
    };
    let _ = writeln!(
        out,
        "{}（{}） {} {}歳  {}（{}）  カルテ番号 {}",
        p.full_name(),
        p.full_kana(),
        sex,
        p.age_on(today),
        to_wareki(p.birth_date),
        p.birth_date,
        p.chart_no
    );
    let _ = writeln!(
        out,
        "〒{} {}  TEL {}",
        p.postal_code.as_deref().unwrap_or("-"),
        p.address,
        p.phone.as_deref().unwrap_or("-")
    );
    if let Some(ins) = &p.insurance {
        let _ = writeln!(
            out,
            "保険 {} 記号 {} 番号 {}  負担 {}割",
            ins.insurer_number,
            ins.symbol,
            ins.number,
            ins.copay_percent / 10
        );
    }
    if chart.records_withheld > 0 {
        let _ = writeln!(
            out,
            "⚠ 検証できない臨床記録 {} 件を表示していません（改ざん・移動・記載者以外の署名）。管理者に報告しました。",
            chart.records_withheld
        );
    }
    if chart.records_missing > 0 {
        let _ = writeln!(
            out,
            "⚠ 監査ログに記録がある臨床記録 {} 件がこのカルテから消えています（削除）。管理者に報告しました。",
            chart.records_missing
        );
    }
    match chart.allergies.as_deref() {
        None => {}
        Some([]) => {
            let _ = writeln!(out, "アレルギー: なし");
        }
        Some(allergies) => {
            let list: Vec<String> = allergies.iter().map(|a| format!("{}（{}）", a.substance, a.reaction)).collect();
            let _ = writeln!(out, "⚠ アレルギー: {}", list.join("、"));
        }
    }
    for problem in chart.problems.iter().flatten() {
        let _ = writeln!(out, "病名: {} {}", problem.name, problem.icd10.as_deref().unwrap_or(""));
    }
    for encounter in chart.encounters.iter().rev() {
        let local = encounter.started_at.with_timezone(&japan_time());
        let kind = match encounter.kind {
            EncounterKind::Outpatient => "外来",
            EncounterKind::HomeVisit => "訪問診療",
        };
        let _ = writeln!(out, "\n── {} {kind} ({})", local.format("%Y-%m-%d %H:%M"), encounter.clinician);
        for v in chart.vitals.iter().flatten().filter(|v| v.encounter_id == Some(encounter.id)) {
            let _ = writeln!(
                out,
                "  バイタル BP {}/{} P {} T {} SpO2 {}",
                opt(v.systolic_mmhg),
                opt(v.diastolic_mmhg),
                opt(v.pulse_bpm),
                opt(v.temperature_c),
                opt(v.spo2_percent)
            );
        }
        for note in chart.notes.iter().flatten().filter(|n| n.encounter_id == encounter.id) {
            let _ = writeln!(out, "  記録 v{} [{}]", note.version, note.status.as_str());
            for (label, text) in [
                ("S", &note.text.subjective),
                ("O", &note.text.objective),
                ("A", &note.text.assessment),
                ("P", &note.text.plan),
            ] {
                for (i, line) in text.lines().enumerate() {
                    let _ = writeln!(out, "    {}  {line}", if i == 0 { label } else { " " });
                }
            }
        }
        for rx in chart.prescriptions.iter().flatten().filter(|r| r.encounter_id == Some(encounter.id)) {
            let _ = writeln!(out, "  処方{}", if rx.repeat_of.is_some() { "（Do）" } else { "" });
            for item in &rx.items {
                let _ = writeln!(
                    out,
                    "    Rp. {} {}{} {} {}日分",
                    item.drug, item.dose, item.unit, item.frequency, item.days
                );
            }
        }
    }
    for report in chart.lab_reports.iter().flatten().rev().take(3) {
        let local = report.collected_at.with_timezone(&japan_time());
        let _ = writeln!(out, "\n検査 {}", local.format("%Y-%m-%d"));
        for r in &report.results {
            let flag = match r.flag {
                LabFlag::High => " H",
                LabFlag::Low => " L",
                LabFlag::Normal => "",
            };
            let _ = writeln!(out, "  {:<8} {} {}{flag}", r.test, r.value, r.unit);
        }
    }
    out
}

fn opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}
