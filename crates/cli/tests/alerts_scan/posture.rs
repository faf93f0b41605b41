//! `mamori posture` and `mamori training`: the page names the missing reviews and training,
//! records fill them, the CSV holds them for an inspector, and bad input is a one-line error
//! that records nothing.

use super::super::support::*;

#[test]
fn posture_and_training_records_on_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "20");
    let admin = "demo-admin-password\n";
    let unlock = ["--user", "admin", "--password-stdin"];
    let run = |args: &[&str]| mamori(&dir, &[args, &unlock[..]].concat(), admin);
    let line = |out: &std::process::Output, item: &str| -> String {
        stdout(out).lines().find(|l| l.starts_with(item)).unwrap_or_default().to_string()
    };
    // The CLI runs on the tests' clock (MAMORI_TEST_NOW), which starts on this day.
    let first = chrono::DateTime::from_timestamp(FIRST_SECOND, 0).expect("time");
    let today = first.with_timezone(&mamori_core::clinic::japan_time()).date_naive().to_string();

    let before = run(&["posture"]);
    assert!(before.status.success(), "{}", stderr(&before));
    assert!(line(&before, "log_review").contains("attention"), "{}", stdout(&before));
    assert!(line(&before, "training").contains("nurse"), "{}", stdout(&before));
    assert!(line(&before, "backups").contains("unknown"), "{}", stdout(&before));

    let future = run(&["training", "add", "nurse", "--date", "2999-01-01", "--topic", "研修"]);
    assert!(!future.status.success());
    assert_eq!(stderr(&future).trim_end().lines().count(), 1, "{}", stderr(&future));
    let bad_date = run(&["training", "add", "nurse", "--date", "yesterday", "--topic", "研修"]);
    assert!(!bad_date.status.success(), "a date that is not YYYY-MM-DD is refused");

    for user in ["admin", "doctor", "nurse", "reception"] {
        let added = run(&["training", "add", user, "--date", &today, "--topic", "情報セキュリティ研修"]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let drill = run(&[
        "training",
        "add",
        "nurse",
        "--date",
        &today,
        "--kind",
        "phishing-drill",
        "--topic",
        "標的型メール訓練",
        "--reported",
        "yes",
    ]);
    assert!(drill.status.success(), "{}", stderr(&drill));
    let review = run(&["training", "review", "--kind", "access-log", "--date", &today, "--findings", "異常なし"]);
    assert!(review.status.success(), "{}", stderr(&review));

    let after = run(&["posture"]);
    assert!(line(&after, "log_review").contains(" ok "), "{}", stdout(&after));
    assert!(line(&after, "training").contains(" ok "), "{}", stdout(&after));

    let csv_file = tmp.path().join("records.csv");
    let f = csv_file.to_str().expect("utf-8");
    let exported = run(&["training", "export", "--output", f]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let csv = std::fs::read_to_string(&csv_file).expect("csv");
    assert!(csv.starts_with("record,date,staff_or_reviewer,kind,"), "{csv}");
    assert!(csv.contains(&format!("training,{today},nurse,phishing_drill,標的型メール訓練,yes,admin")), "{csv}");
    assert!(csv.contains(&format!("review,{today},admin,access_log,異常なし")), "{csv}");

    let nurse = mamori(&dir, &["posture", "--user", "nurse", "--password-stdin"], "demo-nurse-password\n");
    assert!(!nurse.status.success(), "the posture page is the administrator's");

    // The detector's context from the command line: a profile, the hours, the roster.
    let profile = run(&["alerts", "profile", "nurse", "--surname", "高橋", "--home-town", "下馬", "--home-block", "3"]);
    assert!(profile.status.success(), "{}", stderr(&profile));
    let hours_file = tmp.path().join("hours.json");
    std::fs::write(&hours_file, r#"{"utc_offset_minutes": 540, "hours": [{"weekday": 0, "open": "09:00:00", "close": "18:00:00"}], "holidays": ["2026-12-29"]}"#)
        .expect("hours");
    let hours = run(&["alerts", "hours", "--file", hours_file.to_str().expect("utf-8")]);
    assert!(hours.status.success(), "{}", stderr(&hours));
    let roster_file = tmp.path().join("roster.json");
    std::fs::write(&roster_file, r#"[{"user": "doctor", "kind": "on_call"}]"#).expect("roster");
    let roster = run(&["alerts", "roster", "--file", roster_file.to_str().expect("utf-8")]);
    assert!(!roster.status.success(), "a shift without its times is refused");
    assert!(stderr(&roster).contains("docs/detection-context.md"), "{}", stderr(&roster));
    let context_file = tmp.path().join("context.json");
    let exported = run(&["alerts", "context-export", "--output", context_file.to_str().expect("utf-8")]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let context: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&context_file).expect("context")).expect("json");
    assert_eq!(context["clinic"]["hours"].as_array().map(Vec::len), Some(1), "the hours set are the hours exported");
    let nurse_profile = context["staff"].as_array().expect("staff").iter().find(|s| s["user"] == "nurse").cloned();
    let surname = nurse_profile.expect("the nurse")["surname"].as_str().unwrap_or_default().to_string();
    assert!(surname.starts_with('t') && !surname.contains("高橋"), "the profile is exported as a token: {surname}");
}
