//! Properties of the parsers that take text and bytes from outside: whatever comes in, they
//! answer with a value or a clear error, never a panic or a database error.

use chrono::NaiveDate;
use mamori_core::domain::dates::parse_date;
use mamori_core::domain::kana::{fold_for_search, reading};
use mamori_core::domain::{Field, Patient, PatientInput};
use mamori_core::messages::{render, Lang};
use mamori_core::vault::KeyFile;
use mamori_core::Error;
use proptest::prelude::*;

proptest! {
    #[test]
    fn folding_never_panics_and_is_idempotent(text in any::<String>()) {
        let once = fold_for_search(&text);
        prop_assert_eq!(fold_for_search(&once), once);
    }

    #[test]
    fn hiragana_and_katakana_spellings_fold_alike(hiragana in "[ぁ-ゖー]{1,12}") {
        let katakana: String = hiragana.chars().map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        }).collect();
        prop_assert_eq!(fold_for_search(&katakana), fold_for_search(&hiragana));
        prop_assert!(reading(Field::FamilyKana, &hiragana).is_ok());
    }

    /// The era round trips and bounds are properties in `domain::dates`'s own tests.
    #[test]
    fn any_text_is_a_date_or_not_without_panicking(text in any::<String>()) {
        let _ = parse_date(&text);
    }

    #[test]
    fn a_refused_form_names_fields_but_never_repeats_what_was_typed(
        name in "[a-zA-Z0-9山田秘]{6,20}",
        kana in "[a-zA-Z0-9山田秘]{6,20}",
        phone in "[a-z秘]{6,20}",
        birth in "[a-z秘]{6,20}",
    ) {
        let input = PatientInput {
            chart_no: "1".into(),
            family_name: format!("{name}1"),
            given_name: "花子".into(),
            family_kana: format!("{kana}秘"),
            given_kana: "ハナコ".into(),
            sex: "f".into(),
            birth_date: birth.clone(),
            phone: phone.clone(),
            ..Default::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        let refused = Patient::build(uuid::Uuid::nil(), &input, today).expect_err("four bad fields");
        let fields: Vec<Field> = refused.fields().iter().map(|e| e.field).collect();
        prop_assert_eq!(fields, vec![Field::FamilyName, Field::FamilyKana, Field::BirthDate, Field::Phone]);
        let report = Error::from(refused).report();
        let shown = [
            report.message.clone(),
            serde_json::to_string(&report).expect("json"),
            render(&report, Lang::Ja),
            render(&report, Lang::En),
        ];
        for text in shown {
            for typed in [&name, &kana, &phone, &birth] {
                prop_assert!(!text.contains(typed.as_str()), "{} shows {}", text, typed);
            }
        }
    }

    #[test]
    fn any_bytes_as_a_key_file_are_refused_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        std::fs::write(&path, &bytes).expect("write");
        let refused_cleanly = matches!(KeyFile::load(&path), Err(Error::KeyFileInvalid { .. } | Error::KeyFileVersion { .. }));
        prop_assert!(refused_cleanly);
    }
}

/// Search queries go into FTS5 MATCH expressions: quotes, operators and odd characters must
/// come back as results or a validation error, never as an SQL error.
#[test]
fn any_search_text_gives_results_or_a_validation_error() {
    use mamori_core::clinic::Clinic;
    use mamori_core::clock::ManualClock;
    use mamori_core::domain::{Role, User};
    use mamori_core::secret::Password;
    use mamori_core::vault::MemoryStore;

    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = MemoryStore::default();
    let dir = mamori_core::clinic::DataDir::new(tmp.path().join("clinic"));
    let doctor = User::build("doctor", "守", Role::Doctor).expect("user");
    let clock = ManualClock::at(chrono::Utc::now());
    let (mut clinic, _, _) =
        Clinic::init(&dir, &keyring, Box::new(clock), &doctor, &Password::new("doctor-password-1")).expect("init");
    mamori_core::demo::populate(&mut clinic, &mamori_core::demo::DemoOptions { patients: 30, seed: 1 }).expect("demo");

    let shared = std::cell::RefCell::new(clinic);
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&any::<String>(), |query| match shared.borrow_mut().search_patients(&query, 10) {
            Ok(_) | Err(Error::Invalid(_)) => Ok(()),
            Err(other) => Err(TestCaseError::fail(format!("{query:?}: {other}"))),
        })
        .expect("every query is answered");
    let mut clinic = shared.into_inner();
    for nasty in ["\"", "\"\"\"", "a\" OR \"b", "NEAR(x y)", "*", "^abc", "abc:def", "-abc", "a AND", "(((", "\u{0}abc"]
    {
        assert!(matches!(clinic.search_patients(nasty, 10), Ok(_) | Err(Error::Invalid(_))), "{nasty:?}");
    }
}
