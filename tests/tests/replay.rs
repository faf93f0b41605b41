//! Story: the state tables are damaged (or a new version changes how changes apply). Replaying
//! the change log rebuilds exactly the chart the clinic had.

use mamori_core::clinic::Clinic;
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::SoapText;
use mamori_core::secret::Password;
use mamori_story_tests::*;

#[test]
fn rebuilding_from_the_log_gives_identical_state_and_repairs_drift() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = test_keyring("replay");
    let dir = data_dir(tmp.path());
    demo::create(&dir, &keyring, Box::new(clinic_clock()), &DemoOptions { patients: 60, seed: 3 }).expect("demo");
    let mut clinic =
        Clinic::unlock(&dir, &keyring, Box::new(clinic_clock()), "doctor", &Password::new("demo-doctor-password"))
            .expect("unlock");

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
    assert_eq!(clinic.rebuild().expect("rebuild"), changes);
    assert_eq!(clinic.state_digest().expect("digest"), original, "replay must give identical state");

    // Damage the derived state behind the API's back; the digest notices, and a rebuild repairs it.
    let sql = clinic.raw_sql_for_inspection();
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
    let keyring = test_keyring("append-only");
    let clinic = new_clinic(tmp.path(), &keyring);
    let sql = clinic.raw_sql_for_inspection();
    let update = sql.execute("UPDATE changes SET author = 'mallory'", []);
    let delete = sql.execute("DELETE FROM changes", []);
    assert!(update.is_err() && delete.is_err(), "the log must be append-only");
    assert_eq!(clinic.change_count().expect("count"), 1);
}
