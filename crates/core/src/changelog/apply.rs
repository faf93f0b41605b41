//! How a change becomes state: each variant upserts its record into its state table. Clinical
//! records arrive sealed and are stored sealed, next to their plaintext index columns.

use rusqlite::{params, Connection, OptionalExtension};

use super::change::OpenBody;
use super::sealed::{ClinicalKind, LoggedBody, SealedBody};
use crate::domain::kana::{fold_for_search, nfkc_compact};
use crate::domain::Patient;
use crate::Result;

pub fn apply(conn: &Connection, body: &LoggedBody) -> Result<()> {
    match body {
        LoggedBody::Open(body) => apply_open(conn, body),
        LoggedBody::Sealed(body) => apply_sealed(conn, body),
    }
}

fn apply_open(conn: &Connection, body: &OpenBody) -> Result<()> {
    match body {
        OpenBody::UserAdded(u) | OpenBody::UserUpdated(u) => {
            conn.prepare_cached(
                "INSERT INTO users (name, display_name, role, disabled) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                     disabled = excluded.disabled",
            )?
            .execute(params![u.name, u.display_name, u.role.as_str(), u.disabled])?;
        }
        OpenBody::PatientRegistered(p) | OpenBody::PatientUpdated(p) => put_patient(conn, p)?,
        OpenBody::EncounterOpened(e) => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO encounters (id, patient_id, started_at, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                e.id.to_string(),
                e.patient_id.to_string(),
                e.started_at.to_rfc3339(),
                json(e)?
            ])?;
        }
        OpenBody::AppointmentSaved(a) => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO appointments (id, patient_id, scheduled_at, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                a.id.to_string(),
                a.patient_id.to_string(),
                a.scheduled_at.to_rfc3339(),
                json(a)?
            ])?;
        }
        OpenBody::SettingChanged { key, value } => {
            conn.prepare_cached("INSERT OR REPLACE INTO clinic_settings (key, value) VALUES (?1, ?2)")?
                .execute(params![key, value])?;
        }
        // Read from the log itself, signature checked, by `clinic::alerts`: no state table.
        OpenBody::AlertAcknowledged { .. } => {}
    }
    Ok(())
}

/// Puts the sealed record into its state table beside its plaintext index columns.
fn apply_sealed(conn: &Connection, body: &SealedBody) -> Result<()> {
    let (index, record) = (body.index(), body.record());
    let id = index.id.to_string();
    let patient = index.patient_id.to_string();
    let kind = index.op.kind();
    let at = index.at.map(|at| at.to_rfc3339());
    match (kind, kind.time_column(), at) {
        (ClinicalKind::Note, _, Some(at)) => {
            let (Some(encounter), Some(status)) = (index.encounter_id, index.status) else {
                return Err(crate::Error::InvalidState("a sealed note change lacks its encounter or status"));
            };
            conn.prepare_cached(
                "INSERT OR REPLACE INTO notes (id, patient_id, encounter_id, status, replaces, written_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                patient,
                encounter.to_string(),
                status.as_str(),
                index.replaces.map(|r| r.to_string()),
                at,
                record
            ])?;
        }
        (_, Some(time_column), Some(at)) => {
            let sql = format!(
                "INSERT OR REPLACE INTO {} (id, patient_id, {time_column}, body) VALUES (?1, ?2, ?3, ?4)",
                kind.table()
            );
            conn.prepare_cached(&sql)?.execute(params![id, patient, at, record])?;
        }
        (_, None, _) => {
            let sql = format!("INSERT OR REPLACE INTO {} (id, patient_id, body) VALUES (?1, ?2, ?3)", kind.table());
            conn.prepare_cached(&sql)?.execute(params![id, patient, record])?;
        }
        (_, Some(_), None) => return Err(crate::Error::InvalidState("a sealed clinical change lacks its time")),
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| crate::Error::InvalidState("a record could not be encoded"))
}

/// Puts the patient row and refreshes its search entries.
fn put_patient(conn: &Connection, p: &Patient) -> Result<()> {
    let id = p.id.to_string();
    let given_before: Option<String> = conn
        .prepare_cached("SELECT json_extract(body, '$.chart_no') FROM patients WHERE id = ?1")?
        .query_row([&id], |row| row.get(0))
        .optional()?
        .flatten();
    // Put with a number no other patient shows, then settle who shows the number it was given.
    let rowid: i64 = conn
        .prepare_cached(
            "INSERT INTO patients (id, chart_no, birth_date, sort_kana, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET chart_no = excluded.chart_no, birth_date = excluded.birth_date,
                 sort_kana = excluded.sort_kana, body = excluded.body
             RETURNING rowid",
        )?
        .query_row(
            params![
                id,
                super::chart_numbers::provisional(&p.chart_no, &id),
                p.birth_date.to_string(),
                fold_for_search(&p.full_kana()),
                json(p)?
            ],
            |row| row.get(0),
        )?;

    conn.prepare_cached("DELETE FROM patient_name_keys WHERE patient_rowid = ?1")?.execute([rowid])?;
    let mut insert_key =
        conn.prepare_cached("INSERT OR IGNORE INTO patient_name_keys (key, patient_rowid) VALUES (?1, ?2)")?;
    for key in name_keys(p) {
        insert_key.execute(params![key, rowid])?;
    }

    conn.prepare_cached("DELETE FROM patient_fts WHERE rowid = ?1")?.execute([rowid])?;
    let phone_digits: String = p.phone.as_deref().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    conn.prepare_cached("INSERT INTO patient_fts (rowid, name, kana, phone) VALUES (?1, ?2, ?3, ?4)")?.execute(
        params![
            rowid,
            nfkc_compact(&format!("{}{}", p.family_name, p.given_name)),
            fold_for_search(&format!("{}{}", p.family_kana, p.given_kana)),
            phone_digits
        ],
    )?;
    super::chart_numbers::settle(conn, &p.chart_no)?;
    if let Some(before) = given_before.filter(|before| *before != p.chart_no) {
        super::chart_numbers::settle(conn, &before)?;
    }
    Ok(())
}

/// Search keys for prefix lookups: family, given and full name, each as written and as reading.
fn name_keys(p: &Patient) -> [String; 6] {
    [
        fold_for_search(&p.family_name),
        fold_for_search(&p.given_name),
        fold_for_search(&format!("{}{}", p.family_name, p.given_name)),
        fold_for_search(&p.family_kana),
        fold_for_search(&p.given_kana),
        fold_for_search(&format!("{}{}", p.family_kana, p.given_kana)),
    ]
}
