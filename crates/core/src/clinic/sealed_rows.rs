//! Sealed state rows as a reader meets them: read whatever their columns hold, opened and
//! verified (`changelog::record`), and left out, counted, when they do not verify, so one
//! planted row cannot keep a clinician from the rest of a chart.

use std::collections::BTreeSet;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::missing_records::Shown;
use crate::changelog::record::{open_record, ClaimsAuthor, OpenedRecord};
use crate::changelog::{ClinicalKind, RecordKeys, RecordPlace, RowIndex};
use crate::{Error, Result};

/// What opening a chart's sealed records found: which kinds were read, which rows each held
/// (whether they verified or not), how many were left out, and which were shown at which change.
#[derive(Default)]
pub(super) struct Opened {
    pub withheld: u32,
    pub shown: Vec<Shown>,
    kinds: Vec<ClinicalKind>,
    held: BTreeSet<(String, String)>,
}

impl Opened {
    /// Whether the rows of `entity_kind` were read.
    pub fn read_kind(&self, entity_kind: &str) -> bool {
        self.kinds.iter().any(|k| k.entity_kind() == entity_kind)
    }

    /// Whether a row of `entity_kind` with id `record` was there (verified or left out).
    pub fn holds(&self, entity_kind: &str, record: &str) -> bool {
        self.held.contains(&(entity_kind.to_string(), record.to_string()))
    }
}

/// The sealed records of a section the reader may see, or `None` without querying; records
/// that do not verify are left out and counted.
pub(super) fn sealed_section<T: DeserializeOwned + ClaimsAuthor>(
    conn: &Connection,
    keys: RecordKeys<'_>,
    allowed: bool,
    kind: ClinicalKind,
    patient_id: Uuid,
    opened: &mut Opened,
) -> Result<Option<Vec<T>>> {
    if allowed {
        sealed_for_patient(conn, keys, kind, patient_id, opened).map(Some)
    } else {
        Ok(None)
    }
}

/// One patient's sealed records of `kind`, opened, oldest first. A record that does not verify
/// (altered, moved, forged in a colleague's name, or unsigned) is left out and counted in
/// `opened`, so one planted row cannot keep a clinician from the rest of the chart.
pub(super) fn sealed_for_patient<T: DeserializeOwned + ClaimsAuthor>(
    conn: &Connection,
    keys: RecordKeys<'_>,
    kind: ClinicalKind,
    patient_id: Uuid,
    opened: &mut Opened,
) -> Result<Vec<T>> {
    let order = kind.time_column().map(|c| format!("{c}, ")).unwrap_or_default();
    let sql =
        format!("SELECT {} FROM {} WHERE patient_id = ?1 ORDER BY {order}id", kind.sealed_columns(), kind.table());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([patient_id.to_string()], |row| SealedRow::read(row, 0))?;
    let mut records = Vec::new();
    opened.kinds.push(kind);
    for row in rows {
        let row = row?;
        opened.held.insert((kind.entity_kind().to_string(), row.id.clone()));
        match row.open_verified(keys, kind, patient_id) {
            Ok((id, record)) => {
                opened.shown.push(Shown { record: id, change: record.change_id });
                records.push(record.value);
            }
            Err(Error::RecordNotVerified | Error::RecordUnsigned) => opened.withheld += 1,
            Err(other) => return Err(other),
        }
    }
    Ok(records)
}

/// A state row of sealed clinical content: id, sealed record and the index columns it is bound to.
pub(super) struct SealedRow {
    id: String,
    record: Vec<u8>,
    at: Option<String>,
    status: Option<String>,
    replaces: Option<String>,
    encounter: Option<String>,
}

impl SealedRow {
    /// Reads `id, body, at, status, replaces, encounter` starting at column `first`. Whatever a
    /// column holds is taken as it is (a row edited to another type, or a body stored as text,
    /// then fails to verify and is left out like any altered record, rather than failing the chart).
    pub(super) fn read(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        let text = |i: usize| row.get_ref(first + i).map(as_text);
        Ok(Self {
            id: text(0)?.unwrap_or_default(),
            record: match row.get_ref(first + 1)? {
                ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes.to_vec(),
                _ => Vec::new(),
            },
            at: text(2)?,
            status: text(3)?,
            replaces: text(4)?,
            encounter: text(5)?,
        })
    }

    pub(super) fn open<T: DeserializeOwned + ClaimsAuthor>(
        &self,
        keys: RecordKeys<'_>,
        kind: ClinicalKind,
        patient: Uuid,
    ) -> Result<T> {
        self.open_verified(keys, kind, patient).map(|(_, opened)| opened.value)
    }

    /// The record's id and the record opened, with the change its sealed bytes name.
    fn open_verified<T: DeserializeOwned + ClaimsAuthor>(
        &self,
        keys: RecordKeys<'_>,
        kind: ClinicalKind,
        patient: Uuid,
    ) -> Result<(Uuid, OpenedRecord<T>)> {
        let id = Uuid::parse_str(&self.id).map_err(|_| Error::RecordNotVerified)?;
        let row = RowIndex {
            at: self.at.as_deref(),
            status: self.status.as_deref(),
            replaces: self.replaces.as_deref(),
            encounter: self.encounter.as_deref(),
        };
        Ok((id, open_record(keys, &RecordPlace { kind, id, patient, row }, &self.record)?))
    }
}

/// A column's value as text, whatever type it was stored as; `None` for NULL.
fn as_text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// The first row `sql` (with `params`) selects that verifies, opened; rows that do not verify are
/// passed over, as the chart leaves them out.
pub(super) fn first_verified<T: DeserializeOwned + ClaimsAuthor>(
    conn: &Connection,
    keys: RecordKeys<'_>,
    kind: ClinicalKind,
    patient: Uuid,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |row| SealedRow::read(row, 0))?;
    for row in rows {
        match row?.open(keys, kind, patient) {
            Ok(record) => return Ok(Some(record)),
            Err(Error::RecordNotVerified | Error::RecordUnsigned) => continue,
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}
