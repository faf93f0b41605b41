//! Prescriptions (処方). "Do" (ドゥー処方) repeats the previous prescription as a new one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::validation::{in_range, required_text, Checker, Field, FieldError, Problem, Valid};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct PrescriptionItem {
    pub drug: String,
    /// Amount per dose, e.g. 1 (tablet) or 0.5 (g).
    pub dose: f64,
    pub unit: String,
    /// 用法, e.g. 1日3回毎食後.
    pub frequency: String,
    /// 日数.
    pub days: u16,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct PrescriptionItemInput {
    pub drug: String,
    pub dose: f64,
    pub unit: String,
    pub frequency: String,
    pub days: u16,
}

impl PrescriptionItem {
    /// Validates one line of a prescription, reporting every bad field at once.
    pub fn build(input: &PrescriptionItemInput) -> Valid<Self> {
        let mut checks = Checker::new();
        let drug = checks.take(required_text(Field::Drug, &input.drug, 100));
        if !(input.dose.is_finite() && input.dose > 0.0 && input.dose <= 10_000.0) {
            checks.add(Field::Dose, Problem::BadDose);
        }
        let unit = checks.take(required_text(Field::Unit, &input.unit, 20));
        let frequency = checks.take(required_text(Field::Frequency, &input.frequency, 60));
        let days = checks.take(in_range(Field::Days, input.days, 1, 365));
        let (Some(drug), Some(unit), Some(frequency), Some(days)) = (drug, unit, frequency, days) else {
            return checks.failed();
        };
        checks.finish()?;
        Ok(Self { drug, dose: input.dose, unit, frequency, days })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Prescription {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub prescriber: String,
    pub prescribed_at: DateTime<Utc>,
    pub items: Vec<PrescriptionItem>,
    /// The prescription this one repeats (Do処方), if any.
    pub repeat_of: Option<Uuid>,
}

impl Prescription {
    pub fn build(
        id: Uuid,
        patient_id: Uuid,
        encounter_id: Option<Uuid>,
        prescriber: &str,
        at: DateTime<Utc>,
        items: &[PrescriptionItemInput],
    ) -> Valid<Self> {
        if items.is_empty() {
            return Err(FieldError::new(Field::Prescription, Problem::NoDrug).into());
        }
        let mut checks = Checker::new();
        let built: Vec<Option<PrescriptionItem>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| checks.take(PrescriptionItem::build(item).map_err(|e| e.in_item(i + 1))))
            .collect();
        let Some(items) = built.into_iter().collect::<Option<Vec<_>>>() else {
            return checks.failed();
        };
        Ok(Self {
            id,
            patient_id,
            encounter_id,
            prescriber: prescriber.to_string(),
            prescribed_at: at,
            items,
            repeat_of: None,
        })
    }

    /// Do: the same drugs, doses and days, prescribed anew.
    pub fn repeat(&self, id: Uuid, encounter_id: Option<Uuid>, prescriber: &str, at: DateTime<Utc>) -> Self {
        Self {
            id,
            patient_id: self.patient_id,
            encounter_id,
            prescriber: prescriber.to_string(),
            prescribed_at: at,
            items: self.items.clone(),
            repeat_of: Some(self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn do_copies_the_items_and_remembers_its_source() {
        let item = PrescriptionItemInput {
            drug: "アムロジピン錠5mg".into(),
            dose: 1.0,
            unit: "錠".into(),
            frequency: "1日1回朝食後".into(),
            days: 28,
        };
        let first =
            Prescription::build(Uuid::from_u128(1), Uuid::nil(), None, "dr", Utc::now(), &[item]).expect("valid");
        let again = first.repeat(Uuid::from_u128(2), None, "dr", Utc::now());
        assert_eq!(again.items, first.items);
        assert_eq!(again.repeat_of, Some(first.id));
        assert_ne!(again.id, first.id);
    }

    #[test]
    fn impossible_doses_and_days_are_refused() {
        let mut item =
            PrescriptionItemInput {
                drug: "x".into(), dose: 0.0, unit: "錠".into(), frequency: "頓用".into(), days: 3
            };
        item.days = 0;
        let refused = PrescriptionItem::build(&item).expect_err("dose and days");
        assert_eq!(refused.problem(Field::Dose), Some(&Problem::BadDose));
        assert_eq!(refused.problem(Field::Days), Some(&Problem::OutOfRange { min: 1.0, max: 365.0 }));
        item.dose = 1.0;
        item.days = 3;
        item.unit = String::new();
        let good = PrescriptionItemInput { drug: "y".into(), unit: "錠".into(), ..item.clone() };
        let refused = Prescription::build(Uuid::nil(), Uuid::nil(), None, "dr", Utc::now(), &[good, item])
            .expect_err("the second line has no unit");
        assert_eq!(refused.fields(), [FieldError { field: Field::Unit, problem: Problem::Required, item: Some(2) }]);
    }
}
