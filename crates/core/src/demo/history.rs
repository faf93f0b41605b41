//! A synthetic clinical history for one patient: problems, allergies, visits with vitals,
//! signed SOAP notes, prescriptions (mostly Do), labs and the next appointment.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::catalog::{Catalog, Condition};
use super::random::DemoRng;
use crate::changelog::{ChangeBody, ClinicalBody, OpenBody};
use crate::clinic::japan_time;
use crate::domain::*;
use crate::Result;

/// Who wrote what in the demo clinic.
pub struct Staff<'a> {
    pub reception: &'a str,
    pub nurse: &'a str,
    pub doctor: &'a str,
}

pub type Authored = (String, ChangeBody);

pub struct Visit<'a> {
    at: DateTime<Utc>,
    conditions: Vec<&'a Condition>,
    acute: bool,
}

pub fn history(
    rng: &mut DemoRng,
    catalog: &Catalog,
    patient: &Patient,
    now: DateTime<Utc>,
    staff: &Staff<'_>,
) -> Result<Vec<Authored>> {
    let today = now.with_timezone(&japan_time()).date_naive();
    let age = i64::from(patient.age_on(today));
    let clinical = &catalog.clinical;
    let chronic: Vec<&Condition> = clinical
        .chronic
        .iter()
        .filter(|c| age >= i64::from(c.min_age))
        .filter(|c| rng.chance(f64::from(c.weight) / 100.0 * if age >= 65 { 1.6 } else { 0.8 }))
        .collect();

    let mut out: Vec<Authored> = vec![(staff.reception.into(), OpenBody::PatientRegistered(patient.clone()).into())];
    for condition in &chronic {
        let onset = today - Duration::days(rng.range(200, 3000));
        let input = ProblemInput {
            name: condition.name.clone(),
            icd10: condition.icd10.clone(),
            onset: Some(onset),
            status: ProblemStatus::Active,
        };
        let problem = Problem::build(rng.id_at(now), patient.id, today, &input)?;
        out.push((staff.doctor.into(), ClinicalBody::ProblemRecorded(problem).into()));
    }
    let allergies = if rng.chance(0.04) {
        2
    } else if rng.chance(0.12) {
        1
    } else {
        0
    };
    for _ in 0..allergies {
        let spec = rng.pick(&clinical.allergies);
        let input = AllergyInput {
            substance: spec.substance.clone(),
            reaction: spec.reaction.clone(),
            severity: *rng.pick(&[Severity::Mild, Severity::Moderate, Severity::Severe]),
        };
        out.push((
            staff.doctor.into(),
            ClinicalBody::AllergyRecorded(Allergy::build(rng.id_at(now), patient.id, now, &input)?).into(),
        ));
    }

    let mut visits = Vec::new();
    if !chronic.is_empty() {
        let count = rng.range(2, 5);
        let mut day = today - Duration::days(rng.range(1, 27));
        for _ in 0..count {
            visits.push(Visit { at: clinic_hours(rng, day), conditions: chronic.clone(), acute: false });
            day -= Duration::days(28 + rng.range(-3, 3));
        }
    }
    if chronic.is_empty() || rng.chance(0.3) {
        let eligible: Vec<&Condition> = clinical.acute.iter().filter(|c| age >= i64::from(c.min_age)).collect();
        let condition = *rng.pick(&eligible);
        let day = today - Duration::days(rng.range(1, 360));
        visits.push(Visit { at: clinic_hours(rng, day), conditions: vec![condition], acute: true });
    }
    visits.sort_by_key(|v| v.at);

    let home_visit = age >= 85;
    let mut last_chronic_rx: Option<Prescription> = None;
    for (n, visit) in visits.iter().enumerate() {
        out.extend(one_visit(rng, catalog, patient, visit, n, home_visit, &mut last_chronic_rx, staff)?);
    }

    if !chronic.is_empty() && rng.chance(0.5) {
        let day = today + Duration::days(rng.range(1, 28));
        let next = clinic_hours(rng, day);
        let input =
            AppointmentInput { scheduled_at: next, purpose: "定期受診".into(), ..AppointmentInput::default() };
        out.push((
            staff.reception.into(),
            OpenBody::AppointmentSaved(Appointment::build(rng.id_at(now), patient.id, &input)?).into(),
        ));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn one_visit(
    rng: &mut DemoRng,
    catalog: &Catalog,
    patient: &Patient,
    visit: &Visit<'_>,
    n: usize,
    home_visit: bool,
    last_chronic_rx: &mut Option<Prescription>,
    staff: &Staff<'_>,
) -> Result<Vec<Authored>> {
    let at = visit.at;
    let mut out = Vec::new();
    let kind = if home_visit { EncounterKind::HomeVisit } else { EncounterKind::Outpatient };
    let encounter =
        Encounter { id: rng.id_at(at), patient_id: patient.id, kind, started_at: at, clinician: staff.doctor.into() };
    out.push((staff.doctor.into(), OpenBody::EncounterOpened(encounter.clone()).into()));

    let hypertensive = visit.conditions.iter().any(|c| c.icd10 == "I10");
    let systolic = rng.normal(if hypertensive { 136.0 } else { 120.0 }, 11.0).clamp(92.0, 190.0) as u16;
    let diastolic = (f64::from(systolic) * 0.62 + rng.normal(0.0, 5.0)).clamp(50.0, f64::from(systolic) - 20.0) as u16;
    let febrile = visit.acute && visit.conditions.iter().any(|c| c.icd10.starts_with('J') || c.icd10.starts_with('A'));
    let temperature = if febrile { rng.normal(37.7, 0.5) } else { rng.normal(36.5, 0.2) };
    let input = VitalsInput {
        systolic_mmhg: Some(systolic),
        diastolic_mmhg: Some(diastolic),
        pulse_bpm: Some(rng.normal(74.0, 9.0).clamp(45.0, 130.0) as u16),
        temperature_c: Some((temperature.clamp(35.5, 40.5) * 10.0).round() as f32 / 10.0),
        spo2_percent: Some(rng.normal(97.0, 1.2).clamp(90.0, 100.0) as u8),
        weight_kg: (patient.age_on(at.date_naive()) >= 15)
            .then(|| (rng.normal(60.0, 10.0).clamp(35.0, 120.0) * 10.0).round() as f32 / 10.0),
        ..Default::default()
    };
    let vitals = Vitals::build(rng.id_at(at), patient.id, Some(encounter.id), at, &input)?;
    out.push((staff.nurse.into(), ClinicalBody::VitalsRecorded(vitals.clone()).into()));

    let text = soap(rng, visit, &vitals)?;
    let note = SoapNote::draft(
        rng.id_at(at),
        patient.id,
        encounter.id,
        NoteKind::Medical,
        staff.doctor,
        text,
        at + Duration::minutes(10),
    )
    .signed(staff.doctor, at + Duration::minutes(12))?;
    out.push((staff.doctor.into(), ClinicalBody::NoteSigned(note).into()));

    let rx_at = at + Duration::minutes(13);
    let rx = match (visit.acute, last_chronic_rx.as_ref()) {
        (false, Some(previous)) if rng.chance(0.85) => {
            previous.repeat(rng.id_at(rx_at), Some(encounter.id), staff.doctor, rx_at)
        }
        _ => {
            let days = if visit.acute { rng.range(3, 5) } else { 28 };
            let items: Vec<PrescriptionItemInput> = visit
                .conditions
                .iter()
                .map(|c| {
                    let d = rng.pick(&c.drugs);
                    PrescriptionItemInput {
                        drug: d.drug.clone(),
                        dose: d.dose,
                        unit: d.unit.clone(),
                        frequency: d.frequency.clone(),
                        days: days as u16,
                    }
                })
                .collect();
            Prescription::build(rng.id_at(rx_at), patient.id, Some(encounter.id), staff.doctor, rx_at, &items)?
        }
    };
    if !visit.acute {
        *last_chronic_rx = Some(rx.clone());
    }
    out.push((staff.doctor.into(), ClinicalBody::PrescriptionIssued(rx).into()));

    let mut tests: Vec<&String> = visit.conditions.iter().flat_map(|c| c.labs.iter()).collect();
    tests.sort();
    tests.dedup();
    if !tests.is_empty() && n.is_multiple_of(3) {
        let results: Vec<LabResultInput> = tests
            .iter()
            .filter_map(|name| catalog.clinical.labs.get(*name).map(|spec| (name, spec)))
            .map(|(name, spec)| {
                let scale = 10f64.powi(spec.decimals);
                let value = (rng.normal(spec.mean, spec.sd).max(0.0) * scale).round() / scale;
                LabResultInput {
                    test: (*name).clone(),
                    value,
                    unit: spec.unit.clone(),
                    reference_low: Some(spec.low),
                    reference_high: Some(spec.high),
                }
            })
            .collect();
        let report = LabReport::build(rng.id_at(at), patient.id, at + Duration::minutes(5), &results)?;
        out.push((staff.doctor.into(), ClinicalBody::LabReported(report).into()));
    }
    Ok(out)
}

/// A problem-oriented note: S and P per problem, O as the vitals and the findings, A as the
/// assessment of each problem.
fn soap(rng: &mut DemoRng, visit: &Visit<'_>, vitals: &Vitals) -> Result<SoapText> {
    let numbered = visit.conditions.len() > 1;
    let label = |i: usize, c: &Condition| if numbered { format!("#{} {} ", i + 1, c.name) } else { String::new() };
    let mut subjective = Vec::new();
    let mut objective = vec![format!(
        "BP {}/{} mmHg、P {}/分、T {:.1}℃、SpO2 {}%",
        vitals.systolic_mmhg.unwrap_or_default(),
        vitals.diastolic_mmhg.unwrap_or_default(),
        vitals.pulse_bpm.unwrap_or_default(),
        vitals.temperature_c.unwrap_or_default(),
        vitals.spo2_percent.unwrap_or_default()
    )];
    let mut assessment = Vec::new();
    let mut plan = Vec::new();
    for (i, condition) in visit.conditions.iter().enumerate() {
        let days = rng.range(1, 4).to_string();
        subjective.push(format!("{}{}", label(i, condition), rng.pick(&condition.s).replace("{days}", &days)));
        objective.push(rng.pick(&condition.o).clone());
        let finding = rng.pick(&condition.a);
        let gap = if finding.starts_with('。') { "" } else { " " };
        let number = if numbered { format!("#{} ", i + 1) } else { String::new() };
        assessment.push(format!("{number}{}{gap}{finding}", condition.name));
        plan.push(format!("{}{}", label(i, condition), rng.pick(&condition.p)));
    }
    Ok(SoapText::build(&subjective.join("\n"), &objective.join("\n"), &assessment.join("\n"), &plan.join("\n"))?)
}

/// A time on `day` during clinic hours (9:00–12:30, 14:00–17:30 JST).
pub fn clinic_hours(rng: &mut DemoRng, day: NaiveDate) -> DateTime<Utc> {
    let minutes = if rng.chance(0.6) { rng.range(9 * 60, 12 * 60 + 30) } else { rng.range(14 * 60, 17 * 60 + 30) };
    let minutes = minutes - minutes % 5;
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minutes);
    japan_time().from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}
