//! Clinic staff who log in on this device.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::validation::{invalid, required_text, Valid};

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

    pub fn parse(text: &str) -> Valid<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim().to_lowercase())
            .map_or_else(|| invalid("role", "must be reception, nurse, doctor or admin"), Ok)
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

impl User {
    pub fn build(name: &str, display_name: &str, role: Role) -> Valid<Self> {
        let name = name.trim().to_string();
        let name_ok = (2..=32).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !name_ok {
            return invalid("user name", "must be 2 to 32 lower-case letters, digits, '.', '_' or '-'");
        }
        let display_name = required_text("display name", display_name, 40)?;
        Ok(Self { name, display_name, role, disabled: false })
    }
}

/// Passwords must be long enough to resist guessing; the second factor arrives with login.
pub fn check_password_strength(password: &str) -> Valid<()> {
    if password.chars().count() < 10 {
        return invalid("password", "must be at least 10 characters");
    }
    Ok(())
}
