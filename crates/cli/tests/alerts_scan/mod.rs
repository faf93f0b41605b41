//! `mamori alerts scan` over a generated clinic's exported events and context: the same alerts
//! the detector gives, one JSON object per line with the fields the issue names; bad files are a
//! one-line error.

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
