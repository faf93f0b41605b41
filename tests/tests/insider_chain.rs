//! Insider stories (issue 9, attacks 1, 3 and 4): the receptionist, with raw SQL on the database
//! her own login opens, tries to reach clinical content through the key bookkeeping, and an
//! administrator tries through the normal UI. Users, roles, public keys and clinical key epochs
//! now come from the signed membership chain; each attempt is refused or detected.

use mamori_core::audit::{Action, Filter};
use mamori_core::domain::{AllergyInput, Role, Severity, User};
use mamori_core::secret::{Key32, Password};
use mamori_core::vault::{section_key, DeviceSecretStore, MemoryStore};
use mamori_core::Error;
use mamori_story_tests::*;
use rusqlite::{params, Connection};
use uuid::Uuid;

fn allergy(substance: &str) -> AllergyInput {
    AllergyInput { substance: substance.into(), reaction: "発疹".into(), severity: Severity::Moderate }
}

/// A clinic (admin, doctor, nurse with the clinical key; reception added) with one chart.
fn clinic(tmp: &std::path::Path) -> (Site<MemoryStore>, Uuid) {
    let mut site = Site::new(tmp, MemoryStore::default());
    let mut admin = site.login("admin");
    let reception = User::build("reception", "受付 花子", Role::Reception).expect("user");
    site.invite(&mut admin, &reception, &password_of("reception"));
    admin.logout().expect("logout");
    let mut doctor = site.login("doctor");
    let p = doctor
        .register_patient(&patient("2001", ("守山", "花子"), ("モリヤマ", "ハナコ"), "1960-04-01", ""))
        .expect("register");
    doctor.record_allergy(p.id, &allergy("テストペニシリン")).expect("allergy");
    doctor.logout().expect("logout");
    (site, p.id)
}

/// A user's X25519 public key as the chain's links show it (anyone who opens the database can
/// read them).
fn public_key_of(sql: &Connection, user: &str) -> [u8; 32] {
    let bodies: Vec<Vec<u8>> = sql
        .prepare("SELECT body FROM membership_links ORDER BY seq")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("links");
    bodies
        .iter()
        .map(|b| serde_json::from_slice::<serde_json::Value>(b).expect("json"))
        .find(|link| link["statement"]["user"] == user && link["statement"]["x25519"].is_string())
        .map(|link| hex_32(link["statement"]["x25519"].as_str().expect("hex")))
        .expect("the user's link")
}

fn hex_32(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect();
    bytes.try_into().expect("32 bytes")
}

fn tampering_alerts(site: &Site<MemoryStore>) -> Vec<String> {
    let mut admin = site.login("admin");
    let alerts = admin.audit_events(&Filter::Alerts).expect("alerts");
    alerts.into_iter().filter(|e| e.action == Action::Tampering).filter_map(|e| e.reason).collect()
}

/// Attack 1: she wraps a clinical key of her own to the doctor as a newer epoch. The doctor's
/// login refuses it (no clinician signed that epoch), raises an alert, and his new records stay
/// under the real key.
#[test]
fn a_clinical_key_planted_for_the_doctor_is_refused_and_raised() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site, p) = clinic(tmp.path());
    let planted = Key32::from_bytes([0x42; 32]);
    let desk = site.login("reception");
    let sql = desk.raw_sql_for_inspection().expect("her session's database");
    let doctor_key = public_key_of(sql, "doctor");
    for epoch in [2u32, 99] {
        let wrap = section_key::wrap(&planted, epoch, "doctor", &doctor_key).expect("wrap");
        sql.execute(
            "INSERT INTO section_key_wraps (user, epoch, ephemeral_public, nonce, ciphertext) VALUES ('doctor', ?1, ?2, ?3, ?4)",
            params![epoch, wrap.ephemeral_public.to_vec(), wrap.sealed.nonce.to_vec(), wrap.sealed.ciphertext],
        )
        .expect("plant");
    }
    drop(desk);

    let mut doctor = site.login("doctor");
    doctor.record_allergy(p, &allergy("テスト新規アレルゲン")).expect("a new clinical record");
    let chart = doctor.chart(p).expect("chart");
    assert_eq!(chart.allergies.expect("allergies").len(), 2, "he still reads everything");
    doctor.logout().expect("logout");
    // Every sealed row is under epoch 1, the one a clinician signed; none under hers.
    let desk = site.login("reception");
    let epochs: Vec<u32> = desk
        .raw_sql_for_inspection()
        .expect("open")
        .prepare("SELECT body FROM allergies")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, Vec<u8>>(0))?.collect::<Result<Vec<_>, _>>())
        .expect("rows")
        .iter()
        .map(|row| u32::from_be_bytes([row[1], row[2], row[3], row[4]]))
        .collect();
    assert_eq!(epochs, [1, 1]);
    let alerts = tampering_alerts(&site);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts.iter().all(|r| r.contains("does not match the epoch's signed commitment")));
}

/// Attack 4: her SQL edits of the old tables change nothing: a disabled colleague stays
/// disabled, her own role stays reception, and a clinician's deleted wraps come back wrapped to
/// the key the chain names.
#[test]
fn roles_and_accounts_edited_in_the_tables_count_for_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site, p) = clinic(tmp.path());
    let mut admin = site.login("admin");
    admin.set_user_disabled("nurse", true).expect("disable the nurse");
    admin.logout().expect("logout");

    let desk = site.login("reception");
    let sql = desk.raw_sql_for_inspection().expect("open");
    sql.execute_batch(
        "UPDATE users SET disabled = 0 WHERE name = 'nurse';
         UPDATE users SET role = 'doctor' WHERE name = 'reception';
         DELETE FROM section_key_wraps WHERE user = 'doctor';",
    )
    .expect("edit");
    drop(desk);
    assert!(matches!(site.try_login("nurse"), Err(Error::AccountDisabled)));
    let mut desk = site.login("reception");
    assert_eq!(desk.user().role, Role::Reception);
    assert!(desk.chart(p).expect("demographics").allergies.is_none(), "no clinical section for reception");

    // The doctor's wraps are gone from the database, but he keeps the keys he accepted in his
    // own sealed key-file entry: he still reads, and his login writes a wrap for himself again.
    let mut doctor = site.login("doctor");
    assert_eq!(doctor.chart(p).expect("chart").allergies.expect("allergies").len(), 1);
    doctor.logout().expect("logout");
}

/// Attack 4: a link written with her own key, or an edited link, breaks the chain: every login
/// is refused with a clear message rather than trusting it. Cutting the newest link is found
/// against the pins.
#[test]
fn a_forged_edited_or_cut_chain_refuses_every_login() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site, _) = clinic(tmp.path());
    let desk = site.login("reception");
    let sql = desk.raw_sql_for_inspection().expect("open");
    let (seq, body): (i64, Vec<u8>) = sql
        .query_row(
            "SELECT seq, body FROM membership_links WHERE seq = (SELECT max(seq) FROM membership_links)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("newest link");
    let original: Vec<u8> = body.clone();
    // She edits the newest link to make herself a doctor.
    let edited = String::from_utf8(body).expect("utf-8").replace("\"reception\"", "\"doctor\"");
    sql.execute("UPDATE membership_links SET body = ?1 WHERE seq = ?2", params![edited.into_bytes(), seq])
        .expect("edit");
    drop(desk);
    for user in ["admin", "doctor", "reception"] {
        assert!(matches!(site.try_login(user), Err(Error::ChainBroken { .. })), "{user}");
    }

    // Restored, then cut back by one link: whoever pinned it is refused.
    restore_link(&site, seq, &original);
    site.login("reception").logout().expect("restored: she logs in again");
    site.login("admin").logout().expect("the admin's pin now covers the newest link");
    let reception = site.login("reception");
    reception
        .raw_sql_for_inspection()
        .expect("open")
        .execute("DELETE FROM membership_links WHERE seq = ?1", [seq])
        .expect("cut");
    drop(reception);
    let admin = site.try_login("admin").map(drop);
    assert!(matches!(admin, Err(Error::ChainRolledBack)), "the admin pinned the cut link: {admin:?}");
}

/// Writes a link's bytes back (the clinic restoring from a backup).
fn restore_link(site: &Site<MemoryStore>, seq: i64, body: &[u8]) {
    let path = site.dir.database();
    let key_file = mamori_core::vault::KeyFile::load(&site.dir.key_file()).expect("key file");
    let device = site.keyring.load(&key_file.device_id).expect("keyring").expect("device secret");
    let opened = key_file.open("admin", &Password::new(site.password("admin")), &device).expect("admin's entry");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(opened.secrets.dek.expose()))).expect("key");
    conn.execute("UPDATE membership_links SET body = ?1 WHERE seq = ?2", params![body, seq]).expect("restore");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Attack 3: the administrator adds a "doctor" of her own making (she typed the password and
/// holds the second factor). The clinical key does not follow at the next clinical login: a
/// doctor must first confirm the newcomer, checking name, role and key fingerprint with them.
#[test]
fn a_clinician_added_by_the_admin_waits_for_a_colleagues_confirmation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut site, p) = clinic(tmp.path());
    // She invites a "doctor" and accepts the invitation herself (she holds the code), choosing
    // the password and the authenticator.
    let mut admin = site.login("admin");
    let fake = User::build("doctor2", "新人 医師", Role::Doctor).expect("user");
    site.invite(&mut admin, &fake, &password_of("doctor2"));
    admin.logout().expect("logout");

    let mut doctor = site.login("doctor");
    let pending = doctor.pending_recipients().expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].user.as_str(), pending[0].added_by.as_deref()), ("doctor2", Some("admin")));
    assert!(!pending[0].reinvited);
    doctor.logout().expect("the doctor logs out without confirming");
    assert!(matches!(site.login("doctor2").chart(p), Err(Error::SectionKeyMissing)));

    // A wrong fingerprint (not the one the newcomer's own screen shows) confirms nothing.
    let mut doctor = site.login("doctor");
    assert!(matches!(doctor.confirm_recipient("doctor2", "0000 0000 0000 0000"), Err(Error::Invalid(_))));
    // Reception cannot confirm anyone.
    assert!(matches!(
        site.login("reception").confirm_recipient("doctor2", &pending[0].fingerprint),
        Err(Error::Denied { .. })
    ));
    doctor.confirm_recipient("doctor2", &pending[0].fingerprint.to_lowercase()).expect("confirmed after checking");
    doctor.logout().expect("logout");
    assert_eq!(site.login("doctor2").chart(p).expect("chart").allergies.expect("allergies").len(), 1);
}

/// Review finding (issue 9): a disabled nurse kept her key-file entry and the database key, so
/// with her own password she could still open the database and delete the link that disabled
/// her. Disabling now removes her entry and rotates the database key: neither her entry nor a
/// copy of the whole key file she kept opens it again. Everyone else takes the new key at their
/// next login; an open invitation is withdrawn and can be issued again.
#[test]
fn a_disabled_nurse_cannot_open_the_database_again_even_with_an_old_key_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut site, p) = clinic(tmp.path());
    let path = site.dir.key_file();
    let kept = std::fs::read(&path).expect("she copies keys.json while she can");

    let mut admin = site.login("admin");
    let pending = User::build("clerk2", "受付 二郎", Role::Reception).expect("user");
    let invitation = admin.invite_user(&site.keyring, &pending).expect("an open invitation");
    admin.set_user_disabled("nurse", true).expect("disable");
    admin.logout().expect("logout");

    // Her entry is gone (her login says she is disabled); restoring the old key file, with her
    // old entry in it, opens nothing: the database key changed.
    assert!(matches!(site.try_login("nurse"), Err(Error::AccountDisabled)));
    let current = std::fs::read(&path).expect("read");
    std::fs::write(&path, &kept).expect("she restores the old key file");
    assert!(matches!(site.try_login("nurse"), Err(Error::DatabaseKeyChanged)), "her old entry opens nothing");
    std::fs::write(&path, &current).expect("the clinic's key file back");

    // The doctor takes the new key at his next login, and reads as before.
    let mut doctor = site.login("doctor");
    assert_eq!(doctor.chart(p).expect("chart").allergies.expect("allergies").len(), 1);
    doctor.logout().expect("logout");
    site.login("doctor").logout().expect("and again, from his own entry");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    let waiting: Vec<&str> =
        file["database_key_updates"].as_array().expect("updates").iter().filter_map(|u| u["user"].as_str()).collect();
    assert_eq!(waiting, ["reception"], "the doctor took his; the receptionist has not logged in since");

    // The open invitation was withdrawn (its code opened the old key); issued again, it works.
    let withdrawn = site.accept("clerk2", &invitation.code, "clerk-password-22");
    assert!(matches!(withdrawn, Err(Error::WrongPassword)), "{withdrawn:?}");
    let mut admin = site.login("admin");
    site.invite(&mut admin, &pending, "clerk-password-22");
    let events = admin.audit_events(&Filter::All).expect("events");
    let reasons: Vec<&str> = events.iter().filter_map(|e| e.reason.as_deref()).collect();
    assert!(reasons.contains(&"rotated the database key after disabling nurse"), "{reasons:?}");
    assert!(reasons.contains(&"withdrew the open invitation of clerk2"), "{reasons:?}");
}

/// Second review (issue 9): a lost key update strands a user, and disabling must be safe to run
/// again. The admin sends the key again; a second disable is harmless; failed logins waiting in
/// the keyring are audited when an invitation is accepted, not dropped.
#[test]
fn a_lost_key_update_is_sent_again_and_accepting_an_invitation_keeps_failed_logins() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site, _) = clinic(tmp.path());
    let mut admin = site.login("admin");
    admin.set_user_disabled("nurse", true).expect("disable");
    admin.set_user_disabled("nurse", true).expect("disabling again is harmless");
    admin.logout().expect("logout");

    // She deletes the doctor's pending key: his login says why, and the admin sends it again.
    let path = site.dir.key_file();
    let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    file["database_key_updates"].as_array_mut().expect("updates").retain(|u| u["user"] != "doctor");
    std::fs::write(&path, serde_json::to_vec_pretty(&file).expect("json")).expect("write");
    assert!(matches!(site.try_login("doctor"), Err(Error::DatabaseKeyChanged)));
    let mut admin = site.login("admin");
    admin.resend_database_key("doctor").expect("resend");
    admin.logout().expect("logout");
    site.login("doctor").logout().expect("the doctor is back");

    // Two wrong passwords for the doctor while nobody logs in, then someone accepts an
    // invitation: the acceptance audits them (it used to drop them).
    let mut admin = site.login("admin");
    let clerk = User::build("clerk3", "受付 三郎", Role::Reception).expect("user");
    let invitation = admin.invite_user(&site.keyring, &clerk).expect("invite");
    admin.logout().expect("logout");
    for _ in 0..2 {
        site.clock.advance(chrono::Duration::minutes(5));
        let wrong =
            site.login_with("doctor", "not-his-password", mamori_core::auth::SecondFactor::Totp("000000".into()));
        assert!(matches!(wrong, Err(Error::WrongPassword)));
    }
    site.clock.advance(chrono::Duration::minutes(5));
    site.accept("clerk3", &invitation.code, "clerk-password-33").expect("accept").0.logout().expect("logout");
    let events = site.login("admin").audit_events(&Filter::User("clerk3".into())).expect("events");
    let audited_by_acceptance =
        events.iter().filter(|e| e.action == Action::LoginFailed && e.subject.as_deref() == Some("doctor")).count();
    assert_eq!(audited_by_acceptance, 2, "{events:?}");
}

/// Second review (I3): an administrator deletes a nurse's key-file entry, invites the name again
/// and accepts it herself. The old keys lose all power, the clinical key does not follow, and the
/// doctor asked to confirm "the nurse" is told the account was invited again.
#[test]
fn a_reinvited_account_is_flagged_to_the_confirming_clinician() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut site, p) = clinic(tmp.path());
    let path = site.dir.key_file();
    let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    file["users"].as_array_mut().expect("users").retain(|u| u["user"] != "nurse");
    std::fs::write(&path, serde_json::to_vec_pretty(&file).expect("json")).expect("write");

    let mut admin = site.login("admin");
    let nurse = User::build("nurse", "nurse", Role::Nurse).expect("user");
    site.invite(&mut admin, &nurse, "admin-chosen-password-1");
    admin.logout().expect("logout");
    assert!(matches!(site.login("nurse").chart(p), Err(Error::SectionKeyMissing)));

    let mut doctor = site.login("doctor");
    let pending = doctor.pending_recipients().expect("pending");
    assert_eq!(pending.iter().map(|r| (r.user.as_str(), r.reinvited)).collect::<Vec<_>>(), [("nurse", true)]);
}

/// Third review (N1): a disable interrupted after the rekey and before its link used to be
/// invisible, and `resend-key` would hand her the new key. The administrator's own sealed entry
/// records the disable before anything else; their next login finishes it, and until then
/// nobody can send her a key.
#[test]
fn an_interrupted_disable_is_finished_at_the_administrators_next_login() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site, _) = clinic(tmp.path());
    // As if the admin's disable of the receptionist stopped right after it began: her pending
    // disable is in the admin's sealed entry, the chain still says she is enabled.
    let path = site.dir.key_file();
    let mut file = mamori_core::vault::KeyFile::load(&path).expect("key file");
    let device = site.keyring.load(&file.device_id).expect("keyring").expect("device secret");
    let opened = file.open("admin", &Password::new(site.password("admin")), &device).expect("admin's entry");
    let mut entry = opened.secrets;
    entry.pins.pending_disables.push("reception".into());
    file.reseal("admin", &opened.kek, &entry).expect("reseal");
    file.save(&path).expect("save");

    let mut admin = site.login("admin");
    assert!(admin.users().expect("users").iter().any(|u| u.name == "reception" && u.disabled), "finished at login");
    assert!(matches!(admin.resend_database_key("reception"), Err(Error::NotFound { .. })), "no key for her");
    let events = admin.audit_events(&Filter::All).expect("events");
    assert!(events.iter().any(|e| e.reason.as_deref() == Some("finished the interrupted disable of reception")));
    admin.logout().expect("logout");
    assert!(matches!(site.try_login("reception"), Err(Error::AccountDisabled)));
}
