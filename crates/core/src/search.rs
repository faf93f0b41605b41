//! Patient search at the front desk: chart number, kanji name, kana reading (hiragana, katakana,
//! half-width all fold together), phone and birth date (western or 和暦).
//!
//! Queries of one or two characters (山田, 佐藤, やま) use prefix ranges over the normalized name
//! keys, because FTS5's trigram index answers nothing under three characters. Longer queries add
//! substring matches from the trigram index. An exact chart number (leading zeros optional:
//! 12 finds 000012) always ranks first.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::domain::dates::parse_date;
use crate::domain::kana::{fold_for_search, is_kana_query, nfkc_compact};
use crate::domain::validation::{Field, Problem};
use crate::domain::{Patient, Sex};
use crate::{Error, Result};

pub const DEFAULT_LIMIT: usize = 50;
const MAX_QUERY_CHARS: usize = 60;
/// How many prefix candidates to consider before ranking; a one-character query can match many.
const CANDIDATES_PER_RESULT: usize = 20;

/// What a search result shows: enough to tell patients apart at the desk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct PatientSummary {
    pub id: Uuid,
    pub chart_no: String,
    pub name: String,
    pub kana: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
}

impl From<Patient> for PatientSummary {
    fn from(p: Patient) -> Self {
        Self {
            id: p.id,
            chart_no: p.chart_no.clone(),
            name: p.full_name(),
            kana: p.full_kana(),
            sex: p.sex,
            birth_date: p.birth_date,
            phone: p.phone,
        }
    }
}

/// How well a patient matched; lower is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    ChartNumber = 0,
    Exact = 1,
    /// The reading starts with the query: a family name, as the desk types it.
    Prefix = 2,
    /// Only another part (the given name) starts with the query.
    OtherPrefix = 3,
    Substring = 4,
}

struct Candidate {
    rank: Rank,
    sort_kana: String,
    chart_no: String,
}

pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<PatientSummary>> {
    let compact = nfkc_compact(query);
    if compact.is_empty() {
        return Err(Error::invalid(Field::Search, Problem::EmptySearch));
    }
    if compact.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid(Field::Search, Problem::TooLong { max: MAX_QUERY_CHARS }));
    }
    if compact.chars().any(char::is_control) {
        return Err(Error::invalid(Field::Search, Problem::ControlCharacter));
    }
    let folded = fold_for_search(query);
    let digits: String = compact.chars().filter(|c| *c != '-').collect();
    let is_number = digits.chars().all(|c| c.is_ascii_digit());
    let cap = i64::try_from(limit.max(1) * CANDIDATES_PER_RESULT).unwrap_or(i64::MAX);

    let mut found: HashMap<i64, Candidate> = HashMap::new();
    let mut add = |rows: Vec<(i64, String, String)>, rank: Rank| {
        for (rowid, sort_kana, chart_no) in rows {
            let entry = found.entry(rowid).or_insert(Candidate { rank, sort_kana, chart_no });
            entry.rank = entry.rank.min(rank);
        }
    };

    add(
        collect(
            conn,
            "SELECT rowid, sort_kana, chart_no FROM patients WHERE chart_no = ?1 OR ltrim(chart_no, '0') = ltrim(?1, '0')",
            params![compact],
        )?,
        Rank::ChartNumber,
    );
    if let Some(date) = parse_date(&compact) {
        add(
            collect(
                conn,
                "SELECT rowid, sort_kana, chart_no FROM patients WHERE birth_date = ?1 LIMIT ?2",
                params![date.to_string(), cap],
            )?,
            Rank::Exact,
        );
    }
    if is_number {
        if digits.chars().count() >= 3 {
            add(fts(conn, "phone", &digits, cap)?, Rank::Substring);
        }
    } else {
        let upper = format!("{folded}\u{10FFFF}");
        let mut stmt = conn.prepare_cached(
            "SELECT k.key, k.patient_rowid, p.sort_kana, p.chart_no
             FROM patient_name_keys k JOIN patients p ON p.rowid = k.patient_rowid
             WHERE k.key >= ?1 AND k.key < ?2 LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![folded, upper, cap])?;
        let kana_query = is_kana_query(&folded);
        let (mut exact, mut prefix, mut other) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            let hit: (i64, String, String) = (row.get(1)?, row.get(2)?, row.get(3)?);
            if key == folded {
                exact.push(hit)
            } else if kana_query && !hit.1.starts_with(&folded) {
                other.push(hit)
            } else {
                prefix.push(hit)
            }
        }
        add(exact, Rank::Exact);
        add(prefix, Rank::Prefix);
        add(other, Rank::OtherPrefix);
        if folded.chars().count() >= 3 {
            add(fts(conn, "{name kana}", &folded, cap)?, Rank::Substring);
        }
    }

    let mut ranked: Vec<(i64, Candidate)> = found.into_iter().collect();
    ranked.sort_by(|(_, a), (_, b)| (a.rank, &a.sort_kana, &a.chart_no).cmp(&(b.rank, &b.sort_kana, &b.chart_no)));
    ranked.truncate(limit);

    let mut body_stmt = conn.prepare_cached("SELECT body FROM patients WHERE rowid = ?1")?;
    ranked
        .into_iter()
        .map(|(rowid, _)| {
            let body: String = body_stmt.query_row([rowid], |row| row.get(0))?;
            let patient: Patient = serde_json::from_str(&body)
                .map_err(|_| Error::InvalidState("a stored patient record is unreadable"))?;
            Ok(PatientSummary::from(patient))
        })
        .collect()
}

fn collect(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Substring match through the trigram index; `columns` is an FTS5 column filter.
fn fts(conn: &Connection, columns: &str, text: &str, cap: i64) -> Result<Vec<(i64, String, String)>> {
    let phrase = format!("{columns} : \"{}\"", text.replace('"', "\"\""));
    collect(
        conn,
        "SELECT f.rowid, p.sort_kana, p.chart_no FROM patient_fts f JOIN patients p ON p.rowid = f.rowid
         WHERE patient_fts MATCH ?1 LIMIT ?2",
        params![phrase, cap],
    )
}
