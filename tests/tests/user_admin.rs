//! Story: a nurse moves to the front desk, a front-desk temp leaves. The admin changes roles and
//! disables accounts; nobody is deleted (the audit log still names them), the clinic keeps an
//! admin, and the last doctor or nurse holding the clinical key cannot be taken off it.

use mamori_core::domain::validation::{Field, Problem};
use mamori_core::domain::Role;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

#[test]
fn the_admin_changes_roles_and_disables_accounts_and_the_core_follows_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 4, 6);
    let mut admin = site.login("admin");

    admin.change_role("nurse", Role::Reception).expect("nurse to front desk");
    let mut moved = site.login("nurse");
    assert_eq!(moved.user().role, Role::Reception);
    let id = moved.search_patients("1", 1).expect("search")[0].id;
    assert!(moved.chart(id).expect("chart").vitals.is_none(), "no clinical content any more");

    let last_holder = admin.set_user_disabled("doctor", true);
    let last_key_holder = Some(&Problem::LastKeyHolder);
    assert!(
        matches!(&last_holder, Err(Error::Invalid(e)) if e.problem(Field::User) == last_key_holder),
        "{last_holder:?}"
    );
    admin.set_user_disabled("reception", true).expect("disable");
    let refused = site.try_login("reception");
    assert!(matches!(refused, Err(Error::AccountDisabled)), "{refused:?}");
    // Disabling removed her entry and changed the database key: enabling invites her back.
    let invitation = admin.enable_user(&site.keyring, "reception").expect("enable");
    let (back, _) = site.accept("reception", &invitation.code, "reception-password-2").expect("she accepts again");
    assert_eq!(back.user().role, Role::Reception);

    let everyone = admin.users().expect("users");
    assert_eq!(everyone.len(), 4);
    assert!(matches!(admin.set_user_disabled("admin", true), Err(Error::Invalid(_))), "the last admin stays");
    assert!(matches!(admin.change_role("admin", Role::Doctor), Err(Error::Invalid(_))));

    let mut doctor = site.login("doctor");
    assert!(matches!(doctor.change_role("reception", Role::Doctor), Err(Error::Denied { .. })));
    assert!(matches!(doctor.users(), Err(Error::Denied { .. })));
}

/// Every change names the chain head it was written at, and every replica judges it there: a
/// receptionist's session still open when the admin (in another session) moves her to nursing,
/// which only reads demographics, registers no patient more — the session reads the chain again
/// before it commits, so it never writes what other devices would set aside.
#[test]
fn a_session_open_when_its_users_role_was_taken_elsewhere_writes_nothing_more() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 4, 6);
    let mut desk = site.login("reception");
    desk.register_patient(&patient("9001", ("前田", "一郎"), ("マエダ", "イチロウ"), "1970-01-02", ""))
        .expect("the receptionist registers a patient");

    site.login("admin").change_role("reception", Role::Nurse).expect("to nursing");
    let refused = desk.register_patient(&patient("9002", ("後藤", "二郎"), ("ゴトウ", "ジロウ"), "1971-02-03", ""));
    assert!(matches!(refused, Err(Error::Denied { .. })), "the stale session wrote: {refused:?}");
    assert_eq!(desk.user().role, Role::Nurse, "the session follows the chain");
}
