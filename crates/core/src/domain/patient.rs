//! The patient: identity, reading, contact and insurance.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::insurance::{Insurance, InsuranceInput};
use super::kana::{self, nfkc_compact};
use super::validation::{bounded_text, invalid, required_text, Valid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
}

impl Sex {
    /// Accepts the codes the front desk uses: M/F/O, male/female/other, 男/女.
    pub fn parse(text: &str) -> Valid<Self> {
        match nfkc_compact(text).to_lowercase().as_str() {
            "m" | "male" | "男" | "男性" => Ok(Sex::Male),
            "f" | "female" | "女" | "女性" => Ok(Sex::Female),
            "o" | "other" | "その他" => Ok(Sex::Other),
            _ => invalid("sex", "must be male (M, 男), female (F, 女) or other (O)"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Patient {
    pub id: Uuid,
    /// The clinic's chart number (カルテ番号).
    pub chart_no: String,
    pub family_name: String,
    pub given_name: String,
    /// Readings in full-width katakana.
    pub family_kana: String,
    pub given_kana: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// 〒 in the form 123-4567.
    pub postal_code: Option<String>,
    pub address: String,
    /// Digits and hyphens as written, e.g. 03-1234-5678.
    pub phone: Option<String>,
    pub insurance: Option<Insurance>,
    /// Staff members and VIPs: access is watched more closely.
    pub sensitive: bool,
}

/// What the registration form sends; every field is checked by [`Patient::build`].
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(default)]
pub struct PatientInput {
    pub chart_no: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub sex: String,
    pub birth_date: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub insurance: Option<InsuranceInput>,
    pub sensitive: bool,
}

impl Patient {
    /// Validates `input`; `today` bounds the birth date.
    pub fn build(id: Uuid, input: &PatientInput, today: NaiveDate) -> Valid<Self> {
        Ok(Self {
            id,
            chart_no: chart_no(&input.chart_no)?,
            family_name: name("family name", &input.family_name)?,
            given_name: name("given name", &input.given_name)?,
            family_kana: kana::reading("family name reading (kana)", &input.family_kana)?,
            given_kana: kana::reading("given name reading (kana)", &input.given_kana)?,
            sex: Sex::parse(&input.sex)?,
            birth_date: birth_date(&input.birth_date, today)?,
            postal_code: postal_code(&input.postal_code)?,
            address: bounded_text("address", &input.address, 200)?,
            phone: phone(&input.phone)?,
            insurance: input.insurance.as_ref().map(Insurance::build).transpose()?,
            sensitive: input.sensitive,
        })
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.family_name, self.given_name)
    }

    pub fn full_kana(&self) -> String {
        format!("{} {}", self.family_kana, self.given_kana)
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        day.years_since(self.birth_date).unwrap_or(0)
    }
}

fn chart_no(text: &str) -> Valid<String> {
    let value = nfkc_compact(text);
    if value.is_empty() {
        return invalid("chart number", "is required");
    }
    if value.len() > 12 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return invalid("chart number", "must be up to 12 letters, digits or hyphens");
    }
    Ok(value)
}

fn name(field: &'static str, text: &str) -> Valid<String> {
    let value = required_text(field, text, 40)?;
    if value.chars().any(|c| c.is_ascii_digit()) {
        return invalid(field, "must not contain digits");
    }
    Ok(value)
}

fn birth_date(text: &str, today: NaiveDate) -> Valid<NaiveDate> {
    const FIELD: &str = "birth date";
    let date = match super::dates::read_date(text) {
        Ok(date) => date,
        Err(problem) => return problem.invalid(FIELD),
    };
    if date > today {
        return invalid(FIELD, "is in the future");
    }
    if today.years_since(date).unwrap_or(0) > 125 {
        return invalid(FIELD, "is more than 125 years ago");
    }
    Ok(date)
}

fn postal_code(text: &str) -> Valid<Option<String>> {
    let digits: String = nfkc_compact(text).chars().filter(|c| *c != '-' && *c != '〒').collect();
    if digits.is_empty() {
        return Ok(None);
    }
    if digits.len() != 7 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return invalid("postal code", "must be 7 digits, e.g. 100-0001");
    }
    Ok(Some(format!("{}-{}", &digits[..3], &digits[3..])))
}

fn phone(text: &str) -> Valid<Option<String>> {
    let value = nfkc_compact(text);
    if value.is_empty() {
        return Ok(None);
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = value.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !shape_ok || !digits.starts_with('0') || !(10..=11).contains(&digits.len()) {
        return invalid("phone", "must be a Japanese number of 10 or 11 digits starting with 0, e.g. 03-1234-5678");
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
    }

    fn valid_input() -> PatientInput {
        PatientInput {
            chart_no: "000123".into(),
            family_name: "山田".into(),
            given_name: "花子".into(),
            family_kana: "ﾔﾏﾀﾞ".into(),
            given_kana: "はなこ".into(),
            sex: "女".into(),
            birth_date: "S25.3.12".into(),
            postal_code: "1000001".into(),
            address: "東京都千代田区千代田1-1".into(),
            phone: "03-1234-5678".into(),
            insurance: None,
            sensitive: false,
        }
    }

    #[test]
    fn a_registration_form_becomes_a_normalized_patient() {
        let p = Patient::build(Uuid::nil(), &valid_input(), today()).expect("valid");
        assert_eq!(p.family_kana, "ヤマダ");
        assert_eq!(p.given_kana, "ハナコ");
        assert_eq!(p.sex, Sex::Female);
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1950, 3, 12).expect("date"));
        assert_eq!(p.postal_code.as_deref(), Some("100-0001"));
        assert_eq!(p.age_on(today()), 76);
    }

    #[test]
    fn each_bad_field_is_named_in_the_error() {
        type Mutation = fn(&mut PatientInput);
        let cases: Vec<(&str, Mutation)> = vec![
            ("chart number", |i| i.chart_no = " ".into()),
            ("family name", |i| i.family_name = "".into()),
            ("family name reading (kana)", |i| i.family_kana = "山田".into()),
            ("sex", |i| i.sex = "x".into()),
            ("birth date", |i| i.birth_date = "2027-01-01".into()),
            ("birth date", |i| i.birth_date = "1850-01-01".into()),
            ("birth date", |i| i.birth_date = "yesterday".into()),
            ("birth date", |i| i.birth_date = "S70.1.1".into()),
            ("birth date", |i| i.birth_date = "1950-02-30".into()),
            ("postal code", |i| i.postal_code = "12345".into()),
            ("phone", |i| i.phone = "12-3456".into()),
        ];
        for (field, mutate) in cases {
            let mut input = valid_input();
            mutate(&mut input);
            let err = Patient::build(Uuid::nil(), &input, today()).expect_err(field);
            assert_eq!(err.field, field);
        }
    }

    #[test]
    fn a_birth_date_past_the_end_of_its_era_is_refused_and_says_when_the_era_ended() {
        let mut input = valid_input();
        input.birth_date = "S64.1.8".into();
        let err = Patient::build(Uuid::nil(), &input, today()).expect_err("昭和 ended on 1989-01-07");
        assert_eq!(err.problem, "is outside its era: 昭和 ran from 1926-12-25 to 1989-01-07");
        input.birth_date = "S64.1.7".into();
        let p = Patient::build(Uuid::nil(), &input, today()).expect("the last day of 昭和");
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1989, 1, 7).expect("date"));
    }

    #[test]
    fn errors_do_not_repeat_what_was_typed() {
        let mut input = valid_input();
        input.family_kana = "秘密の名前".into();
        let err = Patient::build(Uuid::nil(), &input, today()).expect_err("kanji in kana");
        assert!(!err.to_string().contains("秘密"));
    }
}
