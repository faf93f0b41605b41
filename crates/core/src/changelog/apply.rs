//! How a change becomes state: each variant upserts its record into its state table.

use rusqlite::{params, Connection};

use super::change::ChangeBody;
use crate::domain::kana::{fold_for_search, nfkc_compact};
use crate::domain::Patient;
use crate::Result;

pub fn apply(conn: &Connection, body: &ChangeBody) -> Result<()> {
    match body {
        ChangeBody::UserAdded(u) | ChangeBody::UserUpdated(u) => {
            conn.prepare_cached(
                "INSERT INTO users (name, display_name, role, disabled) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                     disabled = excluded.disabled",
            )?
            .execute(params![u.name, u.display_name, u.role.as_str(), u.disabled])?;
        }
        ChangeBody::PatientRegistered(p) | ChangeBody::PatientUpdated(p) => put_patient(conn, p)?,
        ChangeBody::EncounterOpened(e) => {
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
        ChangeBody::NoteDrafted(n) | ChangeBody::NoteSigned(n) | ChangeBody::NoteAmended(n) => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO notes (id, patient_id, encounter_id, status, replaces, written_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                n.id.to_string(),
                n.patient_id.to_string(),
                n.encounter_id.to_string(),
                n.status.as_str(),
                n.replaces.map(|r| r.to_string()),
                n.written_at.to_rfc3339(),
                json(n)?
            ])?;
        }
        ChangeBody::VitalsRecorded(v) => {
            put_timed(conn, "vitals", "measured_at", v.id, v.patient_id, &v.measured_at.to_rfc3339(), &json(v)?)?
        }
        ChangeBody::PrescriptionIssued(p) => put_timed(
            conn,
            "prescriptions",
            "prescribed_at",
            p.id,
            p.patient_id,
            &p.prescribed_at.to_rfc3339(),
            &json(p)?,
        )?,
        ChangeBody::LabReported(l) => {
            put_timed(conn, "lab_reports", "collected_at", l.id, l.patient_id, &l.collected_at.to_rfc3339(), &json(l)?)?
        }
        ChangeBody::AppointmentSaved(a) => put_timed(
            conn,
            "appointments",
            "scheduled_at",
            a.id,
            a.patient_id,
            &a.scheduled_at.to_rfc3339(),
            &json(a)?,
        )?,
        ChangeBody::SettingChanged { key, value } => {
            conn.prepare_cached("INSERT OR REPLACE INTO clinic_settings (key, value) VALUES (?1, ?2)")?
                .execute(params![key, value])?;
        }
        ChangeBody::AllergyRecorded(a) => put_untimed(conn, "allergies", a.id, a.patient_id, &json(a)?)?,
        ChangeBody::ProblemRecorded(p) => put_untimed(conn, "problems", p.id, p.patient_id, &json(p)?)?,
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| crate::Error::InvalidState("a record could not be encoded"))
}

fn put_timed(
    conn: &Connection,
    table: &str,
    time_column: &str,
    id: uuid::Uuid,
    patient: uuid::Uuid,
    time: &str,
    body: &str,
) -> Result<()> {
    let sql = format!("INSERT OR REPLACE INTO {table} (id, patient_id, {time_column}, body) VALUES (?1, ?2, ?3, ?4)");
    conn.prepare_cached(&sql)?.execute(params![id.to_string(), patient.to_string(), time, body])?;
    Ok(())
}

fn put_untimed(conn: &Connection, table: &str, id: uuid::Uuid, patient: uuid::Uuid, body: &str) -> Result<()> {
    let sql = format!("INSERT OR REPLACE INTO {table} (id, patient_id, body) VALUES (?1, ?2, ?3)");
    conn.prepare_cached(&sql)?.execute(params![id.to_string(), patient.to_string(), body])?;
    Ok(())
}

/// Puts the patient row and refreshes its search entries.
fn put_patient(conn: &Connection, p: &Patient) -> Result<()> {
    let rowid: i64 = conn
        .prepare_cached(
            "INSERT INTO patients (id, chart_no, birth_date, sort_kana, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET chart_no = excluded.chart_no, birth_date = excluded.birth_date,
                 sort_kana = excluded.sort_kana, body = excluded.body
             RETURNING rowid",
        )?
        .query_row(
            params![p.id.to_string(), p.chart_no, p.birth_date.to_string(), fold_for_search(&p.full_kana()), json(p)?],
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
