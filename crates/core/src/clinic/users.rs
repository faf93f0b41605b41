//! User administration (admin only): change a role, disable or enable an account. Each is a
//! link the administrator signs into the membership chain, committed with its change-log entry.
//! Disabling also removes the user's key-file entry and rotates the database key (`rekey.rs`).
//! Users are never deleted — the audit log names them. The clinic always keeps one enabled admin.

use super::{section_keys, Clinic};
use crate::audit::NewEvent;
use crate::chain::Statement;
use crate::changelog::OpenBody;
use crate::domain::validation::{Field, Problem};
use crate::domain::{Role, User};
use crate::policy::{self, Access, Section};
use crate::vault::KeyFile;
use crate::{Error, Result};

impl Clinic {
    /// Every user of this clinic, by login name, as the signed membership chain has them.
    pub fn users(&mut self) -> Result<Vec<User>> {
        self.authorize(Section::Administration, Access::Read, None)?;
        self.refresh_membership()?;
        Ok(self.keys()?.membership.members().map(|m| m.user()).collect())
    }

    pub fn change_role(&mut self, user_name: &str, role: Role) -> Result<User> {
        self.update_user(user_name, |u| u.role = role)
    }

    /// Disables a user (their key-file entry goes and the database key is rotated), or records
    /// that they are enabled again ([`Clinic::enable_user`] also invites them back).
    pub fn set_user_disabled(&mut self, user_name: &str, disabled: bool) -> Result<User> {
        self.update_user(user_name, |u| u.disabled = disabled)
    }

    fn update_user(&mut self, user_name: &str, change: impl FnOnce(&mut User)) -> Result<User> {
        self.authorize(Section::Administration, Access::Write, None)?;
        self.refresh_membership()?;
        let before = self.stored_user(user_name)?;
        let mut user = before.clone();
        change(&mut user);
        let membership = &self.keys()?.membership;
        let other_admins = membership.members().filter(|m| m.name != user_name && m.role == Role::Admin && !m.disabled);
        if other_admins.count() == 0 && (user.role != Role::Admin || user.disabled) {
            return Err(Error::invalid(Field::User, Problem::LastAdmin));
        }
        // A user who is disabled or leaves the clinical roles loses the clinical key at once; the
        // signed link makes the next clinical session seal new content under a new epoch.
        let holds = |u: &User| !u.disabled && policy::holds_clinical_key(u.role);
        let loses_key = holds(&before) && !holds(&user);
        if loses_key && section_keys::is_last_holder(self.conn()?, membership, user_name)? {
            return Err(Error::invalid(Field::User, Problem::LastKeyHolder));
        }
        // Disabling is cryptographic, and done first: her entry goes and the database key changes
        // before the link says she is disabled, so no interruption leaves her key working behind
        // a signed "disabled". Disabling again redoes it if her entry is still here.
        if user.disabled {
            let has_entry = KeyFile::load(&self.dir.key_file())?.users.iter().any(|u| u.user == user.name);
            if !before.disabled || has_entry {
                self.rotate_database_key(&user.name)?;
            }
        }
        if user == before {
            if user.disabled {
                self.mark_pending_disable(&user.name, false)?;
            }
            return Ok(user);
        }
        let statement = if user.role != before.role {
            Statement::SetRole { user: user.name.clone(), role: user.role }
        } else {
            Statement::SetDisabled { user: user.name.clone(), disabled: user.disabled }
        };
        let next = self.next_link(statement)?;
        let name = user.name.clone();
        self.commit_one_then(OpenBody::UserUpdated(user.clone()), |tx| {
            next.store(tx)?;
            let withdrawn = loses_key && section_keys::drop_wraps(tx, &name)?;
            let event = NewEvent::admin(format!("withdrew the clinical key from {name}"));
            Ok(((), if withdrawn { vec![event] } else { Vec::new() }))
        })?;
        self.adopt(next);
        if user.name == self.user.name {
            self.user = user.clone();
        }
        if user.disabled {
            // Signed: the disable this administrator began is done.
            self.mark_pending_disable(&user.name, false)?;
        }
        Ok(user)
    }

    fn stored_user(&self, name: &str) -> Result<User> {
        let member = self.keys()?.membership.member(name);
        member.map(|m| m.user()).ok_or_else(|| Error::NotFound { what: "user", id: name.to_string() })
    }
}
