use chrono::Duration;
use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn outside(era: &'static str) -> impl Fn(Result<NaiveDate, DateProblem>) -> bool {
    move |read| matches!(read, Err(DateProblem::OutsideEra { era: e, .. }) if e == era)
}

#[test]
fn western_and_era_forms_give_the_same_day() {
    for text in ["1950-03-12", "1950/3/12", "19500312", "S25.3.12", "s25/03/12", "昭和25年3月12日", "Ｓ２５．３．１２"]
    {
        assert_eq!(parse_date(text), Some(date(1950, 3, 12)), "{text}");
    }
    assert_eq!(parse_date("R1.5.1"), Some(date(2019, 5, 1)));
}

#[test]
fn each_era_runs_between_the_days_it_began_and_ended() {
    let bounds: Vec<(&str, NaiveDate, Option<NaiveDate>)> =
        ERAS.iter().map(|era| (era.name, era.starts(), era.ends())).collect();
    assert_eq!(
        bounds,
        [
            ("明治", date(1868, 10, 23), Some(date(1912, 7, 29))),
            ("大正", date(1912, 7, 30), Some(date(1926, 12, 24))),
            ("昭和", date(1926, 12, 25), Some(date(1989, 1, 7))),
            ("平成", date(1989, 1, 8), Some(date(2019, 4, 30))),
            ("令和", date(2019, 5, 1), None),
        ]
    );
}

#[test]
fn the_last_day_of_showa_is_accepted_and_the_day_after_is_refused() {
    assert_eq!(read_date("S64.1.7"), Ok(date(1989, 1, 7)));
    assert!(outside("昭和")(read_date("S64.1.8")));
    assert!(outside("昭和")(read_date("昭和64年1月8日")));
    assert_eq!(read_date("H1.1.8"), Ok(date(1989, 1, 8)));
    assert!(outside("平成")(read_date("H1.1.7")));
    assert_eq!(read_date("H31.4.30"), Ok(date(2019, 4, 30)));
    assert!(outside("平成")(read_date("H31.5.1")));
    assert!(outside("令和")(read_date("R1.4.30")));
}

#[test]
fn a_showa_year_after_the_era_ended_is_refused_with_a_clear_reason() {
    let problem = read_date("S70.1.1").expect_err("昭和 had no 70th year");
    assert_eq!(
        problem,
        DateProblem::OutsideEra { era: "昭和", first: date(1926, 12, 25), last: Some(date(1989, 1, 7)) }
    );
    assert_eq!(problem.code(), "outside_era");
    let error = problem.invalid::<()>(Field::BirthDate).expect_err("an error");
    assert_eq!(error.field, Field::BirthDate);
    assert_eq!(
        error.problem,
        Problem::OutsideEra { era: "昭和".into(), first: "1926-12-25".into(), last: "1989-01-07".into() }
    );
    let shown = serde_json::to_string(&error).expect("json");
    assert!(!shown.contains("70"), "the error does not repeat what was typed: {shown}");
    assert!(outside("大正")(read_date("T16.1.1")));
    assert!(outside("明治")(read_date("M46.1.1")));
}

#[test]
fn reiwa_is_open_ended() {
    assert_eq!(read_date("R30.1.1"), Ok(date(2048, 1, 1)));
    assert_eq!(read_date("令和100年12月31日"), Ok(date(2118, 12, 31)));
    let problem = read_date("R1.4.30").expect_err("before 令和 began");
    assert_eq!(
        problem.invalid::<()>(Field::BirthDate).expect_err("error").problem,
        Problem::BeforeEra { era: "令和".into(), first: "2019-05-01".into() }
    );
}

#[test]
fn gannen_is_year_one_in_every_written_form() {
    for text in ["H元.1.8", "h元/1/8", "平成元年1月8日", "平成元年1月8日", "Ｈ元．１．８"] {
        assert_eq!(read_date(text), Ok(date(1989, 1, 8)), "{text}");
    }
    assert_eq!(read_date("令和元年5月1日"), Ok(date(2019, 5, 1)));
    assert_eq!(read_date("S元.12.25"), Ok(date(1926, 12, 25)));
    assert!(outside("平成")(read_date("平成元年1月7日")));
    assert_eq!(read_date("S25.元.1"), Err(DateProblem::NotADate), "元 names a year, never a month");
}

#[test]
fn impossible_days_are_told_apart_from_text_that_is_no_date() {
    for text in ["1950-02-30", "19500230", "1950/13/1", "S25.2.30", "H31.2.29"] {
        assert_eq!(read_date(text), Err(DateProblem::Impossible), "{text}");
    }
    for text in ["山田", "12345", "S25.3", "S25.3.12.1", "1950-3", "X25.3.12", ""] {
        assert_eq!(read_date(text), Err(DateProblem::NotADate), "{text}");
    }
    assert!(outside("昭和")(read_date("S0.1.1")));
    assert_eq!(DateProblem::Impossible.code(), "impossible_date");
    assert_eq!(DateProblem::NotADate.code(), "not_a_date");
}

#[test]
fn dates_print_in_the_era_they_fall_in() {
    let show = |y, m, d| to_wareki(date(y, m, d));
    assert_eq!(show(1950, 3, 12), "昭和25年3月12日");
    assert_eq!(show(1989, 1, 7), "昭和64年1月7日");
    assert_eq!(show(1989, 1, 8), "平成元年1月8日");
    assert_eq!(show(2019, 4, 30), "平成31年4月30日");
    assert_eq!(show(2019, 5, 1), "令和元年5月1日");
    assert_eq!(show(1912, 7, 29), "明治45年7月29日");
    assert_eq!(show(1868, 10, 23), "明治元年10月23日");
    assert_eq!(show(1868, 10, 22), "1868年10月22日");
}

/// A day inside era `index`: 令和 is followed for its first hundred years.
fn day_in_era(index: usize, offset: i64) -> NaiveDate {
    let era = &ERAS[index];
    let last = era.ends().unwrap_or_else(|| date(era.year_offset + 100, 12, 31));
    let span = (last - era.starts()).num_days() + 1;
    era.starts() + Duration::days(offset.rem_euclid(span))
}

/// The date written with `era`'s letter and year number, e.g. S25.3.12 (whether or not the era
/// still ran that day).
fn letter_form(era: &Era, date: NaiveDate) -> String {
    format!("{}{}.{}.{}", era.letter, date.year() - era.year_offset, date.month(), date.day())
}

proptest! {
    #[test]
    fn every_date_in_each_era_round_trips_through_its_written_forms(
        index in 0..ERAS.len(),
        offset in 0i64..60_000,
    ) {
        let era = &ERAS[index];
        let day = day_in_era(index, offset);
        let kanji = to_wareki(day);
        prop_assert!(kanji.starts_with(era.name), "{kanji}");
        prop_assert_eq!(read_date(&kanji), Ok(day), "{}", kanji);
        let letters = letter_form(era, day);
        prop_assert_eq!(read_date(&letters), Ok(day), "{}", letters);
        prop_assert_eq!(read_date(&letters.to_lowercase().replace('.', "/")), Ok(day));
        let wide: String = letters.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect();
        prop_assert_eq!(read_date(&wide), Ok(day), "{}", wide);
        prop_assert_eq!(read_date(&day.format("%Y-%m-%d").to_string()), Ok(day));
        prop_assert_eq!(read_date(&day.format("%Y%m%d").to_string()), Ok(day));
    }

    #[test]
    fn every_year_past_an_eras_end_is_refused(
        index in 0..ERAS.len() - 1,
        past in 1i32..200,
        month in 1u32..=12,
        day in 1u32..=28,
    ) {
        let era = &ERAS[index];
        let year = era.last_year().expect("only the current era has no end") + past;
        for text in [format!("{}{year}.{month}.{day}", era.letter), format!("{}{year}年{month}月{day}日", era.name)] {
            prop_assert!(outside(era.name)(read_date(&text)), "{}", text);
        }
    }

    #[test]
    fn every_day_after_an_eras_end_or_before_its_start_is_refused_in_its_numbering(
        index in 0..ERAS.len(),
        days in 1i64..=366,
    ) {
        let era = &ERAS[index];
        // Written as year 1 of the era (or year 0, which no era has).
        let before = era.starts() - Duration::days(days);
        prop_assert!(outside(era.name)(read_date(&letter_form(era, before))), "{}", letter_form(era, before));
        if let Some(last) = era.ends() {
            let after = last + Duration::days(days);
            prop_assert!(outside(era.name)(read_date(&letter_form(era, after))), "{}", letter_form(era, after));
        }
    }
}
