//! Story: the receptionist corrects a patient's phone number at the desk while the doctor, on the
//! home-visit laptop with no signal, writes down the number the patient's daughter gave her. When
//! both have synced, each device shows the same number and flags the patient. The receptionist
//! sees both versions (whose, from which computer, when), chooses one, and her choice, a change
//! like any other, settles the record on every device.

use std::collections::BTreeMap;

use mamori_story_tests::patient;

use crate::sync_join::{demo_with_server, Computer};

#[test]
fn a_phone_number_edited_on_two_devices_is_shown_with_both_versions_and_the_choice_settles_it_everywhere() {
    let clinic = demo_with_server();
    let code = clinic.invite_laptop();
    let laptop = Computer::new();
    let password = clinic.site.password("doctor");
    let mut on_laptop = clinic.join(&laptop, &code, "doctor", &password).expect("joined");
    let mut desk = clinic.site.login("reception");
    let p = desk
        .register_patient(&patient("7500", ("競合", "花子"), ("キョウゴウ", "ハナコ"), "1960-02-02", "03-0000-0000"))
        .expect("p");
    clinic.sync(&mut desk, &clinic.site.keyring).expect("the desk syncs");
    let mut admin = clinic.site.login("admin");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk passes the data key on");
    admin.logout().expect("logout");
    clinic.sync(&mut on_laptop, &laptop.keyring).expect("the laptop receives the patient");

    // Offline, both change the number.
    let mut input = patient("7500", ("競合", "花子"), ("キョウゴウ", "ハナコ"), "1960-02-02", "090-2222-3333");
    on_laptop.update_patient(p.id, &input).expect("the doctor's number");
    input.phone = "03-1111-2222".into();
    desk.update_patient(p.id, &input).expect("the receptionist's number");

    clinic.sync(&mut desk, &clinic.site.keyring).expect("desk");
    clinic.sync(&mut on_laptop, &laptop.keyring).expect("laptop");
    clinic.sync(&mut desk, &clinic.site.keyring).expect("desk again");
    let shown_at_desk = desk.patient(p.id).expect("p").phone;
    assert_eq!(on_laptop.patient(p.id).expect("p").phone, shown_at_desk, "both devices show the same number");

    let conflict = desk.patient_conflict(p.id).expect("flagged");
    assert_eq!(conflict.fields, vec!["phone".to_string()]);
    assert_eq!(conflict.versions.len(), 2);
    let authors: Vec<&str> = conflict.versions.iter().map(|v| v.author.as_str()).collect();
    assert!(authors.contains(&"reception") && authors.contains(&"doctor"), "{authors:?}");
    assert_ne!(conflict.versions[0].device, conflict.versions[1].device, "each from its own computer");
    let numbers: Vec<&str> = conflict.versions.iter().map(|v| v.values["phone"].as_str()).collect();
    assert!(numbers.contains(&"090-2222-3333") && numbers.contains(&"03-1111-2222"), "{numbers:?}");
    assert_eq!(conflict.versions.iter().filter(|v| v.shown).count(), 1);
    let other = conflict.versions.iter().find(|v| !v.shown).expect("the version not shown");

    // A choice naming a field or a version not in conflict is refused, and changes nothing.
    let bad = BTreeMap::from([("address".to_string(), other.change_id.clone())]);
    assert!(desk.resolve_patient_conflict(p.id, &bad).is_err());
    let bad = BTreeMap::from([("phone".to_string(), "no-such-change".to_string())]);
    assert!(desk.resolve_patient_conflict(p.id, &bad).is_err());
    assert!(desk.patient_conflict(p.id).is_ok(), "still flagged");

    // The receptionist chooses the version the chart does not show.
    let picks = BTreeMap::from([("phone".to_string(), other.change_id.clone())]);
    let settled = desk.resolve_patient_conflict(p.id, &picks).expect("resolved");
    assert_eq!(settled.phone.as_deref(), Some(other.values["phone"].as_str()));
    assert!(desk.conflicts().expect("conflicts").iter().all(|c| c.id != p.id.to_string()), "the flag is cleared");

    clinic.sync(&mut desk, &clinic.site.keyring).expect("desk");
    clinic.sync(&mut on_laptop, &laptop.keyring).expect("laptop");
    assert_eq!(on_laptop.patient(p.id).expect("p").phone, settled.phone, "the laptop settles alike");
    assert!(on_laptop.conflicts().expect("conflicts").iter().all(|c| c.id != p.id.to_string()));
    desk.logout().expect("logout");
    on_laptop.logout().expect("logout");
}
