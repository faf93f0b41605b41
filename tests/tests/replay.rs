//! Story: the state tables are damaged (or a new version changes how changes apply). Replaying
//! the change log rebuilds exactly the chart the clinic had.

use mamori_core::domain::SoapText;
use mamori_story_tests::*;

#[test]
fn rebuilding_from_the_log_gives_identical_state_and_repairs_drift() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), test_keyring("replay"), 60, 3);
    let mut clinic = site.login("doctor");

    // A signed note amended, so replay must keep both versions.
    let some = clinic.search_patients("ヤ", 1).expect("search").remove(0);
    let signed =
        clinic.chart(some.id).expect("chart").notes.into_iter().flatten().next().expect("demo patients have notes");
    {
        clinic.amend_note(signed.id, SoapText::build("追記: 家族歴を確認", "", "", "").expect("text")).expect("amend");
    }

    let original = clinic.state_digest().expect("digest");
    let chart_before = clinic.chart(some.id).expect("chart");
    let changes = clinic.change_count().expect("count");
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let replayed = clinic.rebuild_with_progress(&mut |done, total| seen.push((done, total))).expect("rebuild");
    assert_eq!(replayed, changes);
    assert_eq!(clinic.state_digest().expect("digest"), original, "replay must give identical state");
    assert_eq!(seen.first(), Some(&(0, changes)), "the bar starts empty");
    assert_eq!(seen.last(), Some(&(changes, changes)), "the bar reaches the end");
    assert_eq!(seen.len() as u64, changes + 1, "one step per change replayed");

    // Damage the derived state behind the API's back; the digest notices, and a rebuild repairs it.
    let sql = clinic.raw_sql_for_inspection().expect("an unlocked session");
    sql.execute_batch("DELETE FROM notes; DELETE FROM patient_name_keys; UPDATE patients SET sort_kana = 'x';")
        .expect("damage");
    assert_ne!(clinic.state_digest().expect("digest"), original);
    assert!(clinic.search_patients("ヤ", 5).expect("search").is_empty(), "the damage is visible");
    clinic.rebuild().expect("rebuild");
    assert_eq!(clinic.state_digest().expect("digest"), original);
    assert_eq!(clinic.chart(some.id).expect("chart"), chart_before);
    assert!(!clinic.search_patients("ヤ", 5).expect("search").is_empty());
}

#[test]
fn the_change_log_refuses_edits_and_deletions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), test_keyring("append-only"));
    let clinic = site.login("doctor");
    let sql = clinic.raw_sql_for_inspection().expect("an unlocked session");
    let update = sql.execute("UPDATE changes SET author = 'mallory'", []);
    let delete = sql.execute("DELETE FROM changes", []);
    assert!(update.is_err() && delete.is_err(), "the log must be append-only");
    assert_eq!(clinic.change_count().expect("count"), 3, "three users were added, nothing else");
}
