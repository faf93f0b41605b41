//! The chart domain. Every record is validated when it is built from outside input, with errors a
//! receptionist can act on: every bad field at once, each as a field and a problem code
//! ([`validation`]) that front ends translate; they never repeat the input (it may be patient data).

pub mod appointment;
pub mod clinical;
pub mod dates;
pub mod field;
pub mod insurance;
pub mod kana;
pub mod note;
pub mod patient;
pub mod prescription;
pub mod user;
pub mod validation;

pub use appointment::{Appointment, AppointmentInput};
pub use clinical::{
    Allergy, AllergyInput, Encounter, EncounterKind, LabFlag, LabReport, LabResult, LabResultInput, Problem,
    ProblemInput, ProblemStatus, Severity, Vitals, VitalsInput,
};
pub use insurance::{Insurance, InsuranceInput};
pub use note::{NoteKind, NoteStatus, SoapNote, SoapText};
pub use patient::{Patient, PatientInput, SensitiveKind, Sex};
pub use prescription::{Prescription, PrescriptionItem, PrescriptionItemInput};
pub use user::{Clinician, Role, User};
pub use validation::{Field, FieldError, ValidationErrors};
