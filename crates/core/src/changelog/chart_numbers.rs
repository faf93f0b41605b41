//! Two devices, both offline, can give two new patients the same chart number (each takes the
//! next free number it knows of). Neither registration may be refused — that would stop every
//! device's sync — and every replica must show the same. The rule, a function of the patients in
//! state: among the patients given one number, the one with the smallest id shows it; the others
//! show it with their id appended (`000061#…`, visibly not a plain number), and the number is
//! flagged (`chart_no` in `merge_conflicts`) until someone gives one of them a new number.

use rusqlite::{params, Connection};

use crate::Result;

pub const KIND: &str = "chart_no";

/// What a patient shows while the number is settled: unique, never a plain number.
pub(crate) fn provisional(chart_no: &str, id: &str) -> String {
    format!("{chart_no}#{id}")
}

/// Gives `chart_no` to the smallest-id patient given it, the suffixed form to the others, and
/// flags or clears the number.
pub(crate) fn settle(conn: &Connection, chart_no: &str) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM patients WHERE json_extract(body, '$.chart_no') = ?1 ORDER BY id")?
        .query_map([chart_no], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let Some(first) = ids.first() else {
        return clear(conn, chart_no);
    };
    let mut show = conn.prepare_cached("UPDATE patients SET chart_no = ?1 WHERE id = ?2")?;
    for id in &ids[1..] {
        show.execute(params![provisional(chart_no, id), id])?;
    }
    show.execute(params![chart_no, first])?;
    if ids.len() > 1 {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO merge_conflicts (entity_kind, entity_id, winner, heads, fields)
             VALUES (?1, ?2, ?3, ?4, NULL)",
        )?
        .execute(params![KIND, chart_no, first, ids.len() as i64])?;
        Ok(())
    } else {
        clear(conn, chart_no)
    }
}

fn clear(conn: &Connection, chart_no: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM merge_conflicts WHERE entity_kind = ?1 AND entity_id = ?2")?
        .execute(params![KIND, chart_no])?;
    Ok(())
}
