//! Changes from several devices, imported in any order, give one state; concurrent writes are
//! flagged; a change whose signature or author's authority the chain does not confirm is refused.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use uuid::Uuid;

use super::merge::{import, Imported, VerifiedChange};
use super::*;
use crate::domain::Role;

type Directory = BTreeMap<String, (Role, Vec<[u8; 32]>)>;

fn store() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    crate::store::migrations::migrate(&mut conn).expect("migrate");
    conn
}

pub(super) fn key(user: &str) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..user.len()].copy_from_slice(user.as_bytes());
    SigningKey::from_bytes(&seed)
}

fn directory() -> Directory {
    [("admin", Role::Admin), ("reception", Role::Reception), ("nurse", Role::Nurse)]
        .into_iter()
        .map(|(user, role)| (user.to_string(), (role, vec![key(user).verifying_key().to_bytes()])))
        .collect()
}

/// A setting written by `author` on `device` at `wall_ms`, replacing `replaces`.
fn setting(author: &str, device: &str, wall_ms: i64, value: &str, replaces: &[&SignedChange]) -> SignedChange {
    let hlc = Hlc { wall_ms, counter: 0 };
    let change = Change {
        id: new_change_id(hlc).expect("id"),
        hlc,
        author: author.into(),
        device: device.into(),
        chain_seq: 0,
        replaces: replaces.iter().map(|c| c.id()).collect(),
        body: OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: value.into() }.into(),
    };
    SignedChange::sign(change, &key(author)).expect("sign")
}

pub(super) fn received(change: &SignedChange) -> VerifiedChange {
    let copy = SignedChange::from_parts(change.bytes().to_vec(), change.signature()).expect("readable");
    VerifiedChange::check(copy, &directory()).expect("verified")
}

pub(super) fn import_all(changes: &[&SignedChange]) -> Connection {
    let conn = store();
    for change in changes {
        import(&conn, &received(change)).expect("import");
    }
    conn
}

fn shown(conn: &Connection) -> String {
    conn.query_row("SELECT value FROM clinic_settings WHERE key = 'idle_timeout_minutes'", [], |r| r.get(0))
        .expect("the setting is in state")
}

pub(super) fn conflicts(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM merge_conflicts", [], |r| r.get(0)).expect("count")
}

#[test]
fn concurrent_writes_give_one_state_in_every_order_and_are_flagged() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    let laptop = setting("admin", "laptop", 2_000, "10", &[&base]);
    let desk = setting("admin", "desk", 3_000, "20", &[&base]);
    let orders: [[&SignedChange; 3]; 3] = [[&base, &laptop, &desk], [&desk, &laptop, &base], [&laptop, &desk, &base]];
    let digests: Vec<String> = orders
        .iter()
        .map(|order| {
            let conn = import_all(order);
            assert_eq!(shown(&conn), "20", "the newer of two concurrent writes wins");
            assert_eq!(conflicts(&conn), 1, "and the record is flagged for review");
            state_digest(&conn).expect("digest")
        })
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "every order gives the same state");

    // A write that saw both versions settles the conflict (stamped after both, as
    // `record_local` stamps it).
    let resolved = setting("admin", "laptop", 3_001, "10", &[&laptop, &desk]);
    let conn = import_all(&[&base, &resolved, &laptop, &desk]);
    assert_eq!((shown(&conn).as_str(), conflicts(&conn)), ("10", 0), "the resolving write wins");
}

#[test]
fn a_clock_far_ahead_does_not_win_the_edits_made_after_it() {
    // A laptop whose clock reads years ahead writes; the desk, whose clock reads now, edits the
    // record after receiving it: its write is stamped just after the head it replaces.
    let desk = store();
    let base =
        SignedChange::sign(setting("admin", "desk", 1_000, "15", &[]).change().clone(), &key("admin")).expect("sign");
    import(&desk, &received(&base)).expect("import");
    let fast = setting("admin", "laptop", 9_000_000_000_000, "5", &[&base]);
    import(&desk, &received(&fast)).expect("import");
    let hlc = Hlc { wall_ms: 2_000, counter: 0 };
    let change = Change {
        id: new_change_id(hlc).expect("id"),
        hlc,
        author: "admin".into(),
        device: "desk".into(),
        chain_seq: 0,
        replaces: Vec::new(),
        body: OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "30".into() }.into(),
    };
    let later = record_local(&desk, change, &key("admin")).expect("write");
    assert!(later.hlc() > fast.hlc(), "stamped after the head it replaces, whatever the desk's clock says");
    let orders: [[&SignedChange; 3]; 2] = [[&base, &fast, &later], [&later, &fast, &base]];
    for order in orders {
        let conn = import_all(&order);
        assert_eq!(shown(&conn), "30", "the edit made after it replaces it");
        assert_eq!(conflicts(&conn), 0);
    }
}

#[test]
fn a_change_naming_itself_or_a_later_change_as_replaced_cannot_hide_a_record() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    // Names itself among the changes it replaces: that edge does not go forward, so it counts
    // for nothing; the change is a head like any other.
    let mut looped = setting("admin", "desk", 2_000, "25", &[&base]).change().clone();
    looped.replaces.push(looped.id);
    let looped = SignedChange::sign(looped, &key("admin")).expect("sign");
    // Names a change stamped after it: a backward edge, ignored too.
    let later = setting("admin", "laptop", 3_000, "35", &[&base]);
    let mut backward = setting("admin", "tablet", 2_500, "45", &[&base]).change().clone();
    backward.replaces.push(later.id());
    let backward = SignedChange::sign(backward, &key("admin")).expect("sign");
    let all = [&base, &looped, &later, &backward];
    let digests: Vec<String> = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]]
        .iter()
        .map(|order| {
            let conn = import_all(&order.map(|i| all[i]));
            assert_eq!(shown(&conn), "35", "the newest head is shown, never nothing");
            let before = state_digest(&conn).expect("digest");
            rebuild(&conn, &mut |_, _| {}).expect("rebuild");
            assert_eq!(state_digest(&conn).expect("digest"), before, "and a rebuild shows the same");
            before
        })
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "every order gives the same state");
}

#[test]
fn a_repeat_is_harmless_and_other_bytes_under_a_held_id_are_refused() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    let conn = import_all(&[&base]);
    assert_eq!(import(&conn, &received(&base)).expect("repeat"), Imported::AlreadyHeld);

    let mut other = Change { ..base.change().clone() };
    other.body = OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "1".into() }.into();
    let forged = SignedChange::sign(other, &key("admin")).expect("sign");
    let refused = import(&conn, &received(&forged)).expect_err("same id, other bytes");
    assert!(matches!(refused, Error::ChangeConflictsWithLog { .. }));
    assert_eq!(shown(&conn), "15");
}

#[test]
fn a_change_is_refused_unless_its_author_signed_it_and_may_write_it() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    let copy = || SignedChange::from_parts(base.bytes().to_vec(), base.signature()).expect("readable");
    assert!(VerifiedChange::check(copy(), &directory()).is_ok());

    // Signed by someone else's key under the admin's name.
    let mut impostor = base.change().clone();
    impostor.id = Uuid::from_u128(1);
    let impostor = SignedChange::sign(impostor, &key("nurse")).expect("sign");
    let copy_of = |c: &SignedChange| SignedChange::from_parts(c.bytes().to_vec(), c.signature()).expect("readable");
    assert!(matches!(VerifiedChange::check(copy_of(&impostor), &directory()), Err(Error::ChangeNotVerified { .. })));

    // Signed by its author, who may not write it: a receptionist changing a clinic setting.
    let reception = setting("reception", "desk", 1_000, "600", &[]);
    assert!(matches!(VerifiedChange::check(copy_of(&reception), &directory()), Err(Error::ChangeNotVerified { .. })));

    // An author the chain does not know.
    let stranger = setting("ghost", "desk", 1_000, "600", &[]);
    assert!(matches!(VerifiedChange::check(copy_of(&stranger), &directory()), Err(Error::ChangeNotVerified { .. })));
}

#[test]
fn every_flipped_byte_or_signature_bit_is_refused() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    for i in 0..base.bytes().len() {
        let mut bytes = base.bytes().to_vec();
        bytes[i] ^= 0x01;
        let checked = SignedChange::from_parts(bytes, base.signature())
            .and_then(|change| VerifiedChange::check(change, &directory()));
        assert!(checked.is_err(), "byte {i} flipped was accepted");
    }
    for i in 0..64 {
        let mut signature = *base.signature();
        signature[i] ^= 0x01;
        let change = SignedChange::from_parts(base.bytes().to_vec(), &signature).expect("readable");
        assert!(VerifiedChange::check(change, &directory()).is_err(), "signature byte {i} flipped was accepted");
    }
}

#[test]
fn cut_short_or_padded_bytes_are_not_read() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    for len in 0..base.bytes().len() {
        assert!(SignedChange::from_parts(base.bytes()[..len].to_vec(), base.signature()).is_err(), "cut at {len}");
    }
    let mut padded = base.bytes().to_vec();
    padded.push(0);
    assert!(SignedChange::from_parts(padded, base.signature()).is_err());
}

#[test]
fn rebuild_puts_back_what_imports_settled() {
    let base = setting("admin", "desk", 1_000, "15", &[]);
    let laptop = setting("admin", "laptop", 2_000, "10", &[&base]);
    let desk = setting("admin", "desk", 3_000, "20", &[&base]);
    let conn = import_all(&[&desk, &base, &laptop]);
    let before = state_digest(&conn).expect("digest");
    assert_eq!(rebuild(&conn, &mut |_, _| {}).expect("rebuild"), 1, "one record");
    assert_eq!(state_digest(&conn).expect("digest"), before);
    assert_eq!(conflicts(&conn), 1);
}

/// A chain of five links in which the admin was enabled from link 3 to link 4 only.
struct Standing;

impl AuthorKeys for Standing {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        directory().signing_keys_of(user)
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        directory().roles_of(user)
    }

    fn roles_at(&self, user: &str, chain_seq: u64) -> Vec<Role> {
        if user == "admin" && (3..=4).contains(&chain_seq) {
            vec![Role::Admin]
        } else {
            Vec::new()
        }
    }

    fn chain_head(&self) -> Option<u64> {
        Some(5)
    }
}

fn setting_at(chain_seq: u64) -> SignedChange {
    let mut change = setting("admin", "desk", 1_000, "15", &[]).change().clone();
    change.chain_seq = chain_seq;
    SignedChange::sign(change, &key("admin")).expect("sign")
}

#[test]
fn an_author_is_judged_by_their_standing_at_the_link_the_change_names() {
    let check = |chain_seq| {
        let change = setting_at(chain_seq);
        let copy = SignedChange::from_parts(change.bytes().to_vec(), change.signature()).expect("readable");
        VerifiedChange::check(copy, &Standing)
    };
    assert!(check(3).is_ok() && check(4).is_ok(), "written while she held the role");
    assert!(matches!(check(2), Err(Error::ChangeNotVerified { .. })), "before she held it");
    assert!(matches!(check(5), Err(Error::ChangeNotVerified { .. })), "after she lost it, whatever its clock says");
    assert!(matches!(check(6), Err(Error::ChangeAwaitsChain { .. })), "naming a link not here yet: it waits");
}
