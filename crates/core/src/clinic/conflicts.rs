//! Records whose newest versions were written concurrently on different devices (`merge`): the
//! newest is shown and the record is flagged here for someone to look at. Each role sees the
//! flags of what it may read.

use super::Clinic;
use crate::policy::{self, Access, Section};
use crate::Result;

/// One flagged record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeConflict {
    /// The record's kind (`patient`, `appointment`, `setting`, …) and id.
    pub kind: String,
    pub id: String,
    /// How many concurrent newest versions it has.
    pub heads: u64,
    /// For a patient: the fields the versions set differently (the newest value is shown).
    pub fields: Vec<String>,
    /// The change whose value is shown.
    pub winner: String,
}

/// The section whose read permission shows a record kind's flags.
fn section_of(kind: &str) -> Section {
    match kind {
        "patient" | "chart_no" => Section::Demographics,
        "appointment" | "encounter" => Section::Appointments,
        "user" | "setting" => Section::Administration,
        "vitals" => Section::Vitals,
        "allergy" => Section::Allergies,
        "problem" => Section::Problems,
        "prescription" => Section::Prescriptions,
        "lab_report" => Section::Results,
        _ => Section::Notes,
    }
}

impl Clinic {
    /// The flagged records this user's role may read.
    pub fn conflicts(&self) -> Result<Vec<MergeConflict>> {
        let role = self.user.role;
        let mut stmt = self.conn()?.prepare(
            "SELECT entity_kind, entity_id, heads, fields, winner FROM merge_conflicts ORDER BY entity_kind, entity_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MergeConflict {
                kind: row.get(0)?,
                id: row.get(1)?,
                heads: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                fields: row
                    .get::<_, Option<String>>(3)?
                    .map(|f| f.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())
                    .unwrap_or_default(),
                winner: row.get(4)?,
            })
        })?;
        let mut visible = Vec::new();
        for conflict in rows {
            let conflict = conflict?;
            if policy::allows(role, section_of(&conflict.kind), Access::Read) {
                visible.push(conflict);
            }
        }
        Ok(visible)
    }
}
