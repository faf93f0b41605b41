//! How changes from several devices become one state, whatever order they arrive in.
//!
//! Each change names the changes of the same record it replaces (every newest version its writer
//! held). A record's *heads* are its changes that no other change of that record replaces; its
//! state is the newest head by (stamp, device, change id). One head is the normal case; two or
//! more are concurrent writes: the newest wins and the record is flagged in `merge_conflicts`
//! for review, the others stay in the log. A patient's heads are merged field by field instead
//! (`field_merge`), flagged only for fields two heads changed to different values. All of it is a
//! function of the set of changes, so any two replicas holding the same changes hold the same state.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::apply::apply;
use super::change::{Change, OpenBody};
use super::field_merge::{self, FieldHead};
use super::record::AuthorKeys;
use super::sealed::LoggedBody;
use super::signed::SignedChange;
use crate::domain::Patient;
use crate::policy::{self, Access, Section};
use crate::{Error, Result};

/// The one kind merged field by field; others merge whole (their fields may hold invariants together).
const PATIENT: &str = "patient";

/// A signed change whose author's signature has been checked against the verified chain.
pub struct VerifiedChange(SignedChange);

impl VerifiedChange {
    /// Checks the author's signature and that the role the chain gave the author at the link the
    /// change names may write what the change writes (a change naming a link this replica lacks
    /// waits: [`Error::ChangeAwaitsChain`]). Clinical records are checked again, with their own signature and
    /// the record's section, when a clinician opens them.
    pub fn check(change: SignedChange, authors: &dyn AuthorKeys) -> Result<Self> {
        change.verify(authors)?;
        if authors.chain_head().is_some_and(|head| change.chain_seq() > head) {
            return Err(Error::ChangeAwaitsChain { id: change.id().to_string() });
        }
        // Judged by the author's standing at the link the change names, not by its clock.
        if !may_write(authors, change.author(), change.chain_seq(), change.body()) {
            return Err(Error::ChangeNotVerified { id: change.id().to_string() });
        }
        Ok(Self(change))
    }

    pub fn signed(&self) -> &SignedChange {
        &self.0
    }
}

/// Whether the role the chain gave `author` at link `chain_seq` may write `body`: the rule every
/// replica applies to a received change, and a session to its own before it commits one.
pub(crate) fn may_write(authors: &dyn AuthorKeys, author: &str, chain_seq: u64, body: &LoggedBody) -> bool {
    let roles = authors.roles_at(author, chain_seq);
    // The first user's own record (a single-handed clinic's doctor is not an administrator):
    // the clinic root's first link vouches for it.
    let first_users_own = chain_seq == 1
        && matches!(body, LoggedBody::Open(OpenBody::UserAdded(user)) if user.name == author)
        && !roles.is_empty();
    let section = section_written(body);
    first_users_own
        || roles.into_iter().any(|role| match section {
            Some(section) => policy::allows(role, section, Access::Write),
            None => policy::holds_clinical_key(role),
        })
}

/// The section a change writes, for an error message.
pub(crate) fn section_name(body: &LoggedBody) -> &'static str {
    section_written(body).map_or("clinical", Section::as_str)
}

/// The section an open change writes; `None` for a sealed clinical change (any clinical role).
fn section_written(body: &LoggedBody) -> Option<Section> {
    match body {
        LoggedBody::Open(OpenBody::PatientRegistered(_) | OpenBody::PatientUpdated(_)) => Some(Section::Demographics),
        LoggedBody::Open(OpenBody::EncounterOpened(_) | OpenBody::AppointmentSaved(_)) => Some(Section::Appointments),
        LoggedBody::Open(
            OpenBody::UserAdded(_)
            | OpenBody::UserUpdated(_)
            | OpenBody::SettingChanged { .. }
            | OpenBody::AlertAcknowledged { .. },
        ) => Some(Section::Administration),
        LoggedBody::Sealed(_) => None,
    }
}

/// What importing a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// New to this replica: logged, and the record's state recomputed.
    New,
    /// Already held, byte for byte: nothing changed.
    AlreadyHeld,
}

/// The heads `change` must name: every current head of the record it writes.
pub(crate) fn current_heads(conn: &Connection, change: &Change) -> Result<Vec<Uuid>> {
    let (kind, entity) = change.body.entity();
    let mut stmt = conn.prepare_cached(HEADS)?;
    let ids = stmt.query_map(params![kind, entity], |row| row.get::<_, String>(0))?;
    ids.map(|id| Uuid::parse_str(&id?).map_err(|_| Error::InvalidState("a change id in the log is not readable")))
        .collect()
}

/// The record's heads, newest first.
///
/// A change counts as replaced only by a change stamped after it (`forward`): an honest writer
/// stamps its write after every head it replaces (`record_local`), so the relation is acyclic by
/// construction, and a change naming itself, or a cycle of changes naming each other, cannot
/// leave a record without a head on one replica and with one on another.
const HEADS: &str = "SELECT c.id FROM changes c
     WHERE c.entity_kind = ?1 AND c.entity_id = ?2
       AND NOT EXISTS (SELECT 1 FROM change_parents p JOIN changes r ON r.id = p.change_id
                       WHERE p.entity_kind = ?1 AND p.entity_id = ?2 AND p.replaced = c.id
                         AND (r.hlc_wall, r.hlc_counter, r.id) > (c.hlc_wall, c.hlc_counter, c.id))
     ORDER BY c.hlc_wall DESC, c.hlc_counter DESC, c.device DESC, c.id DESC";

/// Logs a verified change and recomputes its record's state. Call inside a transaction. A change
/// already held with the same bytes is a harmless repeat; the same id with other bytes is refused.
pub fn import(conn: &Connection, change: &VerifiedChange) -> Result<Imported> {
    let signed = change.signed();
    let held: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT signed FROM changes WHERE id = ?1")?
        .query_row([signed.id().to_string()], |row| row.get(0))
        .optional()?;
    match held {
        Some(Some(bytes)) if bytes == signed.bytes() => return Ok(Imported::AlreadyHeld),
        Some(_) => return Err(Error::ChangeConflictsWithLog { id: signed.id().to_string() }),
        None => {}
    }
    super::append_signed(conn, signed)?;
    let (kind, entity) = signed.body().entity();
    settle(conn, kind, &entity)?;
    if let Some(note) = super::amendments::amended_by(signed.body()) {
        super::amendments::flag(conn, &note)?;
    }
    Ok(Imported::New)
}

/// Records the change's parents. Call with every change appended to the log.
pub(crate) fn record_parents(conn: &Connection, change: &Change) -> Result<()> {
    let (kind, entity) = change.body.entity();
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO change_parents (entity_kind, entity_id, replaced, change_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for replaced in &change.replaces {
        insert.execute(params![kind, entity, replaced.to_string(), change.id.to_string()])?;
    }
    Ok(())
}

/// Puts the record's newest head (a patient's merged heads) into state and flags or clears its
/// conflict.
pub(crate) fn settle(conn: &Connection, kind: &str, entity: &str) -> Result<()> {
    let heads: Vec<String> = conn
        .prepare_cached(HEADS)?
        .query_map(params![kind, entity], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let Some(winner) = heads.first() else {
        return Ok(());
    };
    if kind == PATIENT && heads.len() > 1 {
        return settle_patient(conn, entity, &heads);
    }
    apply(conn, &logged_body(conn, winner)?)?;
    flag(conn, kind, entity, &heads, None)
}

/// Merges a patient's heads (newest first) field by field, puts the result into state the way
/// any patient change is put, and flags the fields in conflict, if any.
fn settle_patient(conn: &Connection, entity: &str, heads: &[String]) -> Result<()> {
    let merging = heads
        .iter()
        .map(|id| Ok(FieldHead { record: patient_json(conn, id)?, parent: parent_json(conn, entity, id)? }))
        .collect::<Result<Vec<_>>>()?;
    let Some((patient, fields, fell_back)) = field_merge::merge_as::<Patient>(&merging) else {
        return Err(Error::InvalidState("a patient's newest change does not hold a patient"));
    };
    if fell_back {
        let patient = Uuid::parse_str(entity).ok();
        crate::log_safe!(warn, "patient heads not merged by field", patient = patient, heads = heads.len());
    }
    apply(conn, &LoggedBody::Open(OpenBody::PatientUpdated(patient)))?;
    flag(conn, PATIENT, entity, heads, (!fields.is_empty()).then(|| fields.join(",")).as_deref())
}

/// One newest version of a patient written concurrently with another: which change, who wrote
/// it on which device and when (its clock stamp, ms), and the patient it puts as JSON.
pub(crate) struct PatientHead {
    pub id: String,
    pub author: String,
    pub device: String,
    pub wall_ms: i64,
    pub patient: serde_json::Value,
}

/// The patient's heads, newest first (one when nothing is in conflict).
pub(crate) fn patient_heads(conn: &Connection, entity: &str) -> Result<Vec<PatientHead>> {
    let heads: Vec<String> = conn
        .prepare_cached(HEADS)?
        .query_map(params![PATIENT, entity], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    heads
        .into_iter()
        .map(|id| {
            let (author, device, wall_ms): (String, String, i64) = conn
                .prepare_cached("SELECT author, device, hlc_wall FROM changes WHERE id = ?1")?
                .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
            let patient = patient_json(conn, &id)?;
            Ok(PatientHead { id, author, device, wall_ms, patient })
        })
        .collect()
}

/// The patient a logged change puts, as JSON.
fn patient_json(conn: &Connection, id: &str) -> Result<serde_json::Value> {
    match logged_body(conn, id)? {
        LoggedBody::Open(OpenBody::PatientRegistered(p) | OpenBody::PatientUpdated(p)) => {
            serde_json::to_value(p).map_err(|_| Error::InvalidState("a patient could not be encoded"))
        }
        _ => Err(Error::InvalidState("a patient's change does not put a patient")),
    }
}

/// The patient of the newest change `id` replaces, as JSON; `None` if it replaces none or one not
/// in the log yet (then every field of `id` counts as changed).
fn parent_json(conn: &Connection, entity: &str, id: &str) -> Result<Option<serde_json::Value>> {
    let replaced: Vec<Option<String>> = conn
        .prepare_cached(
            "SELECT c.id FROM change_parents p
             LEFT JOIN changes c ON c.id = p.replaced AND c.entity_kind = p.entity_kind AND c.entity_id = p.entity_id
             WHERE p.entity_kind = 'patient' AND p.entity_id = ?1 AND p.change_id = ?2
             ORDER BY c.hlc_wall DESC, c.hlc_counter DESC, c.device DESC, c.id DESC",
        )?
        .query_map(params![entity, id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match replaced.into_iter().collect::<Option<Vec<String>>>().as_deref() {
        Some([newest, ..]) => patient_json(conn, newest).map(Some),
        _ => Ok(None),
    }
}

/// Flags a record with several heads (newest first) beside the newest, or clears its flag. A
/// patient is flagged only with the `fields` in conflict (comma-separated); other kinds without.
fn flag(conn: &Connection, kind: &str, entity: &str, heads: &[String], fields: Option<&str>) -> Result<()> {
    let flagged = heads.len() > 1 && (kind != PATIENT || fields.is_some());
    match heads.first() {
        Some(winner) if flagged => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO merge_conflicts (entity_kind, entity_id, winner, heads, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kind, entity, winner, i64::try_from(heads.len()).unwrap_or(i64::MAX), fields])?,
        _ => conn
            .prepare_cached("DELETE FROM merge_conflicts WHERE entity_kind = ?1 AND entity_id = ?2")?
            .execute(params![kind, entity])?,
    };
    Ok(())
}

/// A logged change's body, as replay reads it.
fn logged_body(conn: &Connection, id: &str) -> Result<LoggedBody> {
    let (body, sealed): (String, Option<Vec<u8>>) = conn
        .prepare_cached("SELECT body, sealed FROM changes WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    super::read_logged(id.to_owned(), &body, sealed)
}

/// Recomputes every record's state from the log: each record's newest head (a patient's merged
/// heads). Call inside a transaction, after clearing the state tables. Returns how many records
/// were put.
pub(crate) fn settle_all(conn: &Connection, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
    let total: i64 =
        conn.query_row("SELECT count(*) FROM (SELECT DISTINCT entity_kind, entity_id FROM changes)", [], |r| r.get(0))?;
    let total = u64::try_from(total).unwrap_or(0);
    progress(0, total);
    let mut stmt = conn.prepare(
        "SELECT c.id, c.entity_kind, c.entity_id, c.body, c.sealed FROM changes c
         WHERE NOT EXISTS (SELECT 1 FROM change_parents p JOIN changes r ON r.id = p.change_id
                           WHERE p.entity_kind = c.entity_kind AND p.entity_id = c.entity_id AND p.replaced = c.id
                             AND (r.hlc_wall, r.hlc_counter, r.id) > (c.hlc_wall, c.hlc_counter, c.id))
         ORDER BY c.entity_kind, c.entity_id, c.hlc_wall DESC, c.hlc_counter DESC, c.device DESC, c.id DESC",
    )?;
    let mut rows = stmt.query([])?;
    // The record being read: kind, id and its heads' ids, newest first.
    let mut current: Option<(String, String, Vec<String>)> = None;
    let mut settled = 0;
    let mut finish = |current: Option<(String, String, Vec<String>)>, settled: &mut u64| -> Result<()> {
        if let Some((kind, entity, heads)) = current {
            if kind == PATIENT && heads.len() > 1 {
                settle_patient(conn, &entity, &heads)?;
            } else {
                flag(conn, &kind, &entity, &heads, None)?;
            }
            *settled += 1;
            progress(*settled, total);
        }
        Ok(())
    };
    while let Some(row) = rows.next()? {
        let (id, kind, entity): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        match &mut current {
            Some((k, e, heads)) if *k == kind && *e == entity => heads.push(id),
            _ => {
                finish(current.take(), &mut settled)?;
                // The newest head goes into state now; a patient with more is merged in `finish`.
                let body = super::read_logged(id.clone(), &row.get::<_, String>(3)?, row.get(4)?)?;
                apply(conn, &body)?;
                current = Some((kind, entity, vec![id]));
            }
        }
    }
    finish(current, &mut settled)?;
    super::amendments::flag_all(conn)?;
    Ok(settled)
}
