//! The v2 record's promises, one by one: it opens only where it was sealed, only as signed by the
//! author it names, and only if what it claims about its author is who signed it.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use ed25519_dalek::SigningKey;
use uuid::Uuid;

use super::*;
use crate::domain::{Allergy, NoteKind, Prescription, PrescriptionItemInput, Role, SoapNote, SoapText};
use crate::secret::Key32;

fn section() -> SectionKeys {
    let mut keys = SectionKeys::default();
    keys.insert(3, Key32::from_bytes([0x33; 32]));
    keys
}

fn key_of(user: &str) -> SigningKey {
    SigningKey::from_bytes(&[user.len() as u8; 32])
}

fn directory() -> BTreeMap<String, (Role, Vec<[u8; 32]>)> {
    [("doctor", Role::Doctor), ("nurse", Role::Nurse)]
        .iter()
        .map(|(u, role)| (u.to_string(), (*role, vec![key_of(u).verifying_key().to_bytes()])))
        .collect()
}

fn note(signed_by: Option<&str>) -> SoapNote {
    written_by("doctor", NoteKind::Medical, signed_by)
}

fn written_by(author: &str, kind: NoteKind, signed_by: Option<&str>) -> SoapNote {
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).single().expect("time");
    let text =
        SoapText { subjective: "咳".into(), objective: String::new(), assessment: String::new(), plan: String::new() };
    let draft = SoapNote::draft(Uuid::from_u128(4), Uuid::from_u128(1), Uuid::from_u128(2), kind, author, text, at);
    match signed_by {
        Some(signer) => draft.signed(signer, at).expect("a draft signs"),
        None => draft,
    }
}

struct Sealed {
    record: Vec<u8>,
    columns: (String, String, String),
}

impl Sealed {
    fn place(&self) -> RecordPlace<'_> {
        RecordPlace {
            kind: ClinicalKind::Note,
            id: Uuid::from_u128(4),
            patient: Uuid::from_u128(1),
            row: RowIndex {
                at: Some(&self.columns.0),
                status: Some(&self.columns.1),
                replaces: None,
                encounter: Some(&self.columns.2),
            },
        }
    }
}

/// `note` sealed at its own place, signed by `signer` in `author`'s name.
fn seal(note: &SoapNote, author: &str, signer: &SigningKey) -> Sealed {
    let columns = (note.written_at.to_rfc3339(), note.status.as_str().to_string(), note.encounter_id.to_string());
    let mut sealed = Sealed { record: Vec::new(), columns };
    let by = Authorship { change_id: Uuid::from_u128(99), author, signing_key: signer };
    let json = serde_json::to_vec(note).expect("json");
    sealed.record = seal_record(&section(), &sealed.place(), &by, &json).expect("seal");
    sealed
}

fn open(sealed: &Sealed, place: &RecordPlace<'_>, authors: &dyn AuthorKeys) -> Result<OpenedRecord<SoapNote>> {
    let section = section();
    open_record(RecordKeys { section: &section, authors }, place, &sealed.record)
}

#[test]
fn a_record_opens_where_it_was_sealed_naming_the_author_who_signed_it() {
    let sealed = seal(&note(Some("doctor")), "doctor", &key_of("doctor"));
    let opened = open(&sealed, &sealed.place(), &directory()).expect("opens");
    assert_eq!(
        (opened.value, opened.author.as_str(), opened.change_id),
        (note(Some("doctor")), "doctor", Uuid::from_u128(99))
    );
    assert_eq!(sealed.record[0], 2, "version 2");
}

#[test]
fn a_record_in_a_colleagues_name_does_not_open() {
    // The nurse holds the clinical key and her own signing key: she seals a signed note naming
    // the doctor as author, then one naming herself but claiming the doctor signed it.
    let forged = seal(&note(Some("doctor")), "doctor", &key_of("nurse"));
    assert!(matches!(open(&forged, &forged.place(), &directory()), Err(Error::RecordNotVerified)));
    let claimed = seal(&note(Some("doctor")), "nurse", &key_of("nurse"));
    assert!(matches!(open(&claimed, &claimed.place(), &directory()), Err(Error::RecordNotVerified)));
    // A draft in the doctor's name, sealed by her as herself: the note names another author.
    let drafted = seal(&note(None), "nurse", &key_of("nurse"));
    assert!(matches!(open(&drafted, &drafted.place(), &directory()), Err(Error::RecordNotVerified)));
    // A medical note in her own name: her role never writes one.
    let medical = seal(&written_by("nurse", NoteKind::Medical, Some("nurse")), "nurse", &key_of("nurse"));
    assert!(matches!(open(&medical, &medical.place(), &directory()), Err(Error::RecordNotVerified)));
    // Her own signed nursing note opens as hers.
    let own = seal(&written_by("nurse", NoteKind::Nursing, Some("nurse")), "nurse", &key_of("nurse"));
    assert_eq!(open(&own, &own.place(), &directory()).expect("her own record").author, "nurse");
    // A name the chain does not know has no keys at all.
    let stranger = seal(&note(None), "ghost", &key_of("ghost"));
    assert!(matches!(open(&stranger, &stranger.place(), &directory()), Err(Error::RecordNotVerified)));
}

#[test]
fn a_record_moved_or_relabelled_does_not_open() {
    let sealed = seal(&note(Some("doctor")), "doctor", &key_of("doctor"));
    let place = sealed.place();
    let other = Uuid::from_u128(77).to_string();
    for (what, moved) in [
        ("another visit", RecordPlace { row: RowIndex { encounter: Some(&other), ..place.row }, ..place }),
        ("another patient", RecordPlace { patient: Uuid::from_u128(77), ..place }),
        ("another note", RecordPlace { id: Uuid::from_u128(77), ..place }),
        ("a draft", RecordPlace { row: RowIndex { status: Some("draft"), ..place.row }, ..place }),
        ("another kind", RecordPlace { kind: ClinicalKind::Vitals, ..place }),
    ] {
        assert!(matches!(open(&sealed, &moved, &directory()), Err(Error::RecordNotVerified)), "{what}");
    }
    // Every byte counts: the header (epoch, change id, author), the ciphertext, the signature.
    for at in [1, 6, 21, 23, sealed.record.len() / 2, sealed.record.len() - 1] {
        let mut bent = Sealed { record: sealed.record.clone(), columns: sealed.columns.clone() };
        bent.record[at] ^= 1;
        assert!(open(&bent, &place, &directory()).is_err(), "byte {at}");
    }
}

#[test]
fn records_signed_with_a_key_the_author_held_before_still_open() {
    let sealed = seal(&note(Some("doctor")), "doctor", &key_of("doctor"));
    let mut reinvited = directory();
    reinvited.insert("doctor".into(), (Role::Doctor, vec![key_of("doctor").verifying_key().to_bytes(), [9; 32]]));
    assert!(open(&sealed, &sealed.place(), &reinvited).is_ok());
    reinvited.insert("doctor".into(), (Role::Doctor, vec![[9; 32]]));
    assert!(matches!(open(&sealed, &sealed.place(), &reinvited), Err(Error::RecordNotVerified)));
}

#[test]
fn lengths_are_hidden_to_a_block_and_unsigned_v1_records_are_refused() {
    // Header (version, epoch, change id, author) + nonce + tag + signature around whole blocks.
    let overhead = 1 + 4 + 16 + 1 + "doctor".len() + 24 + 16 + 64;
    let short = seal(&note(Some("doctor")), "doctor", &key_of("doctor"));
    for extra in [1, 7, 100] {
        let mut longer = note(Some("doctor"));
        longer.text.plan = "x".repeat(extra);
        let sealed = seal(&longer, "doctor", &key_of("doctor"));
        assert_eq!((sealed.record.len() - overhead) % 256, 0, "a whole number of blocks");
        assert!(sealed.record.len() - short.record.len() <= 256, "at most one block more");
    }

    let mut v1 = short.record.clone();
    v1[0] = 1;
    let refused =
        open_record::<Allergy>(RecordKeys { section: &section(), authors: &directory() }, &short.place(), &v1);
    assert!(matches!(refused, Err(Error::RecordUnsigned)));
}

#[test]
fn a_prescription_opens_only_signed_by_its_prescriber_in_a_role_that_prescribes() {
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).single().expect("time");
    let item = PrescriptionItemInput {
        drug: "アムロジピン錠5mg".into(),
        dose: 1.0,
        unit: "錠".into(),
        frequency: "1日1回朝食後".into(),
        days: 28,
    };
    let rx = |prescriber: &str| {
        Prescription::build(Uuid::from_u128(8), Uuid::from_u128(1), None, prescriber, at, std::slice::from_ref(&item))
            .expect("rx")
    };
    let section = section();
    let at_text = at.to_rfc3339();
    let place = RecordPlace {
        kind: ClinicalKind::Prescription,
        id: Uuid::from_u128(8),
        patient: Uuid::from_u128(1),
        row: RowIndex { at: Some(&at_text), ..RowIndex::default() },
    };
    let sealed = |prescriber: &str, signer: &str| {
        let key = key_of(signer);
        let by = Authorship { change_id: Uuid::from_u128(98), author: signer, signing_key: &key };
        let json = serde_json::to_vec(&rx(prescriber)).expect("json");
        seal_record(&section, &place, &by, &json).expect("seal")
    };
    let authors = directory();
    let keys = RecordKeys { section: &section, authors: &authors };
    let opened = open_record::<Prescription>(keys, &place, &sealed("doctor", "doctor")).expect("the doctor's");
    assert_eq!(opened.value.prescriber, "doctor");
    for (prescriber, signer) in [("doctor", "nurse"), ("nurse", "nurse")] {
        let refused = open_record::<Prescription>(keys, &place, &sealed(prescriber, signer));
        assert!(matches!(refused, Err(Error::RecordNotVerified)), "{prescriber} signed by {signer}");
    }
}
