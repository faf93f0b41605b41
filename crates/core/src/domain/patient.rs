//! The patient: identity, reading, contact and insurance.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::insurance::{Insurance, InsuranceInput};
use super::kana::{self, nfkc_compact};
use super::validation::{bounded_text, invalid, required_text, Check, Checker, Field, Problem, Valid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
}

impl Sex {
    /// Accepts the codes the front desk uses: M/F/O, male/female/other, 男/女.
    pub fn parse(text: &str) -> Check<Self> {
        match nfkc_compact(text).to_lowercase().as_str() {
            "m" | "male" | "男" | "男性" => Ok(Sex::Male),
            "f" | "female" | "女" | "女性" => Ok(Sex::Female),
            "o" | "other" | "その他" => Ok(Sex::Other),
            _ => invalid(Field::Sex, Problem::UnknownSex),
        }
    }
}

/// Why a sensitive chart is watched more closely (the insider detector looks at every
/// unexplained opening of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveKind {
    /// A staff member's own chart.
    Staff,
    /// A staff member's family.
    StaffFamily,
    /// A public figure (a local politician, an athlete, a celebrity).
    PublicFigure,
}

impl SensitiveKind {
    /// Accepts the form's codes; an empty choice is none.
    pub fn parse(text: &str) -> Check<Option<Self>> {
        match nfkc_compact(text).as_str() {
            "" => Ok(None),
            "staff" => Ok(Some(SensitiveKind::Staff)),
            "staff_family" => Ok(Some(SensitiveKind::StaffFamily)),
            "public_figure" => Ok(Some(SensitiveKind::PublicFigure)),
            _ => invalid(Field::SensitiveKind, Problem::UnknownChoice),
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
    /// Why (absent in charts marked before the reasons existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sensitive_kind: Option<SensitiveKind>,
    /// The staff member (login) whose own or family chart this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub staff_member: Option<String>,
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
    /// "", "staff", "staff_family" or "public_figure"; any but "" marks the chart sensitive.
    pub sensitive_kind: String,
    /// The staff member's login, for a staff member's own or family chart.
    pub staff_member: String,
}

/// A watched chart's reason and, for a staff member's own or family chart, the staff member.
fn watch(kind: &str, staff_member: &str) -> Check<(Option<SensitiveKind>, Option<String>)> {
    let kind = SensitiveKind::parse(kind)?;
    match kind {
        Some(SensitiveKind::Staff | SensitiveKind::StaffFamily) => {
            let member = nfkc_compact(staff_member);
            if member.is_empty() {
                return invalid(Field::StaffMember, Problem::StaffMemberRequired);
            }
            Ok((kind, Some(bounded_text(Field::StaffMember, &member, 64)?)))
        }
        _ => Ok((kind, None)),
    }
}

impl Patient {
    /// Validates `input`, reporting every bad field at once; `today` bounds the birth date.
    pub fn build(id: Uuid, input: &PatientInput, today: NaiveDate) -> Valid<Self> {
        let mut checks = Checker::new();
        let chart_no = checks.take(chart_no(&input.chart_no));
        let family_name = checks.take(name(Field::FamilyName, &input.family_name));
        let given_name = checks.take(name(Field::GivenName, &input.given_name));
        let family_kana = checks.take(kana::reading(Field::FamilyKana, &input.family_kana));
        let given_kana = checks.take(kana::reading(Field::GivenKana, &input.given_kana));
        let sex = checks.take(Sex::parse(&input.sex));
        let birth_date = checks.take(birth_date(&input.birth_date, today));
        let postal_code = checks.take(postal_code(&input.postal_code));
        let address = checks.take(bounded_text(Field::Address, &input.address, 200));
        let phone = checks.take(phone(&input.phone));
        let insurance = checks.take(input.insurance.as_ref().map(Insurance::build).transpose());
        let watch = checks.take(watch(&input.sensitive_kind, &input.staff_member));
        let (
            Some(chart_no),
            Some(family_name),
            Some(given_name),
            Some(family_kana),
            Some(given_kana),
            Some(sex),
            Some(birth_date),
            Some(postal_code),
            Some(address),
            Some(phone),
            Some(insurance),
            Some((sensitive_kind, staff_member)),
        ) = (
            chart_no,
            family_name,
            given_name,
            family_kana,
            given_kana,
            sex,
            birth_date,
            postal_code,
            address,
            phone,
            insurance,
            watch,
        )
        else {
            return checks.failed();
        };
        Ok(Self {
            id,
            chart_no,
            family_name,
            given_name,
            family_kana,
            given_kana,
            sex,
            birth_date,
            postal_code,
            address,
            phone,
            insurance,
            sensitive: input.sensitive || sensitive_kind.is_some(),
            sensitive_kind,
            staff_member,
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

fn chart_no(text: &str) -> Check<String> {
    const MAX: usize = 12;
    let value = nfkc_compact(text);
    if value.is_empty() {
        return invalid(Field::ChartNo, Problem::Required);
    }
    if value.len() > MAX || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return invalid(Field::ChartNo, Problem::BadChartNo { max: MAX });
    }
    Ok(value)
}

fn name(field: Field, text: &str) -> Check<String> {
    let value = required_text(field, text, 40)?;
    if value.chars().any(|c| c.is_ascii_digit()) {
        return invalid(field, Problem::ContainsDigits);
    }
    Ok(value)
}

fn birth_date(text: &str, today: NaiveDate) -> Check<NaiveDate> {
    const OLDEST_YEARS: u32 = 125;
    if text.trim().is_empty() {
        return invalid(Field::BirthDate, Problem::Required);
    }
    let date = match super::dates::read_date(text) {
        Ok(date) => date,
        Err(problem) => return problem.invalid(Field::BirthDate),
    };
    if date > today {
        return invalid(Field::BirthDate, Problem::InFuture);
    }
    if today.years_since(date).unwrap_or(0) > OLDEST_YEARS {
        return invalid(Field::BirthDate, Problem::TooOld { years: OLDEST_YEARS });
    }
    Ok(date)
}

fn postal_code(text: &str) -> Check<Option<String>> {
    let digits: String = nfkc_compact(text).chars().filter(|c| *c != '-' && *c != '〒').collect();
    if digits.is_empty() {
        return Ok(None);
    }
    if digits.len() != 7 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return invalid(Field::PostalCode, Problem::BadPostalCode);
    }
    Ok(Some(format!("{}-{}", &digits[..3], &digits[3..])))
}

fn phone(text: &str) -> Check<Option<String>> {
    let value = nfkc_compact(text);
    if value.is_empty() {
        return Ok(None);
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = value.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !shape_ok || !digits.starts_with('0') || !(10..=11).contains(&digits.len()) {
        return invalid(Field::Phone, Problem::BadPhone);
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::super::validation::FieldError;
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
            ..PatientInput::default()
        }
    }

    #[test]
    fn a_watched_chart_says_why_and_a_staff_chart_names_the_staff_member() {
        let staff =
            PatientInput { sensitive_kind: "staff_family".into(), staff_member: "nurse1".into(), ..valid_input() };
        let p = Patient::build(Uuid::nil(), &staff, today()).expect("valid");
        assert!(p.sensitive, "a reason marks the chart sensitive");
        assert_eq!((p.sensitive_kind, p.staff_member.as_deref()), (Some(SensitiveKind::StaffFamily), Some("nurse1")));

        let nameless = PatientInput { sensitive_kind: "staff".into(), ..valid_input() };
        let errors = Patient::build(Uuid::nil(), &nameless, today()).expect_err("names no one");
        assert!(errors.to_string().contains("must name the staff member"), "{errors}");
        let unknown = PatientInput { sensitive_kind: "mayor".into(), ..valid_input() };
        assert!(Patient::build(Uuid::nil(), &unknown, today()).is_err(), "an unknown reason is refused");

        let public = PatientInput { sensitive_kind: "public_figure".into(), staff_member: "x".into(), ..valid_input() };
        let p = Patient::build(Uuid::nil(), &public, today()).expect("valid");
        assert_eq!((p.sensitive_kind, p.staff_member), (Some(SensitiveKind::PublicFigure), None));
        let plain = Patient::build(Uuid::nil(), &valid_input(), today()).expect("valid");
        let json = serde_json::to_value(&plain).expect("json");
        assert!(
            json.get("sensitive_kind").is_none() && json.get("staff_member").is_none(),
            "old charts keep their bytes"
        );
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
    fn each_bad_field_is_named_with_its_problem() {
        type Mutation = fn(&mut PatientInput);
        let cases: Vec<(Field, Problem, Mutation)> = vec![
            (Field::ChartNo, Problem::Required, |i| i.chart_no = " ".into()),
            (Field::ChartNo, Problem::BadChartNo { max: 12 }, |i| i.chart_no = "0001-2345-6789".into()),
            (Field::FamilyName, Problem::Required, |i| i.family_name = "".into()),
            (Field::GivenName, Problem::ContainsDigits, |i| i.given_name = "花子2".into()),
            (Field::FamilyKana, Problem::WrongKana, |i| i.family_kana = "山田".into()),
            (Field::Sex, Problem::UnknownSex, |i| i.sex = "x".into()),
            (Field::BirthDate, Problem::InFuture, |i| i.birth_date = "2027-01-01".into()),
            (Field::BirthDate, Problem::TooOld { years: 125 }, |i| i.birth_date = "1850-01-01".into()),
            (Field::BirthDate, Problem::NotADate, |i| i.birth_date = "yesterday".into()),
            (Field::BirthDate, Problem::ImpossibleDate, |i| i.birth_date = "1950-02-30".into()),
            (
                Field::BirthDate,
                Problem::OutsideEra { era: "昭和".into(), first: "1926-12-25".into(), last: "1989-01-07".into() },
                |i| i.birth_date = "S70.1.1".into(),
            ),
            (Field::PostalCode, Problem::BadPostalCode, |i| i.postal_code = "12345".into()),
            (Field::Phone, Problem::BadPhone, |i| i.phone = "12-3456".into()),
            (Field::Address, Problem::TooLong { max: 200 }, |i| i.address = "あ".repeat(201)),
            (Field::Address, Problem::ControlCharacter, |i| i.address = "東京\u{7}".into()),
        ];
        for (field, problem, mutate) in cases {
            let mut input = valid_input();
            mutate(&mut input);
            let err = Patient::build(Uuid::nil(), &input, today()).expect_err(field.as_str());
            assert_eq!(err.fields(), [FieldError::new(field, problem)], "{field:?}");
        }
    }

    #[test]
    fn a_birth_date_past_the_end_of_its_era_is_refused_and_says_when_the_era_ended() {
        let mut input = valid_input();
        input.birth_date = "S64.1.8".into();
        let err = Patient::build(Uuid::nil(), &input, today()).expect_err("昭和 ended on 1989-01-07");
        assert_eq!(
            err.fields()[0].problem,
            Problem::OutsideEra { era: "昭和".into(), first: "1926-12-25".into(), last: "1989-01-07".into() }
        );
        input.birth_date = "S64.1.7".into();
        let p = Patient::build(Uuid::nil(), &input, today()).expect("the last day of 昭和");
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1989, 1, 7).expect("date"));
    }

    #[test]
    fn a_form_with_three_bad_fields_names_all_three_at_once() {
        let mut input = valid_input();
        input.family_kana = "山田".into();
        input.birth_date = "S25.2.30".into();
        input.phone = "12-3456".into();
        input.insurance = Some(InsuranceInput {
            insurer_number: "01130013".into(),
            number: "1".into(),
            copay_percent: 30,
            ..Default::default()
        });
        let err = Patient::build(Uuid::nil(), &input, today()).expect_err("four bad fields");
        let refused: Vec<(Field, Problem)> = err.fields().iter().map(|e| (e.field, e.problem.clone())).collect();
        assert_eq!(
            refused,
            [
                (Field::FamilyKana, Problem::WrongKana),
                (Field::BirthDate, Problem::ImpossibleDate),
                (Field::Phone, Problem::BadPhone),
                (Field::InsurerNumber, Problem::InsurerCheckDigit),
            ]
        );
    }

    #[test]
    fn errors_do_not_repeat_what_was_typed() {
        let mut input = valid_input();
        input.family_kana = "秘密の名前".into();
        input.phone = "秘密の電話".into();
        let err = Patient::build(Uuid::nil(), &input, today()).expect_err("kanji in kana");
        let json = serde_json::to_string(&err).expect("json");
        for shown in [err.to_string(), json] {
            assert!(!shown.contains("秘密"), "{shown}");
        }
    }
}
