//! `mamori alerts scan` over a generated clinic's exported events and context: the same alerts
//! the detector gives, one JSON object per line with the fields the issue names; bad files are a
//! one-line error.

mod posture;

use super::support::*;

#[test]
fn the_scan_prints_every_alert_as_one_json_object_with_rule_user_patients_events_time_severity_and_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clinic = mamori_detect::synth::generate(3);
    let events: String = clinic.events.iter().map(|e| serde_json::to_string(e).expect("event") + "\n").collect();
    let events_file = tmp.path().join("events.jsonl");
    let context_file = tmp.path().join("context.json");
    std::fs::write(&events_file, events).expect("events");
    std::fs::write(&context_file, serde_json::to_string(&clinic.context).expect("context")).expect("context");
    let (e, c) = (events_file.to_str().expect("utf-8"), context_file.to_str().expect("utf-8"));

    let out = mamori(tmp.path(), &["alerts", "scan", "--events", e, "--context", c, "--json"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    let expected = mamori_detect::detect(&clinic.events, &clinic.context);
    assert_eq!(lines.len(), expected.len());
    assert!(!lines.is_empty(), "the planted misuse raises alerts");
    for line in &lines {
        for field in ["rule", "user", "patients", "events", "from", "to", "severity", "explanation"] {
            assert!(!line[field].is_null(), "{field} missing: {line}");
        }
        assert!(line["explanation"]["ja"].as_str().is_some_and(|t| !t.is_ascii()), "{line}");
    }
    let table = mamori(tmp.path(), &["alerts", "scan", "--events", e, "--context", c], "");
    assert!(stdout(&table).contains(&format!("{} alerts in", expected.len())), "{}", stdout(&table));

    std::fs::write(&events_file, "{\"not\": \"an event\"}\n").expect("junk");
    let junk = mamori(tmp.path(), &["alerts", "scan", "--events", e, "--context", c, "--json"], "");
    assert!(!junk.status.success());
    assert!(stderr(&junk).contains("line 1"), "{}", stderr(&junk));
    assert_eq!(stderr(&junk).trim_end().lines().count(), 1, "one line: {}", stderr(&junk));
    let missing = mamori(tmp.path(), &["alerts", "scan", "--events", "/nonexistent.jsonl", "--context", c], "");
    assert!(
        !missing.status.success() && stderr(&missing).contains("could not read the events file"),
        "{}",
        stderr(&missing)
    );
}

/// The administrator's side on the demo clinic: the planted cases listed, one acknowledged with
/// a comment, the context exported with no name or address in it, and `alerts scan` over that
/// export and the audit export finding what `alerts list` found.
#[test]
fn the_admin_lists_acknowledges_and_exports_and_the_export_reproduces_the_alerts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "250");
    let admin = "demo-admin-password\n";
    let unlock = ["--user", "admin", "--password-stdin"];
    let run = |args: &[&str]| mamori(&dir, &[args, &unlock[..]].concat(), admin);
    let json_lines = |out: &std::process::Output| -> Vec<serde_json::Value> {
        assert!(out.status.success(), "{}", stderr(out));
        stdout(out).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
    };

    let listed = json_lines(&run(&["alerts", "list", "--json"]));
    let rules: Vec<(String, String)> = listed
        .iter()
        .map(|a| (a["rule"].as_str().unwrap_or_default().into(), a["user"].as_str().unwrap_or_default().into()))
        .collect();
    for planted in [("same_surname", "nurse"), ("off_hours", "reception"), ("bulk_export", "doctor")] {
        assert!(rules.iter().any(|(r, u)| (r.as_str(), u.as_str()) == planted), "{planted:?} in {rules:?}");
    }
    let table = run(&["alerts", "list"]);
    assert!(stdout(&table).contains("same_surname"), "{}", stdout(&table));

    let id = listed[0]["id"].as_str().expect("id").to_string();
    let empty = run(&["alerts", "ack", &id, "--comment", " "]);
    assert!(!empty.status.success(), "a comment is required");
    assert_eq!(stderr(&empty).trim_end().lines().count(), 1, "{}", stderr(&empty));
    let acked = run(&["alerts", "ack", &id, "--comment", "本人に確認済み"]);
    assert!(acked.status.success(), "{}", stderr(&acked));
    let done = json_lines(&run(&["alerts", "list", "--status", "acknowledged", "--json"]));
    assert!(done.iter().any(|a| a["id"] == id && a["acknowledged"]["comment"] == "本人に確認済み"), "{done:?}");
    let still_open = json_lines(&run(&["alerts", "list", "--json"]));
    assert!(still_open.iter().all(|a| a["id"] != id), "no longer open");
    let summary = run(&["alerts", "summary"]);
    assert!(stdout(&summary).contains(&format!("{} open", still_open.len())), "{}", stdout(&summary));

    let context_file = tmp.path().join("context.json");
    let c = context_file.to_str().expect("utf-8");
    let exported = run(&["alerts", "context-export", "--output", c]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let context = std::fs::read_to_string(&context_file).expect("context");
    for word in ["佐藤", "サトウ", "東京都", "世田谷", "三軒茶屋"] {
        assert!(!context.contains(word), "the export holds no name or address ({word})");
    }
    let again = run(&["alerts", "context-export", "--output", c]);
    assert!(!again.status.success() && stderr(&again).contains("not overwritten"), "{}", stderr(&again));

    let events = run(&["audit", "export"]);
    assert!(events.status.success(), "{}", stderr(&events));
    let events_file = tmp.path().join("events.jsonl");
    std::fs::write(&events_file, stdout(&events)).expect("events");
    let e = events_file.to_str().expect("utf-8");
    let scanned = json_lines(&mamori(&dir, &["alerts", "scan", "--events", e, "--context", c, "--json"], ""));
    for alert in &listed {
        let same = |s: &serde_json::Value| s["rule"] == alert["rule"] && s["user"] == alert["user"];
        let patients = |a: &serde_json::Value| a["patients"].as_array().map(|p| p.len()).unwrap_or_default();
        assert!(
            scanned
                .iter()
                .any(|s| same(s) && patients(s) == alert["patients"].as_array().map(Vec::len).unwrap_or_default()),
            "the export reproduces {alert}"
        );
    }
}
