//! Clinical change bodies are sealed under the clinical section key (CSK) before they reach the
//! log. What stays readable is the index replay needs: the record's id and patient, its time, and
//! for notes the encounter, status and the version replaced. Applying a sealed change copies the
//! sealed bytes into the state table, so replay and rebuild never need the key and every replica
//! holds identical bytes; only a clinical user's unlocked session opens them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::change::{ChangeBody, ClinicalBody, OpenBody};
use super::record::{self, Authorship, RecordPlace, RowIndex};
use crate::domain::{NoteStatus, SoapNote};
use crate::vault::SectionKeys;
use crate::{Error, Result};

/// The clinical kinds of change, each sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalOp {
    NoteDrafted,
    NoteSigned,
    NoteAmended,
    VitalsRecorded,
    AllergyRecorded,
    ProblemRecorded,
    PrescriptionIssued,
    LabReported,
}

/// The kind of clinical record, naming its state table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClinicalKind {
    Note,
    Vitals,
    Allergy,
    Problem,
    Prescription,
    LabReport,
}

impl ClinicalKind {
    /// The entity kind in the change log.
    pub fn entity_kind(self) -> &'static str {
        match self {
            ClinicalKind::Note => "note",
            ClinicalKind::Vitals => "vitals",
            ClinicalKind::Allergy => "allergy",
            ClinicalKind::Problem => "problem",
            ClinicalKind::Prescription => "prescription",
            ClinicalKind::LabReport => "lab_report",
        }
    }

    /// The state table holding this kind of record.
    pub fn table(self) -> &'static str {
        match self {
            ClinicalKind::Note => "notes",
            ClinicalKind::Vitals => "vitals",
            ClinicalKind::Allergy => "allergies",
            ClinicalKind::Problem => "problems",
            ClinicalKind::Prescription => "prescriptions",
            ClinicalKind::LabReport => "lab_reports",
        }
    }

    /// The columns a read of this kind's state row selects: `id, body` and the index columns the
    /// sealed record is bound to (time, note status, replaced version, visit; `NULL` where it has
    /// none).
    pub fn sealed_columns(self) -> String {
        match self {
            ClinicalKind::Note => "id, body, written_at, status, replaces, encounter_id".to_string(),
            _ => format!("id, body, {}, NULL, NULL, NULL", self.time_column().unwrap_or("NULL")),
        }
    }

    /// The state table's time column, if the record has a time.
    pub fn time_column(self) -> Option<&'static str> {
        match self {
            ClinicalKind::Note => Some("written_at"),
            ClinicalKind::Vitals => Some("measured_at"),
            ClinicalKind::Prescription => Some("prescribed_at"),
            ClinicalKind::LabReport => Some("collected_at"),
            ClinicalKind::Allergy | ClinicalKind::Problem => None,
        }
    }
}

impl ClinicalOp {
    pub fn kind(self) -> ClinicalKind {
        match self {
            ClinicalOp::NoteDrafted | ClinicalOp::NoteSigned | ClinicalOp::NoteAmended => ClinicalKind::Note,
            ClinicalOp::VitalsRecorded => ClinicalKind::Vitals,
            ClinicalOp::AllergyRecorded => ClinicalKind::Allergy,
            ClinicalOp::ProblemRecorded => ClinicalKind::Problem,
            ClinicalOp::PrescriptionIssued => ClinicalKind::Prescription,
            ClinicalOp::LabReported => ClinicalKind::LabReport,
        }
    }
}

/// The plaintext part of a sealed clinical change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicalIndex {
    pub op: ClinicalOp,
    pub id: Uuid,
    pub patient_id: Uuid,
    /// When it was written, measured, prescribed or collected; none for allergies and problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NoteStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Uuid>,
}

/// A clinical index's row columns as the state table stores them (text).
pub struct IndexColumns {
    at: Option<String>,
    status: Option<&'static str>,
    replaces: Option<String>,
    encounter: Option<String>,
}

impl ClinicalIndex {
    /// The state row's index columns this change will put, as stored.
    pub fn columns(&self) -> IndexColumns {
        IndexColumns {
            at: self.at.map(|at| at.to_rfc3339()),
            status: self.status.map(NoteStatus::as_str),
            replaces: self.replaces.map(|r| r.to_string()),
            encounter: self.encounter_id.map(|e| e.to_string()),
        }
    }

    /// Where this change's record belongs, with `columns` from [`ClinicalIndex::columns`].
    pub fn place<'a>(&self, columns: &'a IndexColumns) -> RecordPlace<'a> {
        RecordPlace {
            kind: self.op.kind(),
            id: self.id,
            patient: self.patient_id,
            row: RowIndex {
                at: columns.at.as_deref(),
                status: columns.status,
                replaces: columns.replaces.as_deref(),
                encounter: columns.encounter.as_deref(),
            },
        }
    }
}

/// A clinical change as the log keeps it: the plaintext index replay needs, and the record sealed
/// under the clinical section key. Only [`ClinicalBody::seal`] makes one (and the log reader,
/// from bytes an earlier seal wrote): its fields are private, so no other code can put plaintext
/// where the sealed record belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct SealedBody {
    index: ClinicalIndex,
    record: Vec<u8>,
}

impl SealedBody {
    /// A sealed body read back from the log (its bytes were written by [`ClinicalBody::seal`]).
    pub(super) fn from_log(index: ClinicalIndex, record: Vec<u8>) -> Self {
        Self { index, record }
    }

    /// What replay needs in the clear: the record's kind, id, patient, time and note index.
    pub fn index(&self) -> &ClinicalIndex {
        &self.index
    }

    /// The sealed record ([`super::record`]): version, key epoch, change, author, nonce,
    /// ciphertext and signature.
    pub fn record(&self) -> &[u8] {
        &self.record
    }
}

/// A change body as the log keeps it: administrative and demographic bodies in the clear,
/// clinical ones sealed. There is no variant, constructor or conversion that holds a
/// [`ClinicalBody`].
#[derive(Clone, Debug, PartialEq)]
// A change's body lives briefly, one at a time, while it is logged or applied: boxing the open
// variant (a patient record) would cost an allocation per change for no memory saved.
#[allow(clippy::large_enum_variant)]
pub enum LoggedBody {
    Open(OpenBody),
    Sealed(SealedBody),
}

impl From<OpenBody> for LoggedBody {
    fn from(body: OpenBody) -> Self {
        LoggedBody::Open(body)
    }
}

impl From<SealedBody> for LoggedBody {
    fn from(body: SealedBody) -> Self {
        LoggedBody::Sealed(body)
    }
}

impl LoggedBody {
    /// The kind and id of the record this change puts.
    pub fn entity(&self) -> (&'static str, String) {
        match self {
            LoggedBody::Open(body) => body.entity(),
            LoggedBody::Sealed(sealed) => (sealed.index.op.kind().entity_kind(), sealed.index.id.to_string()),
        }
    }

    pub fn patient(&self) -> Option<Uuid> {
        match self {
            LoggedBody::Open(body) => body.patient(),
            LoggedBody::Sealed(sealed) => Some(sealed.index.patient_id),
        }
    }
}

impl ChangeBody {
    /// The body as the log keeps it: open bodies as they are, clinical ones sealed under the
    /// newest section key and signed by their author (refused without a section key).
    pub fn into_logged(self, keys: &SectionKeys, by: &Authorship<'_>) -> Result<LoggedBody> {
        match self {
            ChangeBody::Open(body) => Ok(LoggedBody::Open(body)),
            ChangeBody::Clinical(body) => Ok(LoggedBody::Sealed(body.seal(keys, by)?)),
        }
    }
}

impl ClinicalBody {
    /// Seals the record under the newest clinical section key, bound to its index and its change
    /// as associated data, and signed by its author ([`super::record`]). Without a section key it
    /// is refused: a clinical record is never stored in the clear.
    pub fn seal(&self, keys: &SectionKeys, by: &Authorship<'_>) -> Result<SealedBody> {
        let index = self.index();
        let plain = zeroize::Zeroizing::new(match self {
            ClinicalBody::NoteDrafted(n) | ClinicalBody::NoteSigned(n) | ClinicalBody::NoteAmended(n) => to_json(n)?,
            ClinicalBody::VitalsRecorded(v) => to_json(v)?,
            ClinicalBody::AllergyRecorded(a) => to_json(a)?,
            ClinicalBody::ProblemRecorded(p) => to_json(p)?,
            ClinicalBody::PrescriptionIssued(p) => to_json(p)?,
            ClinicalBody::LabReported(l) => to_json(l)?,
        });
        let columns = index.columns();
        let record = record::seal_record(keys, &index.place(&columns), by, &plain)?;
        Ok(SealedBody { index, record })
    }

    /// The plaintext index of this change: what replay needs without the key.
    pub fn index(&self) -> ClinicalIndex {
        let index = |op, id, patient_id, at| ClinicalIndex {
            op,
            id,
            patient_id,
            at,
            encounter_id: None,
            status: None,
            replaces: None,
        };
        let note = |op, n: &SoapNote| ClinicalIndex {
            encounter_id: Some(n.encounter_id),
            status: Some(n.status),
            replaces: n.replaces,
            ..index(op, n.id, n.patient_id, Some(n.written_at))
        };
        match self {
            ClinicalBody::NoteDrafted(n) => note(ClinicalOp::NoteDrafted, n),
            ClinicalBody::NoteSigned(n) => note(ClinicalOp::NoteSigned, n),
            ClinicalBody::NoteAmended(n) => note(ClinicalOp::NoteAmended, n),
            ClinicalBody::VitalsRecorded(v) => {
                index(ClinicalOp::VitalsRecorded, v.id, v.patient_id, Some(v.measured_at))
            }
            ClinicalBody::AllergyRecorded(a) => index(ClinicalOp::AllergyRecorded, a.id, a.patient_id, None),
            ClinicalBody::ProblemRecorded(p) => index(ClinicalOp::ProblemRecorded, p.id, p.patient_id, None),
            ClinicalBody::PrescriptionIssued(p) => {
                index(ClinicalOp::PrescriptionIssued, p.id, p.patient_id, Some(p.prescribed_at))
            }
            ClinicalBody::LabReported(l) => index(ClinicalOp::LabReported, l.id, l.patient_id, Some(l.collected_at)),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| Error::InvalidState("a record could not be encoded"))
}
