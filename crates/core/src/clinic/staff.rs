//! Staff as a chart names them. Records keep the login of whoever wrote, signed, prescribed or
//! opened a visit (it is part of the signed record); a chart also carries the display names of
//! exactly those people, so a reader learns no colleague's name the records do not already show.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use crate::Result;

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
