//! Clinical records other than notes and prescriptions: encounters, vitals, allergies, problems
//! and lab reports.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::validation::{bounded_text, in_range, invalid, required_text, Valid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EncounterKind {
    /// 外来
    Outpatient,
    /// 訪問診療
    HomeVisit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Encounter {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: EncounterKind,
    pub started_at: DateTime<Utc>,
    /// User name of the clinician responsible.
    pub clinician: String,
}

/// One set of measurements; at least one must be present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Vitals {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub measured_at: DateTime<Utc>,
    pub systolic_mmhg: Option<u16>,
    pub diastolic_mmhg: Option<u16>,
    pub pulse_bpm: Option<u16>,
    pub temperature_c: Option<f32>,
    pub spo2_percent: Option<u8>,
    pub respiratory_rate: Option<u8>,
    pub weight_kg: Option<f32>,
    pub height_cm: Option<f32>,
}

#[derive(Clone, Debug, Default, Deserialize, TS)]
pub struct VitalsInput {
    pub systolic_mmhg: Option<u16>,
    pub diastolic_mmhg: Option<u16>,
    pub pulse_bpm: Option<u16>,
    pub temperature_c: Option<f32>,
    pub spo2_percent: Option<u8>,
    pub respiratory_rate: Option<u8>,
    pub weight_kg: Option<f32>,
    pub height_cm: Option<f32>,
}

impl Vitals {
    pub fn build(
        id: Uuid,
        patient_id: Uuid,
        encounter_id: Option<Uuid>,
        measured_at: DateTime<Utc>,
        v: &VitalsInput,
    ) -> Valid<Self> {
        fn opt<T: PartialOrd + std::fmt::Display + Copy>(
            field: &'static str,
            v: Option<T>,
            min: T,
            max: T,
        ) -> Valid<Option<T>> {
            v.map(|x| in_range(field, x, min, max)).transpose()
        }
        let vitals = Self {
            id,
            patient_id,
            encounter_id,
            measured_at,
            systolic_mmhg: opt("systolic blood pressure", v.systolic_mmhg, 40, 300)?,
            diastolic_mmhg: opt("diastolic blood pressure", v.diastolic_mmhg, 20, 200)?,
            pulse_bpm: opt("pulse", v.pulse_bpm, 20, 300)?,
            temperature_c: opt("temperature", v.temperature_c, 30.0, 44.0)?,
            spo2_percent: opt("SpO2", v.spo2_percent, 50, 100)?,
            respiratory_rate: opt("respiratory rate", v.respiratory_rate, 4, 80)?,
            weight_kg: opt("weight", v.weight_kg, 0.3, 400.0)?,
            height_cm: opt("height", v.height_cm, 20.0, 250.0)?,
        };
        if let (Some(s), Some(d)) = (vitals.systolic_mmhg, vitals.diastolic_mmhg) {
            if d >= s {
                return invalid("diastolic blood pressure", "must be lower than the systolic pressure");
            }
        }
        let any = v.systolic_mmhg.is_some()
            || v.diastolic_mmhg.is_some()
            || v.pulse_bpm.is_some()
            || v.temperature_c.is_some()
            || v.spo2_percent.is_some()
            || v.respiratory_rate.is_some()
            || v.weight_kg.is_some()
            || v.height_cm.is_some();
        if !any {
            return invalid("vitals", "enter at least one measurement");
        }
        Ok(vitals)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Allergy {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub substance: String,
    pub reaction: String,
    pub severity: Severity,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct AllergyInput {
    pub substance: String,
    pub reaction: String,
    pub severity: Severity,
}

impl Allergy {
    pub fn build(id: Uuid, patient_id: Uuid, recorded_at: DateTime<Utc>, input: &AllergyInput) -> Valid<Self> {
        Ok(Self {
            id,
            patient_id,
            substance: required_text("allergy substance", &input.substance, 80)?,
            reaction: bounded_text("allergy reaction", &input.reaction, 200)?,
            severity: input.severity,
            recorded_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStatus {
    Active,
    Resolved,
}

/// An entry of the problem list (病名).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Problem {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub icd10: Option<String>,
    pub onset: Option<NaiveDate>,
    pub status: ProblemStatus,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ProblemInput {
    pub name: String,
    pub icd10: String,
    pub onset: Option<NaiveDate>,
    pub status: ProblemStatus,
}

impl Problem {
    pub fn build(id: Uuid, patient_id: Uuid, today: NaiveDate, input: &ProblemInput) -> Valid<Self> {
        let icd10 = bounded_text("ICD-10 code", &input.icd10, 8)?;
        let icd_ok = icd10.is_empty()
            || (icd10.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && icd10.chars().skip(1).all(|c| c.is_ascii_digit() || c == '.'));
        if !icd_ok {
            return invalid("ICD-10 code", "must look like J45 or E11.9");
        }
        if input.onset.is_some_and(|d| d > today) {
            return invalid("onset date", "is in the future");
        }
        Ok(Self {
            id,
            patient_id,
            name: required_text("problem name", &input.name, 80)?,
            icd10: (!icd10.is_empty()).then_some(icd10),
            onset: input.onset,
            status: input.status,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LabFlag {
    Low,
    Normal,
    High,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct LabResult {
    pub test: String,
    pub value: f64,
    pub unit: String,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    /// Derived from the value and the reference range when the result is built.
    pub flag: LabFlag,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabResultInput {
    pub test: String,
    pub value: f64,
    pub unit: String,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
}

impl LabResult {
    pub fn build(input: &LabResultInput) -> Valid<Self> {
        if !input.value.is_finite() {
            return invalid("lab value", "must be a number");
        }
        if let (Some(low), Some(high)) = (input.reference_low, input.reference_high) {
            if low > high {
                return invalid("reference range", "the lower limit is above the upper limit");
            }
        }
        let flag = match (input.reference_low, input.reference_high) {
            (Some(low), _) if input.value < low => LabFlag::Low,
            (_, Some(high)) if input.value > high => LabFlag::High,
            _ => LabFlag::Normal,
        };
        Ok(Self {
            test: required_text("lab test", &input.test, 60)?,
            value: input.value,
            unit: bounded_text("lab unit", &input.unit, 20)?,
            reference_low: input.reference_low,
            reference_high: input.reference_high,
            flag,
        })
    }
}

/// The results of one specimen collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct LabReport {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub collected_at: DateTime<Utc>,
    pub results: Vec<LabResult>,
}

impl LabReport {
    pub fn build(id: Uuid, patient_id: Uuid, collected_at: DateTime<Utc>, results: &[LabResultInput]) -> Valid<Self> {
        if results.is_empty() {
            return invalid("lab results", "enter at least one result");
        }
        let results = results.iter().map(LabResult::build).collect::<Valid<Vec<_>>>()?;
        Ok(Self { id, patient_id, collected_at, results })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(value: f64) -> LabResultInput {
        LabResultInput {
            test: "HbA1c".into(),
            value,
            unit: "%".into(),
            reference_low: Some(4.6),
            reference_high: Some(6.2),
        }
    }

    #[test]
    fn lab_results_are_flagged_against_their_reference_range() {
        assert_eq!(LabResult::build(&lab(7.1)).expect("valid").flag, LabFlag::High);
        assert_eq!(LabResult::build(&lab(4.0)).expect("valid").flag, LabFlag::Low);
        assert_eq!(LabResult::build(&lab(5.5)).expect("valid").flag, LabFlag::Normal);
        assert!(LabResult::build(&lab(f64::NAN)).is_err());
    }

    #[test]
    fn vitals_outside_human_ranges_are_refused() {
        let at = Utc::now();
        let ok = VitalsInput { systolic_mmhg: Some(128), diastolic_mmhg: Some(82), ..Default::default() };
        assert!(Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &ok).is_ok());
        let swapped = VitalsInput { systolic_mmhg: Some(80), diastolic_mmhg: Some(120), ..Default::default() };
        assert!(Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &swapped).is_err());
        let fever = VitalsInput { temperature_c: Some(47.0), ..Default::default() };
        assert_eq!(Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &fever).expect_err("hot").field, "temperature");
        assert!(Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &VitalsInput::default()).is_err());
    }
}
