//! Dates typed at the front desk: western (1950-03-12, 1950/3/12, 19500312) or Japanese era
//! (S25.3.12, 昭和25年3月12日, H元.1.8).

use chrono::NaiveDate;

/// A Japanese era: its letter and name, the western year before its year 1, and its first day.
struct Era {
    letter: &'static str,
    name: &'static str,
    year_offset: i32,
    first_day: (i32, u32, u32),
}

const ERAS: &[Era] = &[
    Era { letter: "M", name: "明治", year_offset: 1867, first_day: (1868, 1, 25) },
    Era { letter: "T", name: "大正", year_offset: 1911, first_day: (1912, 7, 30) },
    Era { letter: "S", name: "昭和", year_offset: 1925, first_day: (1926, 12, 25) },
    Era { letter: "H", name: "平成", year_offset: 1988, first_day: (1989, 1, 8) },
    Era { letter: "R", name: "令和", year_offset: 2018, first_day: (2019, 5, 1) },
];

impl Era {
    fn starts(&self) -> Option<NaiveDate> {
        ymd(self.first_day.0, self.first_day.1, self.first_day.2)
    }
}

/// Parses a date in any of the accepted forms; `None` if it is not one.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = super::kana::nfkc_compact(text);
    parse_western(&text).or_else(|| parse_era(&text))
}

fn parse_western(text: &str) -> Option<NaiveDate> {
    if text.len() == 8 && text.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(text, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        return ymd(parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?);
    }
    None
}

fn parse_era(text: &str) -> Option<NaiveDate> {
    let upper = text.to_uppercase();
    let (era, rest) = ERAS.iter().find_map(|era| {
        upper.strip_prefix(era.letter).or_else(|| upper.strip_prefix(era.name)).map(|rest| (era, rest.to_string()))
    })?;
    let rest = rest.replace('元', "1");
    let parts: Vec<&str> = rest.split(['.', '/', '-', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return None;
    }
    let era_year: i32 = parts[0].parse().ok()?;
    if era_year < 1 {
        return None;
    }
    let date = ymd(era.year_offset + era_year, parts[1].parse().ok()?, parts[2].parse().ok()?)?;
    (date >= era.starts()?).then_some(date)
}

/// The date in the Japanese era calendar, e.g. 昭和25年3月12日 (元年 for year one).
pub fn to_wareki(date: NaiveDate) -> String {
    use chrono::Datelike;
    let era = ERAS.iter().rev().find(|era| era.starts().is_some_and(|first| date >= first));
    match era {
        Some(era) => {
            let year = date.year() - era.year_offset;
            let year = if year == 1 { "元".to_string() } else { year.to_string() };
            format!("{}{year}年{}月{}日", era.name, date.month(), date.day())
        }
        None => date.format("%Y年%-m月%-d日").to_string(),
    }
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn western_and_era_forms_give_the_same_day() {
        for text in
            ["1950-03-12", "1950/3/12", "19500312", "S25.3.12", "s25/03/12", "昭和25年3月12日", "Ｓ２５．３．１２"]
        {
            assert_eq!(parse_date(text), date(1950, 3, 12), "{text}");
        }
        assert_eq!(parse_date("H元.1.8"), date(1989, 1, 8));
        assert_eq!(parse_date("R1.5.1"), date(2019, 5, 1));
    }

    #[test]
    fn dates_print_in_the_era_they_fall_in() {
        let show = |y, m, d| to_wareki(date(y, m, d).expect("date"));
        assert_eq!(show(1950, 3, 12), "昭和25年3月12日");
        assert_eq!(show(1989, 1, 7), "昭和64年1月7日");
        assert_eq!(show(1989, 1, 8), "平成元年1月8日");
        assert_eq!(show(2019, 5, 1), "令和元年5月1日");
    }

    #[test]
    fn impossible_dates_and_words_are_not_dates() {
        for text in ["1950-02-30", "H1.1.7", "S0.1.1", "山田", "12345", "S25.3"] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
