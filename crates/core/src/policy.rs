//! Who may do what: the role table of docs/roles.md, in one place (the story test
//! `tests/tests/access_by_role.rs` checks that the two agree).
//!
//! Every core operation names the section it touches and the access it needs, and asks
//! [`allows`] before any query runs. Nothing else in the code decides permissions.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::Role;

/// A part of the chart (or of the clinic's administration) that access is granted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Name, reading, address, phone, insurance.
    Demographics,
    /// Appointments and check-in (受付).
    Appointments,
    Vitals,
    Allergies,
    Problems,
    /// Doctors' SOAP notes.
    Notes,
    /// Nurses' notes.
    NursingNotes,
    Prescriptions,
    /// Lab results.
    Results,
    /// Users, devices, audit and alerts.
    Administration,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Demographics,
        Section::Appointments,
        Section::Vitals,
        Section::Allergies,
        Section::Problems,
        Section::Notes,
        Section::NursingNotes,
        Section::Prescriptions,
        Section::Results,
        Section::Administration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Demographics => "demographics",
            Section::Appointments => "appointments",
            Section::Vitals => "vitals",
            Section::Allergies => "allergies",
            Section::Problems => "problems",
            Section::Notes => "notes",
            Section::NursingNotes => "nursing_notes",
            Section::Prescriptions => "prescriptions",
            Section::Results => "results",
            Section::Administration => "administration",
        }
    }

    /// Sections holding clinical content (sealed under the clinical section key in the design).
    pub fn is_clinical(self) -> bool {
        !matches!(self, Section::Demographics | Section::Appointments | Section::Administration)
    }
}

/// What an operation does to a section. Each level includes the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
    /// Signing a note or prescription (電子署名 of the record).
    Sign,
}

impl Access {
    pub const ALL: [Access; 3] = [Access::Read, Access::Write, Access::Sign];

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Sign => "sign",
        }
    }
}

/// The most a role may do in a section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    None,
    Up(Access),
}

use Access::{Read as R, Sign as S, Write as W};
use Grant::{None as NO, Up};

/// The role table. Columns: reception, nurse, doctor, admin.
///
/// One deliberate reading of the design: nurses sign their own nursing notes, so a nursing
/// note can become a finished record (真正性) without a doctor.
const TABLE: [(Section, [Grant; 4]); 10] = [
    (Section::Demographics, [Up(W), Up(R), Up(W), NO]),
    (Section::Appointments, [Up(W), Up(R), Up(W), NO]),
    (Section::Vitals, [NO, Up(W), Up(W), NO]),
    (Section::Allergies, [NO, Up(R), Up(W), NO]),
    (Section::Problems, [NO, Up(R), Up(W), NO]),
    (Section::Notes, [NO, Up(R), Up(S), NO]),
    (Section::NursingNotes, [NO, Up(S), Up(S), NO]),
    (Section::Prescriptions, [NO, Up(R), Up(S), NO]),
    (Section::Results, [NO, Up(R), Up(S), NO]),
    (Section::Administration, [NO, NO, NO, Up(W)]),
];

pub fn grant(role: Role, section: Section) -> Grant {
    let column = match role {
        Role::Reception => 0,
        Role::Nurse => 1,
        Role::Doctor => 2,
        Role::Admin => 3,
    };
    TABLE.iter().find(|(s, _)| *s == section).map_or(Grant::None, |(_, grants)| grants[column])
}

/// May `role` do `access` in `section`?
pub fn allows(role: Role, section: Section, access: Access) -> bool {
    match grant(role, section) {
        Grant::None => false,
        Grant::Up(most) => access <= most,
    }
}

/// The sections (administration included) `role` may access at least as `access`, for a front
/// end to decide which menus exist. The core still checks every call.
pub fn sections_allowed(role: Role, access: Access) -> Vec<Section> {
    Section::ALL.into_iter().filter(|s| allows(role, *s, access)).collect()
}

/// Roles that hold the clinical section key: those that may read some clinical section. Every
/// other role is kept out of clinical content by cryptography as well as by this table.
pub fn holds_clinical_key(role: Role) -> bool {
    Section::ALL.into_iter().any(|s| s.is_clinical() && allows(role, s, Access::Read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_has_a_row() {
        for section in Section::ALL {
            assert!(TABLE.iter().any(|(s, _)| *s == section), "{section:?} has no row");
        }
    }

    #[test]
    fn reception_never_reaches_clinical_content_and_admin_never_reaches_charts() {
        for section in Section::ALL.into_iter().filter(|s| s.is_clinical()) {
            assert!(!allows(Role::Reception, section, Access::Read), "{section:?}");
        }
        for section in Section::ALL.into_iter().filter(|s| *s != Section::Administration) {
            assert!(!allows(Role::Admin, section, Access::Read), "{section:?}");
        }
        assert!(allows(Role::Reception, Section::Demographics, Access::Write));
        assert!(!allows(Role::Nurse, Section::Notes, Access::Write));
        assert!(allows(Role::Doctor, Section::Prescriptions, Access::Sign));
    }

    #[test]
    fn only_doctors_and_nurses_hold_the_clinical_key() {
        assert!(holds_clinical_key(Role::Doctor));
        assert!(holds_clinical_key(Role::Nurse));
        assert!(!holds_clinical_key(Role::Reception));
        assert!(!holds_clinical_key(Role::Admin));
    }
}
