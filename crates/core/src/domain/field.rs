//! The fields a validation problem can be about. Each has a stable snake_case id (the form field
//! or input member it names, e.g. `family_kana`) that front ends translate from the message
//! catalog (`crates/core/messages/*.json`, `fields.<id>`).

use serde::Serialize;
use ts_rs::TS;

macro_rules! fields {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// A field of a form or command input; serialised as its snake_case id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, TS)]
        pub enum Field {
            $($(#[$doc])* #[serde(rename = $id)] $variant,)*
        }

        impl Field {
            /// Every field, so tests can check that each one is translated.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The stable id, as serialised.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Field::$variant => $id,)*
                }
            }
        }
    };
}

fields! {
    // The patient registration form (PatientInput).
    ChartNo = "chart_no",
    FamilyName = "family_name",
    GivenName = "given_name",
    FamilyKana = "family_kana",
    GivenKana = "given_kana",
    Sex = "sex",
    BirthDate = "birth_date",
    PostalCode = "postal_code",
    Address = "address",
    Phone = "phone",
    InsurerNumber = "insurer_number",
    InsuranceSymbol = "insurance_symbol",
    InsuranceNumber = "insurance_number",
    CopayPercent = "copay_percent",
    SensitiveKind = "sensitive_kind",
    StaffMember = "staff_member",
    // Vitals (VitalsInput), and the set as a whole.
    SystolicMmhg = "systolic_mmhg",
    DiastolicMmhg = "diastolic_mmhg",
    PulseBpm = "pulse_bpm",
    TemperatureC = "temperature_c",
    // Appointments (AppointmentInput).
    Clinician = "clinician",
    VisitKind = "visit_kind",
    // What the insider detector is told: opening hours, holidays and the on-call/cover roster.
    ClinicHours = "clinic_hours",
    UtcOffset = "utc_offset",
    Shift = "shift",
    Covers = "covers",
    // An alert's acknowledgement.
    Comment = "comment",
    // Staff records (training, reviews).
    Topic = "topic",
    Date = "date",
    Spo2Percent = "spo2_percent",
    RespiratoryRate = "respiratory_rate",
    WeightKg = "weight_kg",
    HeightCm = "height_cm",
    Vitals = "vitals",
    // Allergies and the problem list.
    Substance = "substance",
    Reaction = "reaction",
    ProblemName = "problem_name",
    Icd10 = "icd10",
    Onset = "onset",
    // Lab reports.
    LabTest = "lab_test",
    LabValue = "lab_value",
    LabUnit = "lab_unit",
    ReferenceRange = "reference_range",
    LabResults = "lab_results",
    CollectedAt = "collected_at",
    // Appointments and check-in.
    Purpose = "purpose",
    Appointment = "appointment",
    // SOAP notes.
    Subjective = "subjective",
    Objective = "objective",
    Assessment = "assessment",
    Plan = "plan",
    Note = "note",
    // Prescriptions.
    Drug = "drug",
    Dose = "dose",
    Unit = "unit",
    Frequency = "frequency",
    Days = "days",
    Prescription = "prescription",
    // Users, login and settings.
    UserName = "user_name",
    DisplayName = "display_name",
    Role = "role",
    Password = "password",
    User = "user",
    IdleTimeout = "idle_timeout",
    Fingerprint = "fingerprint",
    // Search, break-the-glass and the audit report.
    Search = "search",
    Reason = "reason",
    Section = "section",
    Report = "report",
    // The visit a record is filed under.
    Encounter = "encounter",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_serialises_as_its_id() {
        for field in Field::ALL {
            assert_eq!(serde_json::to_value(field).expect("json"), serde_json::json!(field.as_str()));
        }
    }
}
