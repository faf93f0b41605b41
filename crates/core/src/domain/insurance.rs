//! Health insurance (保険): insurer number with its check digit (検証番号), symbol and number
//! (記号・番号), and the copay rate (負担割合).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::validation::{bounded_text, invalid, required_text, Check, Checker, Field, Problem, Valid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Insurance {
    /// 保険者番号: 8 digits (employee insurance) or 6 digits (national health insurance).
    pub insurer_number: String,
    /// 記号 (may be empty: national health insurance cards often have none).
    pub symbol: String,
    /// 番号.
    pub number: String,
    /// 負担割合 in percent: 10, 20 or 30.
    pub copay_percent: u8,
}

#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(default)]
pub struct InsuranceInput {
    pub insurer_number: String,
    pub symbol: String,
    pub number: String,
    pub copay_percent: u8,
}

impl Insurance {
    /// Validates `input`, reporting every bad field at once.
    pub fn build(input: &InsuranceInput) -> Valid<Self> {
        let mut checks = Checker::new();
        let insurer_number = checks.take(insurer_number(&input.insurer_number));
        let symbol = checks.take(bounded_text(Field::InsuranceSymbol, &input.symbol, 20));
        let number = checks.take(required_text(Field::InsuranceNumber, &input.number, 20));
        if !matches!(input.copay_percent, 10 | 20 | 30) {
            checks.add(Field::CopayPercent, Problem::BadCopay);
        }
        let (Some(insurer_number), Some(symbol), Some(number)) = (insurer_number, symbol, number) else {
            return checks.failed();
        };
        checks.finish()?;
        Ok(Self { insurer_number, symbol, number, copay_percent: input.copay_percent })
    }
}

/// Digits only (full-width accepted), six or eight long, with a correct check digit.
fn insurer_number(text: &str) -> Check<String> {
    const FIELD: Field = Field::InsurerNumber;
    let digits: String = super::kana::nfkc_compact(text);
    if digits.is_empty() {
        return invalid(FIELD, Problem::Required);
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) || !(digits.len() == 6 || digits.len() == 8) {
        return invalid(FIELD, Problem::BadInsurerNumber);
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    if check_digit(body) != check.chars().next().and_then(|c| c.to_digit(10)) {
        return invalid(FIELD, Problem::InsurerCheckDigit);
    }
    Ok(digits)
}

/// 検証番号: from the rightmost digit, multiply by 2, 1, 2, 1, …; add the digits of the products;
/// the check digit is 10 minus the last digit of that sum (0 when the sum ends in 0).
pub fn check_digit(body: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in body.chars().rev().enumerate() {
        let product = c.to_digit(10)? * if i % 2 == 0 { 2 } else { 1 };
        sum += product / 10 + product % 10;
    }
    Some((10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(number: &str) -> InsuranceInput {
        InsuranceInput { insurer_number: number.into(), symbol: "12".into(), number: "345".into(), copay_percent: 30 }
    }

    #[test]
    fn real_insurer_numbers_pass_their_check_digit() {
        // 協会けんぽ 東京支部, 協会けんぽ 大阪支部, 千代田区 国民健康保険.
        for number in ["01130012", "01270016", "131011", "０１１３００１２"] {
            assert!(Insurance::build(&input(number)).is_ok(), "{number}");
        }
    }

    #[test]
    fn a_mistyped_insurer_number_is_refused_with_a_clear_reason() {
        let err = Insurance::build(&input("01130013")).expect_err("wrong check digit");
        assert_eq!(err.problem(Field::InsurerNumber), Some(&Problem::InsurerCheckDigit));
        for short_or_lettered in ["0113001", "0113001a"] {
            let err = Insurance::build(&input(short_or_lettered)).expect_err(short_or_lettered);
            assert_eq!(err.problem(Field::InsurerNumber), Some(&Problem::BadInsurerNumber));
        }
    }

    #[test]
    fn copay_must_be_a_legal_rate() {
        let mut bad = input("01130012");
        bad.copay_percent = 25;
        assert_eq!(Insurance::build(&bad).expect_err("rate").problem(Field::CopayPercent), Some(&Problem::BadCopay));
    }
}
