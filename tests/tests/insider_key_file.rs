//! Insider story (issue 9, attack 4, and the second factor of attack 5): the receptionist edits
//! `keys.json` and reads the database her own login opens. Each user's entry is one sealed value:
//! she cannot strip a clinician's user key so that his next login silently makes a new key pair
//! (and loses the clinical key), cannot move her own entry into his name, and finds no TOTP
//! secret in the database.

use mamori_core::auth::SecondFactor;
use mamori_core::domain::{AllergyInput, Severity};
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn edit_entry(site: &Site<MemoryStore>, user: &str, mut edit: impl FnMut(&mut serde_json::Value)) {
    let path = site.dir.key_file();
    let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    let entry = file["users"]
        .as_array_mut()
        .expect("users")
        .iter_mut()
        .find(|entry| entry["user"] == user)
        .expect("the user's entry");
    edit(entry);
    std::fs::write(&path, serde_json::to_vec_pretty(&file).expect("json")).expect("write");
}

fn allergy() -> AllergyInput {
    AllergyInput {
        substance: "テストペニシリン".into(), reaction: "発疹".into(), severity: Severity::Moderate
    }
}

#[test]
fn an_edited_clinicians_entry_is_refused_never_replaced_with_a_new_key_pair() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::new(tmp.path(), MemoryStore::default());
    let path = site.dir.key_file();
    let mut doctor = site.login("doctor");
    let p = doctor
        .register_patient(&patient("1001", ("守山", "花子"), ("モリヤマ", "ハナコ"), "1960-04-01", ""))
        .expect("register");
    doctor.record_allergy(p.id, &allergy()).expect("a clinical record");
    doctor.logout().expect("logout");
    let original = std::fs::read(&path).expect("read");

    // The last bytes of the sealed entry (where a user key would sit) cut off.
    edit_entry(&site, "doctor", |entry| {
        let sealed = entry["sealed"].as_str().expect("hex").to_string();
        entry["sealed"] = serde_json::Value::from(&sealed[..sealed.len() - 64]);
    });
    let edited = std::fs::read(&path).expect("read");
    assert!(matches!(site.try_login("doctor"), Err(Error::WrongPassword)));
    assert_eq!(std::fs::read(&path).expect("read"), edited, "the refused entry is not rewritten");

    // Another user's entry (one whose password she knows) relabelled as the doctor's.
    std::fs::write(&path, &original).expect("restore");
    let mut other = serde_json::Value::Null;
    edit_entry(&site, "nurse", |entry| other = entry.clone());
    edit_entry(&site, "doctor", |entry| {
        *entry = other.clone();
        entry["user"] = serde_json::Value::from("doctor");
    });
    assert!(matches!(site.try_login("doctor"), Err(Error::WrongPassword)));
    let nurse_password = site.password("nurse");
    site.clock.advance(chrono::Duration::minutes(5)); // past the guard's delay after two failures
    let relabelled = site.login_with("doctor", &nurse_password, mamori_core::auth::SecondFactor::Totp("000000".into()));
    assert!(matches!(relabelled, Err(Error::WrongPassword)), "the entry names its user");

    // Restored, the doctor logs in with the key pair he always had, and it still opens the
    // clinical key: nothing was replaced.
    std::fs::write(&path, &original).expect("restore");
    let chart = site.login("doctor").chart(p.id).expect("chart");
    assert_eq!(chart.allergies.expect("allergies").len(), 1);
}

#[test]
fn the_database_holds_no_second_factor_secret() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 3, 23);
    let desk = site.login("reception");
    let conn = desk.raw_sql_for_inspection().expect("open");
    // Nor anywhere else in the database: each user's base32 secret, and its raw bytes.
    let dump: Vec<u8> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>())
        .expect("tables")
        .iter()
        .flat_map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("rows");
            let mut bytes = Vec::new();
            while let Some(row) = rows.next().expect("row") {
                for i in 0..columns {
                    match row.get_ref(i).expect("cell") {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            bytes.extend_from_slice(t)
                        }
                        _ => {}
                    }
                }
            }
            bytes
        })
        .collect();
    for user in ["admin", "doctor", "nurse", "reception"] {
        let base32 = site.totp_secret(user);
        assert!(!base32.is_empty());
        let raw = totp_rs::Secret::try_from_base32(&base32).expect("base32");
        assert!(
            !contains(&dump, base32.as_bytes()) && !contains(&dump, raw.as_bytes()),
            "{user}'s TOTP secret is in the database"
        );
    }
}

#[test]
fn a_second_factor_reset_is_a_signed_code_the_user_redeems_once_in_her_own_session() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut site = Site::new(tmp.path(), MemoryStore::default());
    let reset = site.login("admin").reset_second_factor("nurse").expect("reset");
    // The code alone, or with another user's password, opens nothing.
    assert!(site.login_with("doctor", &site.password("doctor"), SecondFactor::parse(&reset.code)).is_err());
    site.clock.advance(chrono::Duration::minutes(5));
    let mut nurse = site
        .login_with("nurse", &site.password("nurse"), SecondFactor::parse(&reset.code.to_lowercase()))
        .expect("her password and the reset code");
    let enrollment = nurse.take_new_second_factor().expect("her new authenticator, shown to her");
    assert!(nurse.take_new_second_factor().is_none(), "shown once");
    nurse.logout().expect("logout");
    site.set_totp_secret("nurse", &enrollment.secret_base32);
    site.login("nurse").logout().expect("the new authenticator works");
    site.clock.advance(chrono::Duration::minutes(5));
    assert!(
        matches!(
            site.login_with("nurse", &site.password("nurse"), SecondFactor::parse(&reset.code)),
            Err(Error::WrongSecondFactor)
        ),
        "a reset code works once"
    );

    // A reset planted with raw SQL: there is no table to plant it in, and a forged chain link
    // breaks verification (tests/tests/insider_chain.rs).
    let desk = site.login("admin");
    let tables: i64 = desk
        .raw_sql_for_inspection()
        .expect("open")
        .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'user_second_factor'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 0);
}
