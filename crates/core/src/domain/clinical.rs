//! Clinical records other than notes and prescriptions: encounters, vitals, allergies, problems
//! and lab reports.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

// `Problem` here is a problem-list entry (病名); a validation problem is `Why`.
use super::validation::{
    bounded_text, in_range, required_text, Check, Checker, Field, FieldError, Problem as Why, Valid,
};

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
            checks: &mut Checker,
            field: Field,
            v: Option<T>,
            min: T,
            max: T,
        ) -> Option<T> {
            checks.take(v.map(|x| in_range(field, x, min, max)).transpose()).flatten()
        }
        let mut checks = Checker::new();
        let vitals = Self {
            id,
            patient_id,
            encounter_id,
            measured_at,
            systolic_mmhg: opt(&mut checks, Field::SystolicMmhg, v.systolic_mmhg, 40, 300),
            diastolic_mmhg: opt(&mut checks, Field::DiastolicMmhg, v.diastolic_mmhg, 20, 200),
            pulse_bpm: opt(&mut checks, Field::PulseBpm, v.pulse_bpm, 20, 300),
            temperature_c: opt(&mut checks, Field::TemperatureC, v.temperature_c, 30.0, 44.0),
            spo2_percent: opt(&mut checks, Field::Spo2Percent, v.spo2_percent, 50, 100),
            respiratory_rate: opt(&mut checks, Field::RespiratoryRate, v.respiratory_rate, 4, 80),
            weight_kg: opt(&mut checks, Field::WeightKg, v.weight_kg, 0.3, 400.0),
            height_cm: opt(&mut checks, Field::HeightCm, v.height_cm, 20.0, 250.0),
        };
        if let (Some(s), Some(d)) = (vitals.systolic_mmhg, vitals.diastolic_mmhg) {
            if d >= s {
                checks.add(Field::DiastolicMmhg, Why::DiastolicNotBelowSystolic);
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
            checks.add(Field::Vitals, Why::NoMeasurement);
        }
        // A refused value is left out above; finish() reports it, so `vitals` is never half-kept.
        checks.finish()?;
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
        let mut checks = Checker::new();
        let substance = checks.take(required_text(Field::Substance, &input.substance, 80));
        let reaction = checks.take(bounded_text(Field::Reaction, &input.reaction, 200));
        let (Some(substance), Some(reaction)) = (substance, reaction) else {
            return checks.failed();
        };
        Ok(Self { id, patient_id, substance, reaction, severity: input.severity, recorded_at })
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
        let mut checks = Checker::new();
        let name = checks.take(required_text(Field::ProblemName, &input.name, 80));
        let icd10 = checks.take(icd10(&input.icd10));
        if input.onset.is_some_and(|d| d > today) {
            checks.add(Field::Onset, Why::InFuture);
        }
        let (Some(name), Some(icd10)) = (name, icd10) else {
            return checks.failed();
        };
        checks.finish()?;
        Ok(Self { id, patient_id, name, icd10, onset: input.onset, status: input.status })
    }
}

/// An ICD-10 code such as J45 or E11.9, or none.
fn icd10(text: &str) -> Check<Option<String>> {
    let code = bounded_text(Field::Icd10, text, 8)?;
    let looks_right = code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && code.chars().skip(1).all(|c| c.is_ascii_digit() || c == '.');
    match code.is_empty() {
        true => Ok(None),
        false if looks_right => Ok(Some(code)),
        false => Err(FieldError::new(Field::Icd10, Why::BadIcd10)),
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
    /// Validates one result, reporting every bad field at once.
    pub fn build(input: &LabResultInput) -> Valid<Self> {
        let mut checks = Checker::new();
        let test = checks.take(required_text(Field::LabTest, &input.test, 60));
        if !input.value.is_finite() {
            checks.add(Field::LabValue, Why::NotANumber);
        }
        let unit = checks.take(bounded_text(Field::LabUnit, &input.unit, 20));
        if let (Some(low), Some(high)) = (input.reference_low, input.reference_high) {
            if low > high {
                checks.add(Field::ReferenceRange, Why::RangeReversed);
            }
        }
        let (Some(test), Some(unit)) = (test, unit) else {
            return checks.failed();
        };
        checks.finish()?;
        let flag = match (input.reference_low, input.reference_high) {
            (Some(low), _) if input.value < low => LabFlag::Low,
            (_, Some(high)) if input.value > high => LabFlag::High,
            _ => LabFlag::Normal,
        };
        Ok(Self {
            test,
            value: input.value,
            unit,
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
            return Err(FieldError::new(Field::LabResults, Why::NoLabResult).into());
        }
        let mut checks = Checker::new();
        let built: Vec<Option<LabResult>> = results
            .iter()
            .enumerate()
            .map(|(i, input)| checks.take(LabResult::build(input).map_err(|e| e.in_item(i + 1))))
            .collect();
        let Some(results) = built.into_iter().collect::<Option<Vec<_>>>() else {
            return checks.failed();
        };
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
        let refused = Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &swapped).expect_err("swapped");
        assert_eq!(refused.problem(Field::DiastolicMmhg), Some(&Why::DiastolicNotBelowSystolic));
        let fever = VitalsInput { temperature_c: Some(47.0), pulse_bpm: Some(5), ..Default::default() };
        let refused = Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &fever).expect_err("hot and slow");
        assert_eq!(refused.problem(Field::TemperatureC), Some(&Why::OutOfRange { min: 30.0, max: 44.0 }));
        assert_eq!(refused.problem(Field::PulseBpm), Some(&Why::OutOfRange { min: 20.0, max: 300.0 }));
        let nothing = Vitals::build(Uuid::nil(), Uuid::nil(), None, at, &VitalsInput::default()).expect_err("empty");
        assert_eq!(nothing.problem(Field::Vitals), Some(&Why::NoMeasurement));
    }

    #[test]
    fn a_lab_report_names_the_result_each_problem_is_in() {
        let mut second = lab(5.0);
        second.test = " ".into();
        second.reference_low = Some(9.0);
        let refused =
            LabReport::build(Uuid::nil(), Uuid::nil(), Utc::now(), &[lab(7.1), second]).expect_err("second is bad");
        let found: Vec<(Field, Option<usize>)> = refused.fields().iter().map(|e| (e.field, e.item)).collect();
        assert_eq!(found, [(Field::LabTest, Some(2)), (Field::ReferenceRange, Some(2))]);
    }
}
