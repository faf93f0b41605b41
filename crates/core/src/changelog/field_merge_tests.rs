//! Concurrent writes of one patient merge field by field: each head keeps the fields it changed,
//! a field two heads changed to different values goes to the newer and is flagged, and the state
//! is the same whatever order the changes arrive in, and after a rebuild.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::json;
use uuid::Uuid;

use super::field_merge::{merge_as, merge_fields, FieldHead, FieldMerge};
use super::merge::import;
use super::merge_tests::{conflicts, import_all, key, received};
use super::*;
use crate::domain::{Patient, PatientInput, Sex};

const PATIENT_ID: Uuid = Uuid::from_u128(0xA11CE);

fn registration() -> PatientInput {
    PatientInput {
        chart_no: "000123".into(),
        family_name: "山田".into(),
        given_name: "花子".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "ハナコ".into(),
        sex: "女".into(),
        birth_date: "1950-03-12".into(),
        postal_code: "100-0001".into(),
        address: "東京都千代田区千代田1-1".into(),
        phone: "03-1234-5678".into(),
        insurance: None,
        ..PatientInput::default()
    }
}

/// The registered patient with `edit` applied to the form, built as the front desk builds it.
fn patient(edit: impl FnOnce(&mut PatientInput)) -> Patient {
    let mut input = registration();
    edit(&mut input);
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    Patient::build(PATIENT_ID, &input, today).expect("valid patient")
}

/// A write of `record` by reception on `device` at `wall_ms`, naming the changes it replaces.
fn write(device: &str, wall_ms: i64, record: Patient, replaces: &[&SignedChange]) -> SignedChange {
    let hlc = Hlc { wall_ms, counter: 0 };
    let body = if replaces.is_empty() { OpenBody::PatientRegistered(record) } else { OpenBody::PatientUpdated(record) };
    let change = Change {
        id: new_change_id(hlc).expect("id"),
        hlc,
        author: "reception".into(),
        device: device.into(),
        chain_seq: 0,
        replaces: replaces.iter().map(|c| c.id()).collect(),
        body: body.into(),
    };
    SignedChange::sign(change, &key("reception")).expect("sign")
}

fn base() -> SignedChange {
    write("desk", 1_000, patient(|_| {}), &[])
}

/// The patient in state, as the chart reads it.
fn shown(conn: &Connection) -> Patient {
    let body: String = conn
        .query_row("SELECT body FROM patients WHERE id = ?1", [PATIENT_ID.to_string()], |r| r.get(0))
        .expect("the patient is in state");
    serde_json::from_str(&body).expect("a patient")
}

/// The phone digits the search index holds for the patient.
fn searchable_phone(conn: &Connection) -> String {
    conn.query_row(
        "SELECT f.phone FROM patient_fts f JOIN patients p ON p.rowid = f.rowid WHERE p.id = ?1",
        [PATIENT_ID.to_string()],
        |r| r.get(0),
    )
    .expect("the patient is searchable")
}

/// The patient's row in `merge_conflicts`: winner, heads, fields.
fn flagged(conn: &Connection) -> Option<(String, i64, Option<String>)> {
    conn.query_row(
        "SELECT winner, heads, fields FROM merge_conflicts WHERE entity_kind = 'patient' AND entity_id = ?1",
        [PATIENT_ID.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

/// Every order of `items`.
fn orders<'a>(items: &[&'a SignedChange]) -> Vec<Vec<&'a SignedChange>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut order in orders(&rest) {
            order.insert(0, *first);
            all.push(order);
        }
    }
    all
}

/// Imports every order of `changes` and returns the one digest they all give.
fn digest_in_every_order(changes: &[&SignedChange], check: impl Fn(&Connection)) -> String {
    let digests: Vec<String> = orders(changes)
        .iter()
        .map(|order| {
            let conn = import_all(order);
            check(&conn);
            state_digest(&conn).expect("digest")
        })
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "every order gives the same state");
    digests.into_iter().next().expect("at least one order")
}

#[test]
fn the_desk_s_phone_and_the_laptop_s_address_both_reach_state_unflagged() {
    let base = base();
    let laptop = write("laptop", 2_000, patient(|p| p.address = "東京都港区芝公園4-2-8".into()), &[&base]);
    let desk = write("desk", 3_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    digest_in_every_order(&[&base, &laptop, &desk], |conn| {
        let shown = shown(conn);
        assert_eq!(shown.phone.as_deref(), Some("090-1111-2222"), "the desk's edit");
        assert_eq!(shown.address, "東京都港区芝公園4-2-8", "the laptop's edit, though the desk's write is newer");
        assert_eq!(searchable_phone(conn), "09011112222", "search finds the merged record");
        assert_eq!(flagged(conn), None, "edits of different fields are not a conflict");
    });
}

#[test]
fn two_phones_written_concurrently_give_the_newer_and_flag_the_phone() {
    let base = base();
    let laptop = write(
        "laptop",
        2_000,
        patient(|p| {
            p.phone = "080-3333-4444".into();
            p.address = "東京都港区芝公園4-2-8".into();
        }),
        &[&base],
    );
    let desk = write("desk", 3_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    digest_in_every_order(&[&base, &laptop, &desk], |conn| {
        let shown = shown(conn);
        assert_eq!(shown.phone.as_deref(), Some("090-1111-2222"), "the newer phone wins");
        assert_eq!(shown.address, "東京都港区芝公園4-2-8", "the older write keeps the field only it changed");
        assert_eq!(flagged(conn), Some((desk.id().to_string(), 2, Some("phone".into()))));
    });
}

#[test]
fn two_writes_of_the_same_phone_are_not_a_conflict() {
    let base = base();
    let laptop = write("laptop", 2_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    let desk = write("desk", 3_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    digest_in_every_order(&[&base, &laptop, &desk], |conn| {
        assert_eq!(shown(conn).phone.as_deref(), Some("090-1111-2222"));
        assert_eq!(flagged(conn), None);
    });
}

#[test]
fn a_write_that_names_both_heads_clears_the_flag() {
    let base = base();
    let laptop = write("laptop", 2_000, patient(|p| p.phone = "080-3333-4444".into()), &[&base]);
    let desk = write("desk", 3_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    let conn = import_all(&[&base, &laptop, &desk]);
    assert!(flagged(&conn).is_some());
    // Someone reviewed it and kept the laptop's number; their write is stamped after both heads
    // (as `record_local` stamps it, whatever the tablet's own clock says).
    let resolved = write("tablet", 3_001, patient(|p| p.phone = "080-3333-4444".into()), &[&laptop, &desk]);
    import(&conn, &received(&resolved)).expect("import");
    assert_eq!((shown(&conn).phone.as_deref(), flagged(&conn)), (Some("080-3333-4444"), None));
    digest_in_every_order(&[&base, &laptop, &desk, &resolved], |conn| {
        assert_eq!((shown(conn).phone.as_deref(), flagged(conn)), (Some("080-3333-4444"), None));
    });
}

/// Base and three concurrent writes: desk (phone, given name), laptop (older; phone, address),
/// tablet (newest; the laptop's address, postal code).
fn three_devices() -> [SignedChange; 4] {
    let base = base();
    let desk = write(
        "desk",
        3_000,
        patient(|p| {
            p.phone = "090-1111-2222".into();
            p.given_name = "華子".into();
        }),
        &[&base],
    );
    let laptop = write(
        "laptop",
        2_000,
        patient(|p| {
            p.phone = "080-3333-4444".into();
            p.address = "東京都港区芝公園4-2-8".into();
        }),
        &[&base],
    );
    let tablet = write(
        "tablet",
        4_000,
        patient(|p| {
            p.address = "東京都港区芝公園4-2-8".into();
            p.postal_code = "105-0011".into();
        }),
        &[&base],
    );
    [base, desk, laptop, tablet]
}

#[test]
fn every_order_of_four_changes_gives_one_merged_state() {
    let [base, desk, laptop, tablet] = three_devices();
    let expected = patient(|p| {
        p.phone = "090-1111-2222".into();
        p.given_name = "華子".into();
        p.address = "東京都港区芝公園4-2-8".into();
        p.postal_code = "105-0011".into();
    });
    digest_in_every_order(&[&base, &desk, &laptop, &tablet], |conn| {
        assert_eq!(shown(conn), expected, "each field from the newest head that changed it");
        assert_eq!(
            flagged(conn),
            Some((tablet.id().to_string(), 3, Some("phone".into()))),
            "the address two heads set alike is not flagged"
        );
    });
}

#[test]
fn a_rebuild_gives_the_state_the_imports_gave() {
    let [base, desk, laptop, tablet] = three_devices();
    let conn = import_all(&[&tablet, &base, &laptop, &desk]);
    let before = state_digest(&conn).expect("digest");
    let merged = shown(&conn);
    assert_eq!(rebuild(&conn, &mut |_, _| {}).expect("rebuild"), 1, "one record");
    assert_eq!(state_digest(&conn).expect("digest"), before);
    assert_eq!(shown(&conn), merged);
    assert_eq!(conflicts(&conn), 1);
    assert_eq!(searchable_phone(&conn), "09011112222");
}

#[test]
fn a_head_whose_parent_is_missing_changed_every_field_until_the_parent_arrives() {
    let base = base();
    let laptop = write("laptop", 2_000, patient(|p| p.address = "東京都港区芝公園4-2-8".into()), &[&base]);
    let desk = write("desk", 3_000, patient(|p| p.phone = "090-1111-2222".into()), &[&base]);
    let conn = import_all(&[&laptop, &desk]);
    assert_eq!(shown(&conn), patient(|p| p.phone = "090-1111-2222".into()), "the newest head, whole");
    assert_eq!(flagged(&conn), Some((desk.id().to_string(), 2, Some("address,phone".into()))));

    import(&conn, &received(&base)).expect("the parent arrives");
    assert_eq!(shown(&conn).address, "東京都港区芝公園4-2-8");
    assert_eq!(shown(&conn).phone.as_deref(), Some("090-1111-2222"));
    assert_eq!(flagged(&conn), None);
    assert_eq!(
        state_digest(&conn).expect("digest"),
        state_digest(&import_all(&[&base, &laptop, &desk])).expect("digest")
    );
}

#[test]
fn other_records_still_merge_whole() {
    let hlc = |wall_ms| Hlc { wall_ms, counter: 0 };
    let setting = |device: &str, wall_ms, value: &str, replaces: &[&SignedChange]| {
        let change = Change {
            id: new_change_id(hlc(wall_ms)).expect("id"),
            hlc: hlc(wall_ms),
            author: "admin".into(),
            device: device.into(),
            chain_seq: 0,
            replaces: replaces.iter().map(|c| c.id()).collect(),
            body: OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: value.into() }.into(),
        };
        SignedChange::sign(change, &key("admin")).expect("sign")
    };
    let base = setting("desk", 1_000, "15", &[]);
    let laptop = setting("laptop", 2_000, "10", &[&base]);
    let desk = setting("desk", 3_000, "20", &[&base]);
    let conn = import_all(&[&base, &laptop, &desk]);
    let row: (String, i64, Option<String>) = conn
        .query_row("SELECT winner, heads, fields FROM merge_conflicts", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("flagged");
    assert_eq!(row, (desk.id().to_string(), 2, None), "flagged as a whole record, without fields");
}

// The pure merge, on JSON.

fn head(record: serde_json::Value, parent: Option<serde_json::Value>) -> FieldHead {
    FieldHead { record, parent }
}

#[test]
fn each_field_comes_from_the_newest_head_that_changed_it() {
    let parent = json!({"id": 1, "a": 1, "b": 1, "c": 1, "d": 1});
    let heads = [
        head(json!({"id": 1, "a": 2, "b": 1, "c": 1, "d": 5}), Some(parent.clone())),
        head(json!({"id": 1, "a": 1, "b": 3, "c": 1, "d": 5}), Some(parent.clone())),
        head(json!({"id": 1, "a": 1, "b": 4, "c": 1, "d": 6}), Some(parent)),
    ];
    let merged = merge_fields(&heads);
    assert_eq!(
        merged,
        FieldMerge {
            record: json!({"id": 1, "a": 2, "b": 3, "c": 1, "d": 5}),
            conflicts: vec!["b".into(), "d".into()]
        }
    );
}

#[test]
fn a_field_only_an_older_head_has_is_kept_and_one_it_dropped_is_dropped() {
    let parent = json!({"id": 1, "old": true});
    let heads =
        [head(json!({"id": 1, "old": true}), Some(parent.clone())), head(json!({"id": 1, "new": 1}), Some(parent))];
    assert_eq!(merge_fields(&heads).record, json!({"id": 1, "new": 1}));
}

#[test]
fn a_merge_that_is_not_a_valid_record_falls_back_to_the_newest_head_and_flags_what_it_lost() {
    let newest = serde_json::to_value(patient(|p| p.phone = "090-1111-2222".into())).expect("json");
    let parent = serde_json::to_value(patient(|_| {})).expect("json");
    let mut invalid = parent.clone();
    invalid["sex"] = json!("unknown");
    let heads = [head(newest, Some(parent.clone())), head(invalid, Some(parent))];
    let (record, fields, fell_back) = merge_as::<Patient>(&heads).expect("the newest head is a patient");
    assert!(fell_back);
    assert_eq!((record.sex, record.phone.as_deref()), (Sex::Female, Some("090-1111-2222")));
    assert_eq!(fields, ["sex"]);
}
