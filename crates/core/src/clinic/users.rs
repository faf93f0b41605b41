//! User administration (admin only): change a role, disable or enable an account. Users are
//! never deleted — the audit log names them. The clinic always keeps one enabled admin.

use super::{section_keys, Clinic};
use crate::audit::NewEvent;
use crate::changelog::OpenBody;
use crate::domain::validation::{Field, Problem};
use crate::domain::{Role, User};
use crate::policy::{self, Access, Section};
use crate::{Error, Result};

impl Clinic {
    /// Every user of this clinic, by login name.
    pub fn users(&mut self) -> Result<Vec<User>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        let mut stmt = self.conn()?.prepare("SELECT name FROM users ORDER BY name")?;
        let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        names.iter().map(|n| self.stored_user(n)).collect()
    }

    pub fn change_role(&mut self, user_name: &str, role: Role) -> Result<User> {
        self.update_user(user_name, |u| u.role = role)
    }

    pub fn set_user_disabled(&mut self, user_name: &str, disabled: bool) -> Result<User> {
        self.update_user(user_name, |u| u.disabled = disabled)
    }

    fn update_user(&mut self, user_name: &str, change: impl FnOnce(&mut User)) -> Result<User> {
        self.authorize(Section::Administration, Access::Write, None)?;
        let before = self.stored_user(user_name)?;
        let mut user = before.clone();
        change(&mut user);
        let other_admins: i64 = self.conn()?.query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND name <> ?1",
            [user_name],
            |r| r.get(0),
        )?;
        if other_admins == 0 && (user.role != Role::Admin || user.disabled) {
            return Err(Error::invalid(Field::User, Problem::LastAdmin));
        }
        // A user who is disabled or leaves the clinical roles loses the clinical key at once; the
        // next clinical login seals new content under a new epoch. A user who held it before (even
        // if their wraps are already gone) knew the current key, so their leaving starts one too.
        let holds = |u: &User| !u.disabled && policy::holds_clinical_key(u.role);
        let loses_key = holds(&before) && !holds(&user);
        if loses_key && section_keys::is_last_holder(self.conn()?, user_name)? {
            return Err(Error::invalid(Field::User, Problem::LastKeyHolder));
        }
        let now = self.now();
        let name = user.name.clone();
        self.commit_one_then(OpenBody::UserUpdated(user.clone()), |tx| {
            let withdrawn = loses_key && section_keys::revoke(tx, &name, now)?;
            let event = NewEvent::admin(format!("withdrew the clinical key from {name}"));
            Ok(((), if withdrawn { vec![event] } else { Vec::new() }))
        })?;
        if user.name == self.user.name {
            self.user = user.clone();
        }
        Ok(user)
    }

    fn stored_user(&self, name: &str) -> Result<User> {
        super::setup::load_user(&self.keys()?.store, name)
            .map_err(|_| Error::NotFound { what: "user", id: name.to_string() })
    }
}
