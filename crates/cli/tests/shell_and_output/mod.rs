//! The command as a person at a shell meets it: mistyped commands, --help, completions, the man
//! page, progress on long work, tables with Japanese names, and audit reports opened in a
//! spreadsheet.

use std::process::Command;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::support::*;

#[test]
fn a_mistyped_command_gets_claps_whole_message_with_a_suggestion_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "3");
    let before = fingerprint(&dir);
    let usage = "Usage: mamori";
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["patinet", "search", "山田"],
            &["unrecognized subcommand 'patinet'", "similar subcommand", "'patient'", usage],
        ),
        (&["patient", "search", "山田", "--usr", "doctor"], &["unexpected argument '--usr'", "'--user'", usage]),
        (&["demo", "--patients", "lots"], &["invalid value 'lots' for '--patients <N>'"]),
        (&["demo", "--patients", "0"], &["invalid value '0'", "1..=1000000"]),
        (&["patient", "search"], &["required", "<QUERY>", "--user <USER>", usage]),
    ];
    for (args, expected) in cases {
        let out = mamori(&dir, args, "");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        for text in expected {
            assert!(err.contains(text), "{args:?} should say {text:?}: {err}");
        }
        assert!(err.contains("try '--help'"), "{args:?}: clap's closing hint kept: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}");
        assert_eq!(fingerprint(&dir), before, "{args:?} changed the data folder");
    }
}

#[test]
fn help_lists_the_roles_and_explains_every_argument() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("none");
    for args in [&["init", "--help"][..], &["user", "add", "--help"]] {
        let out = mamori(&dir, args, "");
        assert!(out.status.success(), "{}", stderr(&out));
        let help = stdout(&out);
        for (role, what) in
            [("reception", "Front desk"), ("nurse", "Nursing"), ("doctor", "signing"), ("admin", "audit")]
        {
            let line = help.lines().find(|l| l.trim_start().starts_with(&format!("- {role}:")));
            assert!(line.is_some_and(|l| l.contains(what)), "{args:?}: {role} is listed and explained:\n{help}");
        }
    }
    let top = stdout(&mamori(&dir, &["--help"], ""));
    for command in ["init", "demo", "patient", "store", "audit", "user", "completions", "man"] {
        assert!(top.lines().any(|l| l.trim_start().starts_with(command)), "{command} in --help:\n{top}");
    }
    assert!(!dir.exists(), "help creates nothing");
}

#[test]
fn completions_and_the_man_page_are_what_the_shell_and_man_expect() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("none");
    let bash = mamori(&dir, &["completions", "bash"], "");
    assert!(bash.status.success(), "{}", stderr(&bash));
    let bash = stdout(&bash);
    assert!(bash.contains("complete -F _mamori") && bash.contains("patient"), "{bash}");
    // From a file, as a shell sources it (the script outgrew one command-line argument).
    let script = tmp.path().join("mamori.bash");
    std::fs::write(&script, &bash).expect("script");
    let check = Command::new("bash").arg("-n").arg(&script).output().expect("bash runs");
    assert!(check.status.success(), "bash parses the script: {}", stderr(&check));

    let zsh = stdout(&mamori(&dir, &["completions", "zsh"], ""));
    assert!(zsh.starts_with("#compdef mamori"), "{zsh}");
    let fish = stdout(&mamori(&dir, &["completions", "fish"], ""));
    assert!(fish.contains("complete -c mamori") && fish.contains("idle-timeout"), "{fish}");
    let other = mamori(&dir, &["completions", "powershell"], "");
    assert!(stderr(&other).contains("[possible values: bash, zsh, fish]"), "{}", stderr(&other));

    let man = mamori(&dir, &["man"], "");
    assert!(man.status.success(), "{}", stderr(&man));
    let page = stdout(&man);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{}", &page[..page.len().min(200)]);
    assert!(page.lines().any(|l| l.starts_with(".TH mamori")), "a man page title line");
    assert!(page.contains("completions") && page.contains("audit"), "subcommands are listed");
    assert!(!dir.exists(), "completions and man need no data folder");
}

#[test]
fn a_long_demo_draws_a_progress_bar_on_a_terminal_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("clinic");
    // `script` (util-linux) runs the command on a pseudo-terminal, as a person at a shell would.
    let command = format!(
        "{} --data-dir {} demo --patients 300 --seed 2",
        env!("CARGO_BIN_EXE_mamori"),
        dir.to_str().expect("utf-8 path")
    );
    let out = Command::new("script").args(["-qefc", &command, "/dev/null"]).output().expect("script runs");
    let seen = stdout(&out);
    assert!(out.status.success(), "{seen}");
    assert!(seen.contains("patients [") && seen.contains("/300"), "a bar of the 300 patients: {seen:?}");
    assert!(seen.contains("[=") && seen.contains("\r"), "that moves, redrawn in place: {seen:?}");
    assert!(seen.contains("Demo clinic created"), "{seen}");
    // The same command in a pipe (a script, a test) prints no bar: see the demo test in cli.rs.
}

#[test]
fn patient_search_lines_up_kanji_names_by_display_width() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "60");
    // Most demo patients have a mobile number starting 090, 080 or 070.
    let out =
        mamori(&dir, &["patient", "search", "090", "--user", "doctor", "--password-stdin"], &format!("{DOCTOR}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 5 && lines[0].starts_with("id"), "{text}");
    // Columns are separated by two or more spaces (a name holds one between family and given name).
    let starts = |line: &str| -> Vec<usize> {
        let mut starts = vec![0];
        let mut blanks = 0;
        for (at, c) in line.char_indices() {
            if c == ' ' {
                blanks += 1;
            } else {
                if blanks >= 2 {
                    starts.push(line[..at].width());
                }
                blanks = 0;
            }
        }
        starts
    };
    let header = starts(lines[0]);
    assert_eq!(header.len(), 6, "{}", lines[0]);
    assert!(lines[1..].iter().any(|l| l.chars().any(|c| c.width().unwrap_or(1) == 2)), "rows hold wide characters");
    for line in &lines[1..] {
        assert_eq!(starts(line), header, "misaligned row:\n{text}");
    }
}

#[test]
fn a_break_the_glass_reason_typed_as_a_formula_reaches_the_spreadsheet_as_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "5");
    let formula = "=HYPERLINK(\"http://x\",\"y\")";
    // An alert names a patient by id; the admin breaks the glass to see who it is, and types a
    // "reason" that a spreadsheet would run.
    let found = mamori(
        &dir,
        &["patient", "search", "1", "--user", "doctor", "--password-stdin", "--json"],
        &format!("{DOCTOR}\n"),
    );
    let hits: serde_json::Value = serde_json::from_str(&stdout(&found)).expect("json");
    let patient: uuid::Uuid = hits[0]["id"].as_str().expect("id").parse().expect("uuid");
    let mut clinic = login(&dir, "admin", "demo-admin-password");
    clinic
        .break_glass(patient, mamori_core::policy::Section::Demographics, formula)
        .expect("the admin breaks the glass");
    clinic.logout().expect("logout");
    let admin = "demo-admin-password\n";
    for args in [
        vec!["audit", "report", "--patient", &patient.to_string(), "--format", "csv"],
        vec!["audit", "alerts", "--format", "csv"],
    ] {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).chain(["--user", "admin", "--password-stdin"]).collect();
        let out = mamori(&dir, &args, admin);
        assert!(out.status.success(), "{}", stderr(&out));
        let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
        let header = reader.headers().expect("header").clone();
        let column = |name: &str| header.iter().position(|h| h == name).expect("column");
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("valid CSV");
        let glass = rows
            .iter()
            .find(|r| &r[column("action")] == "break_glass")
            .unwrap_or_else(|| panic!("{args:?}: the break-the-glass event is listed"));
        assert_eq!(&glass[column("reason")], format!("'{formula}"), "text, not a formula");
        assert_eq!(&glass[column("break_glass")], "true");
        assert_eq!(&glass[column("section")], "demographics");
        for row in &rows {
            assert!(row.iter().all(|cell| !cell.starts_with(['=', '+', '-', '@'])), "{args:?}: {row:?}");
        }
    }
}

#[test]
fn event_kinds_print_with_the_names_the_json_and_the_docs_use() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_clinic(tmp.path(), "3");
    let failed = mamori(&dir, &["patient", "search", "1", "--user", "nurse", "--password-stdin"], "wrong-password\n");
    assert!(!failed.status.success());
    let admin = "demo-admin-password\n";
    let table = mamori(&dir, &["audit", "alerts", "--user", "admin", "--password-stdin"], admin);
    assert!(table.status.success(), "{}", stderr(&table));
    let table = stdout(&table);
    assert!(table.lines().any(|l| l.contains("login_failed") && l.contains("denied")), "{table}");
    assert!(!table.to_lowercase().contains("loginfailed"), "{table}");

    let json = mamori(&dir, &["audit", "alerts", "--format", "json", "--user", "admin", "--password-stdin"], admin);
    let events: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/audit-events.md")).expect("docs");
    for event in events.as_array().expect("array") {
        let action = event["action"].as_str().expect("action");
        assert!(table.contains(action), "{action} printed as in the JSON:\n{table}");
        assert!(docs.contains(&format!("`{action}`")), "{action} is documented");
    }
}
