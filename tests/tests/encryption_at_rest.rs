//! Story: a laptop with a demo clinic is stolen. Whatever files the thief copies, no patient's
//! name, reading, phone number or note text is in them.

use mamori_core::domain::kana::fold_for_search;
use mamori_core::domain::EncounterKind;
use mamori_core::domain::SoapText;
use mamori_story_tests::*;

#[test]
fn no_patient_data_appears_in_any_file_of_the_data_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), test_keyring("at-rest"), 40, 11);
    let mut clinic = site.login("doctor");
    // Write while the store is open, so the write-ahead log holds fresh pages when we look.
    let p = clinic
        .register_patient(&patient("777777", ("秘密野", "守子"), ("ヒミツノ", "モリコ"), "1961-04-01", "090-1357-2468"))
        .expect("register");
    let encounter = clinic.open_encounter(p.id, EncounterKind::Outpatient).expect("encounter");
    let note = SoapText::build("極秘の訴えテキスト", "", "", "").expect("text");
    clinic.write_note(encounter.id, note).expect("note");

    let mut secrets: Vec<String> = vec![
        "秘密野".into(),
        "ヒミツノモリコ".into(),
        "ひみつの".into(),
        "090-1357-2468".into(),
        "09013572468".into(),
        "極秘の訴え".into(),
    ];
    for summary in clinic.search_patients("山", 10).expect("search") {
        let demo_patient = clinic.patient(summary.id).expect("patient");
        secrets.push(demo_patient.family_name.clone() + &demo_patient.given_name);
        secrets.push(demo_patient.family_kana.clone());
        secrets.push(fold_for_search(&demo_patient.family_kana));
        secrets.extend(demo_patient.phone.clone());
    }
    assert!(secrets.len() > 10, "the demo should contain patients to look for");

    assert_no_file_holds(tmp.path(), &secrets, "while open");
    assert!(files_under(tmp.path()).iter().any(|f| f.ends_with("chart.db-wal")), "the WAL should exist while open");
    drop(clinic);
    assert_no_file_holds(tmp.path(), &secrets, "after close");
    let names: Vec<String> = files_under(tmp.path())
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| {
            ["chart.db", "chart.db-wal", "chart.db-shm", "keys.json", "keys.json.lock", "own-changes"]
                .contains(&n.as_str())
        }),
        "unexpected files: {names:?}"
    );
    // The count a locked device reports if it is ordered wiped: a number, nothing else.
    let count = std::fs::read_to_string(tmp.path().join("clinic").join("own-changes")).expect("the count is kept");
    assert!(!count.is_empty() && count.chars().all(|c| c.is_ascii_digit()), "own-changes holds only a count");
    // The key file's lock (taken by every process that changes it) holds nothing.
    let lock = tmp.path().join("clinic").join("keys.json.lock");
    assert!(std::fs::read(&lock).map_or(true, |bytes| bytes.is_empty()), "the lock file is empty");
}

fn assert_no_file_holds(dir: &std::path::Path, secrets: &[String], when: &str) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).expect("readable");
        for secret in secrets {
            assert!(!contains(&bytes, secret.as_bytes()), "{when}: {} holds patient data", file.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_its_files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("perms"));
    let dir = site.dir;
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(dir.root()), 0o700);
    assert_eq!(mode(&dir.database()), 0o600);
    assert_eq!(mode(&dir.key_file()), 0o600);
}
