//! The sealed clinical record, v2 (`changelog/record.rs`): bound to its row, visit, change and
//! author, padded, and signed by the author's user key. Fixtures `sealed_record_v2_note.bin` and
//! `sealed_record_v2_allergy.bin` hold the v1 fixtures' records, written once by
//! `sealed_record_v2_writer.py` (the recipe in Python, apart from this code); their inputs are in
//! `sealed_record_v2.json`.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use serde::Deserialize;
use uuid::Uuid;

use super::hex_array;
use super::sealed_record::{the_allergy, the_note};
use crate::changelog::record::open_record;
use crate::changelog::{Authorship, ClinicalBody, ClinicalKind, RecordKeys, RecordPlace, RowIndex};
use crate::domain::{Allergy, Role, SoapNote};
use crate::secret::Key32;
use crate::vault::SectionKeys;
use crate::Error;

const INPUTS: &str = include_str!("../../tests/fixtures/sealed_record_v2.json");
const NOTE: &[u8] = include_bytes!("../../tests/fixtures/sealed_record_v2_note.bin");
const ALLERGY: &[u8] = include_bytes!("../../tests/fixtures/sealed_record_v2_allergy.bin");

#[derive(Deserialize)]
struct Inputs {
    #[serde(deserialize_with = "hex_array")]
    section_key: [u8; 32],
    epoch: u32,
    #[serde(deserialize_with = "hex_array")]
    signing_key_seed: [u8; 32],
    #[serde(deserialize_with = "hex_array")]
    signing_public: [u8; 32],
    note: RecordInputs,
    allergy: RecordInputs,
}

#[derive(Deserialize)]
struct RecordInputs {
    kind: String,
    id: Uuid,
    patient: Uuid,
    at: Option<String>,
    status: Option<String>,
    replaces: Option<String>,
    encounter: Option<String>,
    change_id: Uuid,
    author: String,
}

impl RecordInputs {
    fn place(&self, kind: ClinicalKind) -> RecordPlace<'_> {
        let row = RowIndex {
            at: self.at.as_deref(),
            status: self.status.as_deref(),
            replaces: self.replaces.as_deref(),
            encounter: self.encounter.as_deref(),
        };
        RecordPlace { kind, id: self.id, patient: self.patient, row }
    }

    /// The v2 associated data, spelled out from the format rather than taken from the code.
    fn associated_data(&self, epoch: u32) -> Vec<u8> {
        let f = |v: &Option<String>| v.clone().unwrap_or_default();
        let parts = [
            "mamori-clinical v2".to_string(),
            self.kind.clone(),
            self.id.to_string(),
            self.patient.to_string(),
            epoch.to_string(),
            f(&self.at),
            f(&self.status),
            f(&self.replaces),
            f(&self.encounter),
            self.change_id.to_string(),
            self.author.clone(),
        ];
        parts.join("\0").into_bytes()
    }
}

fn inputs() -> Inputs {
    serde_json::from_str(INPUTS).expect("sealed_record_v2.json")
}

fn section(inputs: &Inputs) -> SectionKeys {
    let mut keys = SectionKeys::default();
    keys.insert(inputs.epoch, Key32::from_bytes(inputs.section_key));
    keys
}

fn doctor(inputs: &Inputs) -> BTreeMap<String, (Role, Vec<[u8; 32]>)> {
    BTreeMap::from([("doctor".to_string(), (Role::Doctor, vec![inputs.signing_public]))])
}

/// The v2 recipe's reader, independent of `changelog::record`: checks the signature with the
/// author's public key, opens the AEAD and strips the padding.
fn open_v2(inputs: &Inputs, record: &RecordInputs, bytes: &[u8]) -> Option<Vec<u8>> {
    let (signed, signature) = bytes.split_at(bytes.len().checked_sub(64)?);
    let (&version, rest) = signed.split_first()?;
    let (epoch, rest) = rest.split_first_chunk::<4>()?;
    let (change_id, rest) = rest.split_first_chunk::<16>()?;
    let (&author_len, rest) = rest.split_first()?;
    let (author, rest) = rest.split_at(usize::from(author_len));
    let (nonce, ciphertext) = rest.split_first_chunk::<24>()?;
    let header_ok = version == 2
        && u32::from_be_bytes(*epoch) == inputs.epoch
        && Uuid::from_bytes(*change_id) == record.change_id
        && author == record.author.as_bytes();
    header_ok.then_some(())?;
    let aad = record.associated_data(inputs.epoch);
    let message = [b"mamori-clinical-record v2\0".as_slice(), &aad, signed].concat();
    let public = VerifyingKey::from_bytes(&inputs.signing_public).ok()?;
    public.verify(&message, &Signature::from_slice(signature).ok()?).ok()?;
    let cipher = XChaCha20Poly1305::new((&inputs.section_key).into());
    let padded = cipher.decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad: &aad }).ok()?;
    (padded.len() % 256 == 0).then_some(())?;
    let end = padded.iter().rposition(|&b| b != 0)?;
    (padded[end] == 0x80).then(|| padded[..end].to_vec())
}

#[test]
fn v2_sealed_records_open_with_todays_code_to_exactly_what_was_sealed() {
    let inputs = inputs();
    let section = section(&inputs);
    let authors = doctor(&inputs);
    let keys = RecordKeys { section: &section, authors: &authors };
    let note = open_record::<SoapNote>(keys, &inputs.note.place(ClinicalKind::Note), NOTE).expect("v2 note");
    assert_eq!((note.value, note.author.as_str(), note.change_id), (the_note(), "doctor", inputs.note.change_id));
    let allergy =
        open_record::<Allergy>(keys, &inputs.allergy.place(ClinicalKind::Allergy), ALLERGY).expect("v2 allergy");
    assert_eq!((allergy.value, allergy.change_id), (the_allergy(), inputs.allergy.change_id));

    // Bound to its visit and status; and only the doctor's key makes it the doctor's.
    let place = inputs.note.place(ClinicalKind::Note);
    let other_visit = Uuid::from_u128(1).to_string();
    let moved = RecordPlace { row: RowIndex { encounter: Some(&other_visit), ..place.row }, ..place };
    assert!(matches!(open_record::<SoapNote>(keys, &moved, NOTE), Err(Error::RecordNotVerified)));
    let stranger = BTreeMap::from([("doctor".to_string(), (Role::Doctor, vec![[5u8; 32]]))]);
    let stranger = RecordKeys { section: &section, authors: &stranger };
    assert!(matches!(open_record::<SoapNote>(stranger, &place, NOTE), Err(Error::RecordNotVerified)));
}

#[test]
fn the_v2_recipe_reads_the_fixtures_and_the_seed_is_the_signers() {
    let inputs = inputs();
    let note = open_v2(&inputs, &inputs.note, NOTE).expect("the recipe opens the note");
    assert_eq!(serde_json::from_slice::<SoapNote>(&note).expect("note JSON"), the_note());
    let allergy = open_v2(&inputs, &inputs.allergy, ALLERGY).expect("the recipe opens the allergy");
    assert_eq!(serde_json::from_slice::<Allergy>(&allergy).expect("allergy JSON"), the_allergy());
    let signer = SigningKey::from_bytes(&inputs.signing_key_seed);
    assert_eq!(signer.verifying_key().to_bytes(), inputs.signing_public);
    // The index columns in the inputs are what today's code stores for the note.
    let index = ClinicalBody::NoteSigned(the_note()).index();
    let columns = index.columns();
    let today = index.place(&columns);
    let frozen = inputs.note.place(ClinicalKind::Note);
    assert_eq!(
        (today.row.at, today.row.status, today.row.replaces, today.row.encounter),
        (frozen.row.at, frozen.row.status, frozen.row.replaces, frozen.row.encounter)
    );
}

#[test]
fn todays_sealing_writes_v2_that_the_recipe_reads() {
    let inputs = inputs();
    let section = section(&inputs);
    let signer = SigningKey::from_bytes(&inputs.signing_key_seed);
    for (body, record) in [
        (ClinicalBody::NoteSigned(the_note()), &inputs.note),
        (ClinicalBody::AllergyRecorded(the_allergy()), &inputs.allergy),
    ] {
        let by = Authorship { change_id: record.change_id, author: &record.author, signing_key: &signer };
        let sealed = body.seal(&section, &by).expect("sealed");
        let plain = open_v2(&inputs, record, sealed.record()).expect("the v2 recipe opens today's record");
        match body {
            ClinicalBody::NoteSigned(_) => {
                assert_eq!(serde_json::from_slice::<SoapNote>(&plain).expect("note"), the_note())
            }
            _ => assert_eq!(serde_json::from_slice::<Allergy>(&plain).expect("allergy"), the_allergy()),
        }
    }
}
