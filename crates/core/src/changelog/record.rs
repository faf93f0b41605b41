//! The sealed clinical record, v2: what a clinical change keeps in the log and its state row.
//!
//! ```text
//! [0x02] [epoch: u32 BE] [change id: 16] [author length: u8] [author: UTF-8]
//! [nonce: 24] [XChaCha20-Poly1305 ciphertext] [Ed25519 signature: 64]
//! associated data: "mamori-clinical v2" 0 kind 0 id 0 patient 0 epoch 0 at 0 status 0 replaces
//!                  0 encounter 0 change id 0 author
//! plaintext: the record's JSON, then 0x80 and zeros up to a multiple of 256 bytes
//! signature: by the author's user key over "mamori-clinical-record v2" 0, the associated data,
//!            then every byte of the record before the signature
//! ```
//!
//! The associated data binds the record to its row: moved to another patient, note, visit or
//! time, or left beside an edited status or replaced version, it does not open. The signature
//! makes "written by Dr. X" a fact anyone with the membership chain can check, without the
//! clinical key: a colleague who holds the clinical key can seal a record, but only under her own
//! name. Padding hides a note's length to within 256 bytes.
//!
//! v1 records (sealed before author signatures, by pre-release versions) are refused: a record
//! that proves no author cannot be told from one an insider wrote in a colleague's name.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::sealed::ClinicalKind;
use crate::crypto::{self, NONCE_LEN};
use crate::domain::{Allergy, LabReport, NoteKind, NoteStatus, Prescription, Problem, Role, SoapNote, Vitals};
use crate::policy::{self, Access, Section};
use crate::vault::SectionKeys;
use crate::{Error, Result};

pub const RECORD_VERSION: u8 = 2;
const SIGNATURE_LEN: usize = 64;
const PAD_BLOCK: usize = 256;

/// Who writes a change, as its record says and signs: the change's id, the author's login and
/// the author's signing key.
pub struct Authorship<'a> {
    pub change_id: Uuid,
    pub author: &'a str,
    pub signing_key: &'a SigningKey,
}

/// Who may have signed a record, as the verified membership chain says: the signing keys a user
/// has held (a user invited again gets new keys; records signed with the old ones stay theirs)
/// and every role they have held.
pub trait AuthorKeys {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]>;
    /// Every role the user has held.
    fn roles_of(&self, user: &str) -> Vec<Role>;
    /// The keys that sign for the user in a change naming link `chain_seq` (a fixed directory:
    /// all of them).
    fn signing_keys_at(&self, user: &str, chain_seq: u64) -> Vec<[u8; 32]> {
        let _ = chain_seq;
        self.signing_keys_of(user)
    }
    /// The roles the user held, enabled, once link `chain_seq` was applied (a fixed directory:
    /// every role they have).
    fn roles_at(&self, user: &str, chain_seq: u64) -> Vec<Role> {
        let _ = chain_seq;
        self.roles_of(user)
    }
    /// The newest link this directory knows, if it follows a chain: a change naming a later one
    /// waits until that link arrives.
    fn chain_head(&self) -> Option<u64> {
        None
    }
}

/// A fixed directory: login → (role, signing keys) (fixtures and tests).
impl AuthorKeys for std::collections::BTreeMap<String, (Role, Vec<[u8; 32]>)> {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        self.get(user).map(|(_, keys)| keys.clone()).unwrap_or_default()
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        self.get(user).map(|(role, _)| vec![*role]).into_iter().flatten().collect()
    }
}

/// What opening a record needs: the clinical section keys and whose signing keys are whose.
#[derive(Clone, Copy)]
pub struct RecordKeys<'a> {
    pub section: &'a SectionKeys,
    pub authors: &'a dyn AuthorKeys,
}

/// The plaintext index columns of a state row, exactly as stored, that its sealed record is bound
/// to: a record does not open beside a changed time, note status, replaced version or visit.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowIndex<'a> {
    pub at: Option<&'a str>,
    pub status: Option<&'a str>,
    pub replaces: Option<&'a str>,
    pub encounter: Option<&'a str>,
}

/// Where a record belongs: its kind, id, patient and row.
#[derive(Clone, Copy, Debug)]
pub struct RecordPlace<'a> {
    pub kind: ClinicalKind,
    pub id: Uuid,
    pub patient: Uuid,
    pub row: RowIndex<'a>,
}

/// A record opened, its signature checked: the record and the author who signed it.
#[derive(Debug)]
pub struct OpenedRecord<T> {
    pub value: T,
    pub author: String,
    pub change_id: Uuid,
}

/// What a record says about its writing, checked against who signed it: that it names its signer
/// where it names anyone, and the section and access writing it takes (one of the roles the
/// signer has held must allow it, `policy::allows`).
pub trait ClaimsAuthor {
    fn names(&self, signer: &str) -> bool;
    fn authority(&self) -> (Section, Access);
}

impl ClaimsAuthor for SoapNote {
    /// A note is written by its author (a draft is edited and signed only by them), and a signed
    /// note names them as its signer.
    fn names(&self, signer: &str) -> bool {
        self.author == signer
            && match self.status {
                NoteStatus::Signed => self.signed_by.as_deref() == Some(signer),
                NoteStatus::Draft => true,
            }
    }

    fn authority(&self) -> (Section, Access) {
        let section = match self.kind {
            NoteKind::Medical => Section::Notes,
            NoteKind::Nursing => Section::NursingNotes,
        };
        let access = match self.status {
            NoteStatus::Signed => Access::Sign,
            NoteStatus::Draft => Access::Write,
        };
        (section, access)
    }
}

impl ClaimsAuthor for Prescription {
    fn names(&self, signer: &str) -> bool {
        self.prescriber == signer
    }

    fn authority(&self) -> (Section, Access) {
        (Section::Prescriptions, Access::Sign)
    }
}

/// Records that name nobody: only the section's write access is checked.
macro_rules! written_in {
    ($($kind:ty => $section:expr),* $(,)?) => {$(
        impl ClaimsAuthor for $kind {
            fn names(&self, _signer: &str) -> bool {
                true
            }

            fn authority(&self) -> (Section, Access) {
                ($section, Access::Write)
            }
        }
    )*};
}

written_in!(Vitals => Section::Vitals, Allergy => Section::Allergies, Problem => Section::Problems, LabReport => Section::Results);

/// Seals `plaintext` (a record's JSON) for `place` under the newest section key and signs it as
/// `by`. Refused without a section key: a clinical record is never stored in the clear.
pub fn seal_record(
    keys: &SectionKeys,
    place: &RecordPlace<'_>,
    by: &Authorship<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let (epoch, key) = keys.current().ok_or(Error::SectionKeyMissing)?;
    let author = u8::try_from(by.author.len()).map_err(|_| Error::InvalidState("an author's login is too long"))?;
    let aad = associated_data(place, epoch, by.change_id, by.author);
    let sealed = crypto::seal(key, &padded(plaintext), &aad)?;
    let mut record = Vec::with_capacity(1 + 4 + 16 + 1 + by.author.len() + NONCE_LEN + sealed.ciphertext.len() + 64);
    record.push(RECORD_VERSION);
    record.extend_from_slice(&epoch.to_be_bytes());
    record.extend_from_slice(by.change_id.as_bytes());
    record.push(author);
    record.extend_from_slice(by.author.as_bytes());
    record.extend_from_slice(&sealed.nonce);
    record.extend_from_slice(&sealed.ciphertext);
    let signature = by.signing_key.sign(&signed_message(&aad, &record));
    record.extend_from_slice(&signature.to_bytes());
    Ok(record)
}

/// Opens the record stored at `place`: the author's signature is checked against the keys the
/// chain gives them (before anything else, so bytes altered anywhere are refused as such), then
/// the record is decrypted where it stands, then what it claims about its writing is checked
/// against who signed it and the roles they have held.
pub fn open_record<T: DeserializeOwned + ClaimsAuthor>(
    keys: RecordKeys<'_>,
    place: &RecordPlace<'_>,
    record: &[u8],
) -> Result<OpenedRecord<T>> {
    let parts = Parts::parse(record)?;
    let aad = associated_data(place, parts.epoch, parts.change_id, parts.author);
    let message = signed_message(&aad, parts.signed);
    let signature = Signature::from_bytes(&parts.signature);
    let signed_by_author = keys.authors.signing_keys_of(parts.author).iter().any(|public| {
        VerifyingKey::from_bytes(public).is_ok_and(|public| public.verify_strict(&message, &signature).is_ok())
    });
    if !signed_by_author {
        return Err(Error::RecordNotVerified);
    }
    // A genuine record under an epoch this reader has not been given: the key is still to come.
    let key = keys.section.get(parts.epoch).ok_or(Error::SectionKeyMissing)?;
    let plain = crypto::open_parts(key, &parts.nonce, parts.ciphertext, &aad).ok_or(Error::RecordNotVerified)?;
    let value: T = serde_json::from_slice(unpadded(&plain)?).map_err(|_| Error::RecordNotVerified)?;
    let (section, access) = value.authority();
    let allowed = keys.authors.roles_of(parts.author).into_iter().any(|role| policy::allows(role, section, access));
    if !value.names(parts.author) || !allowed {
        return Err(Error::RecordNotVerified);
    }
    Ok(OpenedRecord { value, author: parts.author.to_string(), change_id: parts.change_id })
}

/// A v2 record's fields, borrowed from its bytes.
struct Parts<'a> {
    epoch: u32,
    change_id: Uuid,
    author: &'a str,
    nonce: [u8; NONCE_LEN],
    ciphertext: &'a [u8],
    /// Every byte before the signature.
    signed: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
}

impl<'a> Parts<'a> {
    fn parse(record: &'a [u8]) -> Result<Self> {
        match record.first() {
            Some(&RECORD_VERSION) => {}
            Some(1) => return Err(Error::RecordUnsigned),
            _ => return Err(Error::RecordNotVerified),
        }
        let malformed = || Error::RecordNotVerified;
        let (signed, signature) = record
            .split_at_checked(record.len().checked_sub(SIGNATURE_LEN).ok_or_else(malformed)?)
            .ok_or_else(malformed)?;
        let rest = &signed[1..];
        let (epoch, rest) = rest.split_first_chunk::<4>().ok_or_else(malformed)?;
        let (change_id, rest) = rest.split_first_chunk::<16>().ok_or_else(malformed)?;
        let (&author_len, rest) = rest.split_first().ok_or_else(malformed)?;
        let (author, rest) = rest.split_at_checked(usize::from(author_len)).ok_or_else(malformed)?;
        let (nonce, ciphertext) = rest.split_first_chunk::<NONCE_LEN>().ok_or_else(malformed)?;
        Ok(Self {
            epoch: u32::from_be_bytes(*epoch),
            change_id: Uuid::from_bytes(*change_id),
            author: std::str::from_utf8(author).map_err(|_| malformed())?,
            nonce: *nonce,
            ciphertext,
            signed,
            signature: signature.try_into().map_err(|_| malformed())?,
        })
    }
}

fn associated_data(place: &RecordPlace<'_>, epoch: u32, change_id: Uuid, author: &str) -> Vec<u8> {
    let field = |v: Option<&str>| v.unwrap_or("").to_string();
    let row = &place.row;
    format!(
        "mamori-clinical v{RECORD_VERSION}\0{}\0{}\0{}\0{epoch}\0{}\0{}\0{}\0{}\0{change_id}\0{author}",
        place.kind.entity_kind(),
        place.id,
        place.patient,
        field(row.at),
        field(row.status),
        field(row.replaces),
        field(row.encounter),
    )
    .into_bytes()
}

fn signed_message(aad: &[u8], record_before_signature: &[u8]) -> Vec<u8> {
    [b"mamori-clinical-record v2\0".as_slice(), aad, record_before_signature].concat()
}

/// ISO/IEC 7816-4 padding to a multiple of [`PAD_BLOCK`]: 0x80, then zeros.
fn padded(plaintext: &[u8]) -> Zeroizing<Vec<u8>> {
    let len = (plaintext.len() + 1).div_ceil(PAD_BLOCK) * PAD_BLOCK;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.extend_from_slice(plaintext);
    out.push(0x80);
    out.resize(len, 0);
    out
}

fn unpadded(padded: &[u8]) -> Result<&[u8]> {
    let end = padded.iter().rposition(|&b| b != 0).ok_or(Error::RecordNotVerified)?;
    (padded[end] == 0x80).then(|| &padded[..end]).ok_or(Error::RecordNotVerified)
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
