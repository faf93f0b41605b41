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
//!
//! v1 records prove no author, so since v2 they are refused (`Error::RecordUnsigned`): only
//! pre-release versions wrote them, and a reader that still opened them would let anyone holding
//! the clinical key write a "signed" note in a colleague's name as v1. The recipe tests below keep
//! the format itself on record; `sealed_record_v2.rs` reuses these records.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::hex_array;
use crate::changelog::record::open_record;
use crate::changelog::{ClinicalKind, RecordKeys, RecordPlace, RowIndex};
use crate::domain::{Allergy, NoteKind, NoteStatus, Severity, SoapNote, SoapText};
use crate::secret::Key32;
use crate::vault::SectionKeys;
use crate::Error;

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
        RowIndex {
            at: self.at.as_deref(),
            status: self.status.as_deref(),
            replaces: self.replaces.as_deref(),
            encounter: None,
        }
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

/// The note sealed in `sealed_record_v1_note.bin` (and v2): a doctor's signed amendment.
pub(super) fn the_note() -> SoapNote {
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

/// The allergy sealed in `sealed_record_v1_allergy.bin` (and v2).
pub(super) fn the_allergy() -> Allergy {
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
fn v1_sealed_records_are_refused_as_unsigned() {
    let inputs = inputs();
    let section = keys(&inputs);
    let authors =
        std::collections::BTreeMap::from([("doctor".to_string(), (crate::domain::Role::Doctor, vec![[7u8; 32]]))]);
    let keys = RecordKeys { section: &section, authors: &authors };
    let (n, a) = (&inputs.note, &inputs.allergy);
    let note = RecordPlace { kind: ClinicalKind::Note, id: n.id, patient: n.patient, row: n.row() };
    assert!(matches!(open_record::<SoapNote>(keys, &note, NOTE), Err(Error::RecordUnsigned)));
    let allergy = RecordPlace { kind: ClinicalKind::Allergy, id: a.id, patient: a.patient, row: a.row() };
    assert!(matches!(open_record::<Allergy>(keys, &allergy, ALLERGY), Err(Error::RecordUnsigned)));
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
