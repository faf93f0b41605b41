//! A fingerprint of the whole derived state, to prove that replaying the log gives the same state.
//! Rows are compared by their logical content (patient ids, not SQLite row numbers).

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::Result;

const STATE_QUERIES: &[&str] = &[
    "SELECT name, display_name, role, disabled FROM users ORDER BY name",
    "SELECT id, chart_no, birth_date, sort_kana, body FROM patients ORDER BY id",
    "SELECT k.key, p.id FROM patient_name_keys k JOIN patients p ON p.rowid = k.patient_rowid ORDER BY 1, 2",
    "SELECT p.id, f.name, f.kana, f.phone FROM patient_fts f JOIN patients p ON p.rowid = f.rowid ORDER BY 1",
    "SELECT * FROM encounters ORDER BY id",
    "SELECT * FROM notes ORDER BY id",
    "SELECT * FROM vitals ORDER BY id",
    "SELECT * FROM allergies ORDER BY id",
    "SELECT * FROM problems ORDER BY id",
    "SELECT * FROM prescriptions ORDER BY id",
    "SELECT * FROM lab_reports ORDER BY id",
    "SELECT * FROM appointments ORDER BY id",
    "SELECT key, value FROM clinic_settings ORDER BY key",
    "SELECT * FROM merge_conflicts ORDER BY entity_kind, entity_id",
];

/// SHA-256 over every state row, in hex.
pub fn state_digest(conn: &Connection) -> Result<String> {
    let mut hasher = Sha256::new();
    for query in STATE_QUERIES {
        hasher.update(query.as_bytes());
        let mut stmt = conn.prepare(query)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            for i in 0..columns {
                hash_value(&mut hasher, row.get_ref(i)?);
            }
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

fn hash_value(hasher: &mut Sha256, value: ValueRef<'_>) {
    let (tag, bytes): (u8, Vec<u8>) = match value {
        ValueRef::Null => (0, Vec::new()),
        ValueRef::Integer(i) => (1, i.to_le_bytes().to_vec()),
        ValueRef::Real(f) => (2, f.to_le_bytes().to_vec()),
        ValueRef::Text(t) => (3, t.to_vec()),
        ValueRef::Blob(b) => (4, b.to_vec()),
    };
    hasher.update([tag]);
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}
