//! Review findings M1, M2 and M4 of issue 10: a demoted user backdating her changes, a revoked
//! device's later envelopes, and the desk's outbox moved past a colleague's change.

use super::*;

/// M1 (authority): the doctor is made a receptionist. She kept her user key and has the desk's
/// keyring, so she signs a clinical-section write naming a chain position from before the link
/// that took her role. Once the desk has sent anything naming a later link, no replica applies
/// it: a device's positions only grow along its run.
#[test]
fn a_demoted_user_cannot_backdate_a_change_to_before_her_demotion() {
    let mut clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let before = clinic.chain.membership.head().0;
    clinic.chain.sign(Statement::SetDisabled { user: "doctor".into(), disabled: true }, &key("admin"));
    clinic.give_chain();
    // The desk works on after the link: the receptionist books a patient.
    write(&clinic, &mut desk, "reception", T0, an_appointment(0xD1, "再診"));
    clinic.round(&mut desk).expect("the desk syncs");

    let body = OpenBody::PatientRegistered(a_patient(0xD2, "0000D2", "遡及", "03-0000-0092"));
    let backdated = craft(Uuid::now_v7(), T0 + 1, &[], "doctor", "desk", before, &body, &key("doctor"));
    plant(&desk, &backdated, &cdk(), before);
    clinic.round(&mut desk).expect("pushed");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert_eq!(pulled.set_aside, 1, "{pulled:?}");
    assert!(!holds_change(&laptop, backdated.id()), "the backdated change was applied");

    // Nor does naming the old link inside while the envelope shows the new one help.
    let inside = craft(Uuid::now_v7(), T0 + 2, &[], "doctor", "desk", before, &body, &key("doctor"));
    plant(&desk, &inside, &cdk(), clinic.chain.membership.head().0);
    clinic.round(&mut desk).expect("pushed");
    clinic.round(&mut laptop).expect("the laptop syncs");
    assert!(!holds_change(&laptop, inside.id()), "a change naming another link than its envelope was applied");
}

/// M1, the honest side: a change written before the demotion, on a laptop offline since, still
/// counts (its device's run never named a later link).
#[test]
fn a_change_written_offline_before_a_demotion_still_counts() {
    let mut clinic = Clinic::new();
    let mut laptop = clinic.replica("laptop");
    let mut tablet = clinic.replica("tablet");
    let offline = write(&clinic, &mut laptop, "doctor", T0, an_appointment(0xD3, "往診"));
    clinic.chain.sign(Statement::SetDisabled { user: "doctor".into(), disabled: true }, &key("admin"));
    clinic.give_chain();
    clinic.round(&mut laptop).expect("the laptop comes back online");
    clinic.round(&mut tablet).expect("the tablet syncs");
    assert!(holds_change(&tablet, offline.id()), "an honest offline change was set aside");
}

/// M2 (integrity): the laptop is stolen and revoked; the revoking link names the last envelope
/// the clinic takes from it. Whoever holds the server's database and the stolen laptop's key
/// adds envelopes after that: no replica applies them, and the server refuses them even when
/// another device hands them over.
#[test]
fn a_revoked_devices_envelopes_after_its_cut_off_are_not_applied() {
    let mut clinic = Clinic::new();
    let mut laptop = clinic.replica("laptop");
    let mut desk = clinic.replica("desk");
    let before = write(&clinic, &mut laptop, "doctor", T0, an_appointment(0xE1, "往診"));
    clinic.round(&mut laptop).expect("the laptop syncs before it is lost");
    let accepted_through = clinic.server_frontier("laptop");
    clinic.chain.sign(Statement::RevokeDevice { device: "laptop".into(), accepted_through }, &key("admin"));
    clinic.give_chain();

    // The thief seals a change as the laptop and writes it straight into the server's database.
    let body = OpenBody::PatientRegistered(a_patient(0xE2, "0000E2", "盗難", "03-0000-0093"));
    let head = clinic.chain.membership.head().0;
    let stolen = craft(Uuid::now_v7(), T0 + 1, &[], "doctor", "laptop", head, &body, &key("doctor"));
    let envelope = plant(&laptop, &stolen, &cdk(), head);
    let refused =
        clinic.runtime.block_on(clinic.server.push("desk", PushRequest { envelopes: vec![envelope.bytes().to_vec()] }));
    assert!(
        matches!(refused.as_ref().map(|r| &r.outcomes[..]), Ok([mamori_sync::wire::PushOutcome::Refused(_)])),
        "the server took a revoked device's envelope after its cut-off: {refused:?}"
    );
    insert_into_server(&clinic, &envelope);

    let pulled = clinic.round(&mut desk).expect("the desk syncs").pulled;
    assert!(holds_change(&desk, before.id()), "what the laptop sent before its revocation is lost");
    assert!(!holds_change(&desk, stolen.id()), "the stolen laptop's later change was applied: {pulled:?}");
    assert_eq!(pulled.set_aside, 1);
}

/// Writes `envelope` into the server's SQLite database directly, as whoever holds it would.
fn insert_into_server(clinic: &Clinic, envelope: &Envelope) {
    let db = Connection::open(clinic.dir.path().join("server.db")).expect("server db");
    let h = envelope.header();
    db.execute(
        "INSERT INTO envelopes (device, seq, hash, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![h.device, i64::try_from(h.seq).expect("seq"), &envelope.hash()[..], envelope.bytes()],
    )
    .expect("inserted into the server's database");
}

/// M4 (silent loss): with raw SQL the receptionist moves the desk's outbox cursor past a
/// colleague's change. The next round finds the change that left in no envelope and sends it.
#[test]
fn an_outbox_cursor_moved_past_a_change_does_not_keep_it_from_the_clinic() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let hlc = replication::Hlc { wall_ms: T0, counter: 0 };
    let body = an_appointment(0xF1, "初診");
    let head = clinic.chain.membership.head().0;
    let colleagues =
        replication::testing::write_open_at(&mut desk.conn, "doctor", &key("doctor"), "desk", hlc, body, head)
            .expect("the doctor writes at the desk");
    let skipped: i64 = desk
        .conn
        .query_row("SELECT seq FROM changes WHERE id = ?1", [colleagues.id().to_string()], |row| row.get(0))
        .expect("local position");
    desk.conn
        .execute("INSERT OR REPLACE INTO sync_outbox (singleton, sealed_through) VALUES (1, ?1)", [skipped])
        .expect("the cursor moved");

    let round = clinic.round(&mut desk).expect("the desk syncs");
    assert_eq!(round.passed_over_found, 1, "{round:?}");
    clinic.round(&mut laptop).expect("the laptop syncs");
    assert!(holds_change(&laptop, colleagues.id()), "the colleague's change never left the desk");
}
