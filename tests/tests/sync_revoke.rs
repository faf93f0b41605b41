//! Story: the home-visit laptop is left in a car. The administrator revokes it at the desk: the
//! revoking link names the last of its changes the clinic takes, and a new clinic data key epoch
//! starts in the same transaction. From then on the server refuses the laptop, and what the clinic
//! writes travels under a key the laptop never held: its captured traffic opens with none of the
//! keys it had. The devices still enrolled carry on, and a computer enrolled later receives every
//! data key epoch, and its doctor every clinical key epoch (in her vault record).

use mamori_core::domain::{EncounterKind, Role, SoapText};
use mamori_core::replication::SignedChange;
use mamori_story_tests::patient;
use mamori_sync::wire::{DataKey, Envelope, Frontier, PullRequest};

use crate::sync_join::{demo_with_server, Computer, LAPTOP};

#[test]
fn a_revoked_laptop_opens_nothing_the_clinic_writes_afterwards_and_is_shut_out() {
    let clinic = demo_with_server();
    let code = clinic.invite_laptop();
    let laptop = Computer::new();
    let password = clinic.site.password("doctor");
    let mut on_laptop = clinic.join(&laptop, &code, "doctor", &password).expect("joined");
    let mut admin = clinic.site.login("admin");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk passes the data key on");
    clinic.sync(&mut on_laptop, &laptop.keyring).expect("the laptop syncs");
    // Every key the laptop holds, as a thief with its disk and keyring would.
    let stolen: Vec<DataKey> = on_laptop
        .sync_keys(&laptop.keyring)
        .expect("keys")
        .data_keys
        .into_iter()
        .map(|(epoch, key)| DataKey { epoch, key })
        .collect();
    assert!(!stolen.is_empty());
    on_laptop.logout().expect("logout");

    let held = clinic.runtime.block_on(clinic.server.app.server.state()).expect("state").frontier.seq(LAPTOP);
    let epoch = admin.revoke_device(LAPTOP, held).expect("revoked");
    assert!(stolen.iter().all(|k| k.epoch < epoch), "the new epoch is one the laptop never held");
    let after = clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk syncs the revocation");
    assert_eq!(after.wraps_given, 0, "the new key is wrapped to no revoked device: {after:?}");
    admin.logout().expect("logout");
    assert!(admin_cannot_revoke_itself(&clinic));

    // The clinic writes on: a note at the desk, synced.
    let mut doctor = clinic.site.login("doctor");
    let p = doctor.register_patient(&patient("7300", ("失効", "後"), ("シッコウ", "ゴ"), "1950-01-01", "")).expect("p");
    let visit = doctor.open_encounter(p.id, EncounterKind::Outpatient).expect("visit");
    let text = SoapText {
        subjective: "失効後の所見".into(),
        objective: String::new(),
        assessment: String::new(),
        plan: String::new(),
    };
    doctor.write_note(visit.id, text).expect("note");
    let sent = clinic.sync(&mut doctor, &clinic.site.keyring).expect("the desk syncs");
    assert!(sent.round.pushed >= 3, "{sent:?}");
    doctor.logout().expect("logout");

    // The thief captures everything the server serves and tries every key the laptop held.
    let desk = clinic.site.login("reception");
    let page = clinic
        .runtime
        .block_on(
            clinic.server.app.server.pull(desk.device_id(), PullRequest { have: Frontier::default(), limit: 2000 }),
        )
        .expect("pull");
    let mut opened_after = 0;
    let mut sealed_after = 0;
    for bytes in page.envelopes {
        let envelope = Envelope::from_bytes(bytes).expect("envelope");
        if envelope.header().cdk_epoch < epoch {
            continue;
        }
        sealed_after += 1;
        let opened: Vec<SignedChange> = stolen.iter().filter_map(|key| envelope.open(key).ok()).collect();
        opened_after += opened.len();
    }
    assert!(sealed_after >= 3, "the desk's changes after the revocation are under the new epoch");
    assert_eq!(opened_after, 0, "the laptop's keys opened traffic sealed after its revocation");

    // The laptop itself is shut out.
    let mut again =
        crate::sync_join::unlock_on(&clinic, &laptop, "doctor", &password).expect("it still unlocks offline");
    let refused = clinic.sync(&mut again, &laptop.keyring);
    assert!(refused.is_err(), "the server served a revoked laptop: {refused:?}");

    // A computer enrolled afterwards still reads the history and what came after.
    let mut admin = clinic.site.login("admin");
    let tablet_code =
        admin.invite_device("tablet", vec![Role::Doctor], &clinic.url(), clinic.server.pin).expect("invited");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the link reaches the server");
    let tablet = Computer::new();
    let mut on_tablet = clinic.join(&tablet, &tablet_code.to_text(), "doctor", &password).expect("joined");
    clinic.sync(&mut admin, &clinic.site.keyring).expect("the desk passes both data keys on");
    let pulled = clinic.sync(&mut on_tablet, &tablet.keyring).expect("the tablet syncs");
    assert_eq!(pulled.data_keys_taken, 2, "both epochs reach the tablet: {pulled:?}");
    assert_eq!(pulled.round.pulled.set_aside, 0, "{pulled:?}");
    let found = on_tablet.search_patients("7300", 5).expect("search");
    assert!(found.iter().any(|f| f.id == p.id), "the tablet holds the patient registered after the revocation");
    // The note is sealed under the clinical key epoch the revocation made due; the doctor's
    // vault record carried that epoch's key to the tablet.
    let notes = on_tablet.chart(p.id).expect("chart").notes.expect("notes");
    assert!(notes.iter().any(|n| n.text.subjective == "失効後の所見"), "the tablet's doctor reads the note");
}

fn admin_cannot_revoke_itself(clinic: &crate::sync_join::Clinic3) -> bool {
    let mut admin = clinic.site.login("admin");
    let me = admin.device_id().to_owned();
    let refused = admin.revoke_device(&me, 0).is_err();
    admin.logout().expect("logout");
    refused
}
