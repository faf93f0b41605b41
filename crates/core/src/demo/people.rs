//! Synthetic patients: names, readings, addresses, phones and insurance that look real and are not.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::catalog::Catalog;
use super::random::DemoRng;
use crate::domain::insurance::check_digit;
use crate::domain::{InsuranceInput, Patient, PatientInput};
use crate::Result;

pub fn patient(
    rng: &mut DemoRng,
    catalog: &Catalog,
    chart_no: u32,
    today: NaiveDate,
    registered_at: DateTime<Utc>,
) -> Result<Patient> {
    let female = rng.chance(0.52);
    let age = age(rng);
    let birth_date = today - Duration::days(age * 365 + rng.range(0, 364));
    let (family, family_kana) = rng.pick_common(&catalog.family_names).clone();
    let given_list = if female { &catalog.female_names } else { &catalog.male_names };
    let (given, given_kana) = rng.pick_common(given_list).clone();
    let (postal_code, town) = rng.pick(&catalog.towns).clone();
    let address = format!(
        "{town}{}-{}-{}{}",
        rng.range(1, 5),
        rng.range(1, 30),
        rng.range(1, 20),
        if rng.chance(0.4) {
            format!(" メゾン{}{}", rng.pick(&["桜", "欅", "楓", "若葉", "青葉"]), rng.range(101, 405))
        } else {
            String::new()
        }
    );
    let phone = if rng.chance(0.7) {
        format!("0{}0-{:04}-{:04}", rng.pick(&[7, 8, 9]), rng.range(0, 9999), rng.range(0, 9999))
    } else {
        format!("03-{:04}-{:04}", rng.range(3000, 6999), rng.range(0, 9999))
    };
    let input = PatientInput {
        chart_no: format!("{chart_no:06}"),
        family_name: family,
        given_name: given,
        family_kana,
        given_kana,
        sex: if female { "F" } else { "M" }.into(),
        birth_date: birth_date.to_string(),
        postal_code,
        address,
        phone,
        insurance: Some(insurance(rng, age)),
        sensitive: false,
        sensitive_kind: if rng.chance(0.01) { "public_figure".into() } else { String::new() },
        staff_member: String::new(),
    };
    let id = rng.id_at(registered_at);
    Ok(Patient::build(id, &input, today)?)
}

/// A clinic's patients skew old.
fn age(rng: &mut DemoRng) -> i64 {
    match rng.range(0, 99) {
        0..=7 => rng.range(0, 14),
        8..=24 => rng.range(15, 39),
        25..=54 => rng.range(40, 64),
        55..=94 => rng.range(65, 89),
        _ => rng.range(90, 101),
    }
}

/// Insurance by age: 後期高齢者 from 75, national or employee insurance below.
fn insurance(rng: &mut DemoRng, age: i64) -> InsuranceInput {
    let (body, symbol, copay) = if age >= 75 {
        (format!("3913{:03}", rng.range(1, 62)), String::new(), if rng.chance(0.9) { 10 } else { 30 })
    } else if rng.chance(0.35) {
        (format!("131{:02}", rng.range(1, 23)), format!("世{}", rng.range(1, 99)), copay_below_75(age))
    } else {
        let employer = rng.pick(&["0113001", "0113002", "0627301", "0613806", "3113041"]).to_string();
        (employer, format!("{}", rng.range(1000, 99999)), copay_below_75(age))
    };
    let check = check_digit(&body).unwrap_or(0);
    InsuranceInput {
        insurer_number: format!("{body}{check}"),
        symbol,
        number: format!("{}", rng.range(1, 99999)),
        copay_percent: copay,
    }
}

fn copay_below_75(age: i64) -> u8 {
    if !(6..70).contains(&age) {
        20
    } else {
        30
    }
}
