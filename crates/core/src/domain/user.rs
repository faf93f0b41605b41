//! Clinic staff who log in on this device.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::validation::{invalid, required_text, Check, Checker, Field, Problem, Valid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reception,
    Nurse,
    Doctor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reception, Role::Nurse, Role::Doctor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reception => "reception",
            Role::Nurse => "nurse",
            Role::Doctor => "doctor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Check<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim().to_lowercase())
            .map_or_else(|| invalid(Field::Role, Problem::UnknownRole), Ok)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct User {
    /// Login name: lower-case letters, digits, '.', '_' or '-'.
    pub name: String,
    pub display_name: String,
    pub role: Role,
    /// A disabled user cannot log in; their history stays.
    #[serde(default)]
    pub disabled: bool,
}

/// A doctor or nurse as the front desk may name them for an appointment: the login and the role,
/// nothing else of the member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Clinician {
    pub name: String,
    pub role: Role,
}

impl User {
    /// Validates a new user's names, reporting both at once when both are wrong.
    pub fn build(name: &str, display_name: &str, role: Role) -> Valid<Self> {
        let mut checks = Checker::new();
        let name = checks.take(user_name(name));
        let display_name = checks.take(required_text(Field::DisplayName, display_name, 40));
        let (Some(name), Some(display_name)) = (name, display_name) else {
            return checks.failed();
        };
        Ok(Self { name, display_name, role, disabled: false })
    }
}

/// A login name: 2 to 32 lower-case letters, digits, '.', '_' or '-'.
fn user_name(text: &str) -> Check<String> {
    const MIN: usize = 2;
    const MAX: usize = 32;
    let name = text.trim().to_string();
    let name_ok = (MIN..=MAX).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !name_ok {
        return invalid(Field::UserName, Problem::BadUserName { min: MIN, max: MAX });
    }
    Ok(name)
}

/// Passwords must be long enough to resist guessing; the second factor arrives with login.
pub fn check_password_strength(password: &str) -> Check<()> {
    const MIN: usize = 10;
    if password.chars().count() < MIN {
        return invalid(Field::Password, Problem::PasswordTooShort { min: MIN });
    }
    Ok(())
}
