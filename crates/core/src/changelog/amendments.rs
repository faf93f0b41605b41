//! Two doctors amending the same signed note on different devices, each offline: both
//! amendments are kept (each is its own record) and the note is flagged for the doctor, as
//! `note_amendments` in `merge_conflicts` (entity: the amended note). Computed from the notes in
//! state, so it is a function of the set of changes like every other flag.

use rusqlite::{params, Connection};

use super::sealed::LoggedBody;
use crate::Result;

pub const KIND: &str = "note_amendments";

/// The note a change amends, if it is an amendment.
pub(crate) fn amended_by(body: &LoggedBody) -> Option<String> {
    match body {
        LoggedBody::Sealed(sealed) if sealed.index().op.kind().entity_kind() == "note" => {
            sealed.index().replaces.map(|id| id.to_string())
        }
        _ => None,
    }
}

/// Flags `note` if more than one amendment names it, or clears its flag.
pub(crate) fn flag(conn: &Connection, note: &str) -> Result<()> {
    let (count, newest): (i64, Option<String>) = conn
        .prepare_cached("SELECT count(*), max(id) FROM notes WHERE replaces = ?1")?
        .query_row([note], |row| Ok((row.get(0)?, row.get(1)?)))?;
    match newest {
        Some(newest) if count > 1 => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO merge_conflicts (entity_kind, entity_id, winner, heads, fields)
                 VALUES (?1, ?2, ?3, ?4, NULL)",
            )?
            .execute(params![KIND, note, newest, count])?;
        }
        _ => {
            conn.prepare_cached("DELETE FROM merge_conflicts WHERE entity_kind = ?1 AND entity_id = ?2")?
                .execute(params![KIND, note])?;
        }
    }
    Ok(())
}

/// Flags every note amended more than once (after a rebuild).
pub(crate) fn flag_all(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO merge_conflicts (entity_kind, entity_id, winner, heads, fields)
         SELECT ?1, replaces, max(id), count(*), NULL FROM notes
         WHERE replaces IS NOT NULL GROUP BY replaces HAVING count(*) > 1",
        [KIND],
    )?;
    Ok(())
}
