//! The sealed clinical record, v1 (`changelog::sealed`), as the change log and the state tables
//! keep it:
//!
//! ```text
//! [0x01] [epoch: u32 big-endian] [nonce: 24 bytes] [XChaCha20-Poly1305 ciphertext of the record's JSON]
//! associated data: "mamori-clinical v1" 0 kind 0 id 0 patient 0 epoch 0 at 0 status 0 replaces
//! ```
//!
//! where `at`, `status` and `replaces` are the state row's index columns exactly as stored (empty
//! when the kind has none). Fixtures: `sealed_record_v1_note.bin` (a signed amendment: every index
//! column set) and `sealed_record_v1_allergy.bin` (none set), with their key and inputs in
//! `sealed_record_v1.json`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::hex_array;
use crate::changelog::sealed::{open_record, ClinicalKind, ClinicalOp, RowIndex};
use crate::changelog::ClinicalBody;
use crate::domain::{Allergy, NoteKind, NoteStatus, Severity, SoapNote, SoapText};
use crate::secret::Key32;
use crate::vault::SectionKeys;

const INPUTS: &str = include_str!("../../tests/fixtures/sealed_record_v1.json");
const NOTE: &[u8] = include_bytes!("../../tests/fixtures/sealed_record_v1_note.bin");
const ALLERGY: &[u8] = include_bytes!("../../tests/fixtures/sealed_record_v1_allergy.bin");

#[derive(Deserialize)]
struct Inputs {
    #[serde(deserialize_with = "hex_array")]
    section_key: [u8; 32],
    epoch: u32,
    note: RecordInputs,
    allergy: RecordInputs,
}

/// Where a record belongs: what its associated data binds it to.
#[derive(Deserialize)]
struct RecordInputs {
    kind: String,
    id: Uuid,
    patient: Uuid,
    at: Option<String>,
    status: Option<String>,
    replaces: Option<String>,
    #[serde(deserialize_with = "hex_array")]
    nonce: [u8; 24],
}

impl RecordInputs {
    fn row(&self) -> RowIndex<'_> {
        RowIndex { at: self.at.as_deref(), status: self.status.as_deref(), replaces: self.replaces.as_deref() }
    }

    /// The v1 associated data, spelled out from the format rather than taken from the code.
    fn associated_data(&self, epoch: u32) -> Vec<u8> {
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        let (kind, id, patient) = (&self.kind, self.id, self.patient);
        let (at, status, replaces) = (field(&self.at), field(&self.status), field(&self.replaces));
        format!("mamori-clinical v1\0{kind}\0{id}\0{patient}\0{epoch}\0{at}\0{status}\0{replaces}").into_bytes()
    }
}

fn inputs() -> Inputs {
    serde_json::from_str(INPUTS).expect("sealed_record_v1.json")
}

fn keys(inputs: &Inputs) -> SectionKeys {
    let mut keys = SectionKeys::default();
    keys.insert(inputs.epoch, Key32::from_bytes(inputs.section_key));
    keys
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).single().expect("a real time")
}

/// The note sealed in `sealed_record_v1_note.bin`: a doctor's signed amendment (version 2).
fn the_note() -> SoapNote {
    SoapNote {
        id: Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0004),
        patient_id: Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0001),
        encounter_id: Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0002),
        kind: NoteKind::Medical,
        author: "doctor".into(),
        text: SoapText {
            subjective: "咳が3日続く。夜間に増える。".into(),
            objective: "体温37.2℃、咽頭発赤あり。".into(),
            assessment: "急性上気道炎".into(),
            plan: "対症療法。5日後に再診。".into(),
        },
        status: NoteStatus::Signed,
        version: 2,
        replaces: Some(Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0003)),
        written_at: at(1, 5, 0),
        signed_at: Some(at(1, 7, 30)),
        signed_by: Some("doctor".into()),
    }
}

/// The allergy sealed in `sealed_record_v1_allergy.bin`.
fn the_allergy() -> Allergy {
    Allergy {
        id: Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0005),
        patient_id: Uuid::from_u128(0x0193_7a3c_5c00_7000_8000_0000_0000_0001),
        substance: "ペニシリン".into(),
        reaction: "蕁麻疹".into(),
        severity: Severity::Moderate,
        recorded_at: at(1, 10, 0),
    }
}

/// The v1 recipe, independent of `changelog::sealed`: header, then the AEAD under `nonce`.
fn seal_v1(key: &[u8; 32], epoch: u32, record: &RecordInputs, plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let aad = record.associated_data(epoch);
    let ciphertext = cipher
        .encrypt(&XNonce::from(record.nonce), Payload { msg: plaintext, aad: &aad })
        .expect("encryption of a small record");
    [&[1u8][..], &epoch.to_be_bytes(), &record.nonce, &ciphertext].concat()
}

/// The v1 recipe's reader: the plaintext, if the header is v1 and the record opens where it is.
fn open_v1(key: &[u8; 32], record: &RecordInputs, bytes: &[u8]) -> Option<Vec<u8>> {
    let (&version, rest) = bytes.split_first()?;
    let (epoch, rest) = rest.split_first_chunk::<4>()?;
    let (nonce, ciphertext) = rest.split_first_chunk::<24>()?;
    let aad = record.associated_data(u32::from_be_bytes(*epoch));
    let cipher = XChaCha20Poly1305::new(key.into());
    (version == 1).then_some(())?;
    cipher.decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad: &aad }).ok()
}

#[test]
fn v1_sealed_records_open_with_todays_code_to_exactly_what_was_sealed() {
    let inputs = inputs();
    let keys = keys(&inputs);
    let (n, a) = (&inputs.note, &inputs.allergy);
    let note: SoapNote = open_record(&keys, ClinicalKind::Note, n.id, n.patient, &n.row(), NOTE).expect("v1 note");
    assert_eq!(note, the_note());
    let allergy: Allergy =
        open_record(&keys, ClinicalKind::Allergy, a.id, a.patient, &a.row(), ALLERGY).expect("v1 allergy");
    assert_eq!(allergy, the_allergy());

    // The binding to the row still holds for v1 bytes: beside another status, or as another
    // patient's record, the note does not open.
    let draft = RowIndex { status: Some("draft"), ..n.row() };
    assert!(open_record::<SoapNote>(&keys, ClinicalKind::Note, n.id, n.patient, &draft, NOTE).is_err());
    assert!(open_record::<SoapNote>(&keys, ClinicalKind::Note, n.id, a.id, &n.row(), NOTE).is_err());
}

#[test]
fn the_v1_recipe_gives_the_fixture_bytes_again() {
    let inputs = inputs();
    let key = &inputs.section_key;
    for (record, fixture) in [(&inputs.note, NOTE), (&inputs.allergy, ALLERGY)] {
        let plaintext = open_v1(key, record, fixture).expect("the recipe opens the fixture");
        assert_eq!(seal_v1(key, inputs.epoch, record, &plaintext), fixture, "{}", record.kind);
    }
    // The index columns in the inputs are what today's code stores for these records.
    let note = the_note();
    assert_eq!(inputs.note.at, Some(note.written_at.to_rfc3339()));
    assert_eq!(inputs.note.status.as_deref(), Some(note.status.as_str()));
    assert_eq!(inputs.note.replaces, note.replaces.map(|r| r.to_string()));
    assert_eq!((inputs.note.kind.as_str(), inputs.allergy.kind.as_str()), ("note", "allergy"));
}

#[test]
fn todays_sealing_still_writes_v1() {
    let inputs = inputs();
    let keys = keys(&inputs);
    let sealed = [
        (ClinicalBody::NoteSigned(the_note()).seal(&keys), &inputs.note, ClinicalOp::NoteSigned),
        (ClinicalBody::AllergyRecorded(the_allergy()).seal(&keys), &inputs.allergy, ClinicalOp::AllergyRecorded),
    ];
    let mut opened = Vec::new();
    for (body, record, op) in sealed {
        let sealed = body.expect("a clinical change is sealed");
        let (index, bytes) = (sealed.index(), sealed.record());
        assert_eq!((index.op, index.id, index.patient_id), (op, record.id, record.patient));
        assert_eq!(index.at.map(|at| at.to_rfc3339()), record.at);
        assert_eq!((bytes[0], &bytes[1..5]), (1, &inputs.epoch.to_be_bytes()[..]), "version 1, then the epoch");
        opened.push(open_v1(&inputs.section_key, record, bytes).expect("the v1 recipe opens today's record"));
    }
    assert_eq!(serde_json::from_slice::<SoapNote>(&opened[0]).expect("note JSON"), the_note());
    assert_eq!(serde_json::from_slice::<Allergy>(&opened[1]).expect("allergy JSON"), the_allergy());
}
