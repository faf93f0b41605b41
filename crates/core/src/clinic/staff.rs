//! Staff as a chart names them. Records keep the login of whoever wrote, signed, prescribed or
//! opened a visit (it is part of the signed record); a chart also carries the display names of
//! exactly those people, so a reader learns no colleague's name the records do not already show.
//! The front desk, to name the clinician in charge of an appointment, gets the doctors' and
//! nurses' logins and roles only.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use super::Clinic;
use crate::domain::{Clinician, Role};
use crate::policy::{self, Access, Section};
use crate::Result;

impl Clinic {
    /// The clinic's enabled doctors and nurses (the roles that hold the clinical key), doctors
    /// first, by login and role only: whom an appointment may name as the clinician in charge.
    /// For whoever may read appointments.
    pub fn clinicians(&mut self) -> Result<Vec<Clinician>> {
        self.authorize(Section::Appointments, Access::Read, None)?;
        self.refresh_membership()?;
        let mut clinicians: Vec<Clinician> = self
            .keys()?
            .membership
            .members()
            .filter(|m| !m.disabled && policy::holds_clinical_key(m.role))
            .map(|m| Clinician { name: m.name.clone(), role: m.role })
            .collect();
        clinicians.sort_by_key(|c| (c.role != Role::Doctor, c.name.clone()));
        Ok(clinicians)
    }
}

/// Display name by login for each of `logins` that is a user of this clinic.
pub(super) fn display_names<'a>(
    conn: &Connection,
    logins: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare_cached("SELECT display_name FROM users WHERE name = ?1")?;
    let mut names = BTreeMap::new();
    for login in logins {
        if names.contains_key(login) {
            continue;
        }
        if let Some(display) = stmt.query_row([login], |row| row.get::<_, String>(0)).optional()? {
            names.insert(login.to_string(), display);
        }
    }
    Ok(names)
}
