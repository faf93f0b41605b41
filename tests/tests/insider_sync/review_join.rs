//! Review of the latest sync changes (monotonic chain links per device, revoked device cut-off,
//! outbox recheck, vault records): attacks by the insider at the front desk and by a compromised
//! server. Every test asserts the secure behaviour: a failing test is a break.

use super::*;

use mamori_core::vault::vault_record::SIGN_DOMAIN;
use mamori_sync::wire::VaultRecords;

/// Why `replica` set envelopes aside: (device, sequence, reason).
fn set_aside_reasons(replica: &Replica) -> Vec<(String, i64, String)> {
    replica
        .conn
        .prepare("SELECT device, seq, reason FROM sync_set_aside ORDER BY device, seq")
        .expect("query")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("rows")
        .collect::<rusqlite::Result<_>>()
        .expect("reasons")
}

/// The monotonic check reads the chain link the device's *previous envelope header* names,
/// whether or not that envelope's change was ever applied. The receptionist plants one envelope
/// on the desk (its device key is in the OS keyring) naming link u64::MAX in header and change:
/// it is set aside (it awaits a link that never comes) — and from then on every honest change
/// written at the desk, by anyone, names an "earlier link than its device before it" and is set
/// aside on every other replica, for good. The desk still shows them; nobody else ever will.
#[test]
fn one_envelope_naming_a_far_future_link_does_not_set_aside_the_desks_later_changes() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let far = u64::MAX;
    let poison =
        craft(Uuid::now_v7(), T0, &[], "reception", "desk", far, &an_appointment(0x901, "受付"), &key("reception"));
    plant(&desk, &poison, &cdk(), far);
    // The doctor then writes at the desk through the honest path: logged, then sealed by the
    // engine's own `seal_pending` after the planted envelope.
    let head = clinic.chain.membership.head().0;
    let hlc = replication::Hlc { wall_ms: T0 + 1, counter: 0 };
    let honest = replication::testing::write_open_at(
        &mut desk.conn,
        "doctor",
        &key("doctor"),
        "desk",
        hlc,
        OpenBody::PatientRegistered(a_patient(0x902, "000902", "正直", "03-0000-0902")),
        head,
    )
    .expect("the doctor writes at the desk");
    let refused = clinic.round(&mut desk);
    assert!(refused.is_err(), "the server took an envelope naming a link it does not hold");
    clinic.round(&mut desk).expect("the desk's next round seals its changes again");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(
        holds_change(&laptop, honest.id()),
        "the doctor's honest change at the desk was set aside on the laptop after one planted envelope: {pulled:?} {:?}",
        set_aside_reasons(&laptop)
    );
}

/// Same, with an envelope nobody can open (sealed under a data key of her own): its header alone
/// (device-signed, which she can do) raises the desk's floor.
#[test]
fn an_unopenable_envelope_naming_a_far_link_does_not_set_aside_the_desks_later_changes() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let junk_key = DataKey { epoch: 1, key: Key32::from_bytes([0x98; 32]) };
    let far = u64::MAX - 1;
    let poison =
        craft(Uuid::now_v7(), T0, &[], "reception", "desk", far, &an_appointment(0x911, "受付"), &key("reception"));
    plant(&desk, &poison, &junk_key, far);
    let honest = write(&clinic, &mut desk, "reception", T0 + 1, an_appointment(0x912, "再診"));
    let refused = clinic.round(&mut desk);
    assert!(refused.is_err(), "the server took an envelope naming a link it does not hold");
    clinic.round(&mut desk).expect("the desk's next round seals its changes again");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(
        holds_change(&laptop, honest.id()),
        "an honest desk change was set aside after an unopenable envelope naming a far link: {pulled:?} {:?}",
        set_aside_reasons(&laptop)
    );
}

/// A device enrolled after a user was disabled cannot honestly have written anything naming a
/// link from before it existed. The disabled receptionist, at the front-desk computer re-enrolled
/// as `desk-2` (its device secret in the OS keyring she shares), makes its first envelope name a
/// link from before her disabling: a first envelope has no floor (previous = 0).
#[test]
fn a_device_enrolled_after_a_disabling_cannot_backdate_its_first_change() {
    let mut clinic = Clinic::new();
    let mut laptop = clinic.replica("laptop");
    let before = clinic.chain.membership.head().0;
    clinic.chain.sign(Statement::SetDisabled { user: "reception".into(), disabled: true }, &key("admin"));
    clinic.chain.enroll("desk-2");
    clinic.give_chain();
    let mut desk2 = clinic.replica("desk-2");
    let body = OpenBody::PatientRegistered(a_patient(0x921, "000921", "遡及", "03-0000-0921"));
    let backdated = craft(Uuid::now_v7(), T0, &[], "reception", "desk-2", before, &body, &key("reception"));
    plant(&desk2, &backdated, &cdk(), before);
    clinic.round(&mut desk2).expect("pushed");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(
        !holds_change(&laptop, backdated.id()),
        "a disabled user's change naming a link from before its device was enrolled was applied: {pulled:?}"
    );
}

/// HOLDS (regression): a first envelope whose change names link 0 (before the chain) is set aside.
#[test]
fn a_first_envelope_naming_link_zero_is_set_aside() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let zero =
        craft(Uuid::now_v7(), T0, &[], "reception", "desk", 0, &an_appointment(0x931, "受付"), &key("reception"));
    plant(&desk, &zero, &cdk(), 0);
    clinic.round(&mut desk).expect("pushed");
    let pulled = clinic.round(&mut laptop).expect("the laptop syncs").pulled;
    assert!(!holds_change(&laptop, zero.id()), "a change naming link 0 was applied: {pulled:?}");
    assert_eq!(pulled.set_aside, 1);
}

/// With raw SQL the receptionist puts an envelope of her own (her own harmless change inside)
/// into the desk's outbox under the *doctor's* change id (`sync_envelopes.change_id` is a column
/// she writes). Both `recheck_outbox` and `seal_pending` trust that column: the doctor's change
/// is never sealed, and never leaves the desk.
#[test]
fn an_envelope_planted_under_a_colleagues_change_id_does_not_keep_it_from_the_clinic() {
    let clinic = Clinic::new();
    let mut desk = clinic.replica("desk");
    let mut laptop = clinic.replica("laptop");
    let head = clinic.chain.membership.head().0;
    let hlc = replication::Hlc { wall_ms: T0, counter: 0 };
    let body = OpenBody::PatientRegistered(a_patient(0x951, "000951", "隠蔽", "03-0000-0951"));
    let colleagues =
        replication::testing::write_open_at(&mut desk.conn, "doctor", &key("doctor"), "desk", hlc, body, head)
            .expect("the doctor writes at the desk");
    let hers = craft(
        Uuid::now_v7(),
        T0 + 1,
        &[],
        "reception",
        "desk",
        head,
        &an_appointment(0x952, "受付"),
        &key("reception"),
    );
    let envelope = seal_next(&desk, &hers, &cdk(), head);
    desk.conn
        .execute(
            "INSERT INTO sync_envelopes (device, seq, hash, change_id, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                "desk",
                i64::try_from(envelope.header().seq).expect("seq"),
                &envelope.hash()[..],
                colleagues.id().to_string(),
                envelope.bytes()
            ],
        )
        .expect("planted under the doctor's change id");
    let round = clinic.round(&mut desk).expect("the desk syncs");
    clinic.round(&mut desk).expect("and again");
    clinic.round(&mut laptop).expect("the laptop syncs");
    assert!(holds_change(&laptop, colleagues.id()), "the doctor's change never left the desk (first round: {round:?})");
}

/// A vault record as its format says (`vault_record.rs`), with an opaque body, signed by `signer`.
fn vault_record(user: &str, version: u64, signer: &SigningKey) -> (Vec<u8>, Vec<u8>) {
    let mut bytes = vec![1, u8::try_from(user.len()).expect("short")];
    bytes.extend_from_slice(user.as_bytes());
    bytes.extend_from_slice(&version.to_be_bytes());
    for n in [mamori_core::vault::kdf::MIN_MEMORY_KIB, 2, 1] {
        bytes.extend_from_slice(&n.to_be_bytes());
    }
    bytes.extend_from_slice(&[0x5A; 16]);
    bytes.extend_from_slice(&[0x4E; 24]);
    bytes.extend_from_slice(&48u32.to_be_bytes());
    bytes.extend_from_slice(&[0xC7; 48]);
    let signature = signer.sign(&[SIGN_DOMAIN, &bytes].concat()).to_bytes().to_vec();
    (bytes, signature)
}

/// The receptionist signs her own vault record with version 2^63 (her user key, her right) and
/// plants it in the desk's `vault_records` (raw SQL); the desk offers every record it holds in
/// one request. Such a version is malformed everywhere, and one record the server cannot keep
/// does not cost the others in the request their place.
#[test]
fn a_vault_record_with_an_out_of_range_version_does_not_stop_others_being_kept() {
    let clinic = Clinic::new();
    let hers = vault_record("reception", 1 << 63, &key("reception"));
    let doctors = vault_record("doctor", 2, &key("doctor"));
    let kept = clinic.runtime.block_on(clinic.server.put_vault_records(VaultRecords { records: vec![hers, doctors] }));
    assert!(
        matches!(kept, Ok(1)),
        "one out-of-range record in the request: the doctor's record was not kept ({kept:?})"
    );
}

/// HOLDS (regression): the server keeps the newest version only (no password rollback by a
/// replayed older record), keeps no record its user did not sign (nor one for a name the chain
/// lacks), and a replay of what it holds changes nothing.
#[test]
fn the_server_keeps_no_older_forged_or_unknown_vault_record() {
    let clinic = Clinic::new();
    let put = |records: Vec<(Vec<u8>, Vec<u8>)>| {
        clinic.runtime.block_on(clinic.server.put_vault_records(VaultRecords { records })).expect("answered")
    };
    let v2 = vault_record("doctor", 2, &key("doctor"));
    assert_eq!(put(vec![v2.clone()]), 1);
    assert_eq!(put(vec![vault_record("doctor", 1, &key("doctor"))]), 0, "an older version was kept");
    assert_eq!(put(vec![v2.clone()]), 0, "a replay was kept again");
    assert_eq!(put(vec![vault_record("doctor", 3, &key("reception"))]), 0, "a record signed by another user was kept");
    assert_eq!(put(vec![vault_record("nobody", 1, &key("reception"))]), 0, "a record for a stranger was kept");
    let mut junk = v2.clone();
    junk.0.extend_from_slice(&[0; 9000]);
    assert_eq!(put(vec![junk]), 0, "an oversized record was kept");
    let served = clinic.runtime.block_on(clinic.server.vault_records()).expect("records").records;
    assert_eq!(served, vec![v2], "the server serves something other than the doctor's newest record");
}
