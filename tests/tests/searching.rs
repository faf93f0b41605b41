//! Story: at the front desk, a receptionist types one or two characters of a surname, a reading
//! in whatever kana the keyboard gives, a chart number, a phone number or a birth date.

use mamori_core::clinic::Clinic;
use mamori_core::demo::{populate, DemoOptions};
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn front_desk(tmp: &std::path::Path) -> Clinic {
    let site = Site::new(tmp, MemoryStore::default());
    let mut clinic = site.login("doctor");
    populate(&mut clinic, &DemoOptions { patients: 300, seed: 5 }).expect("noise patients");
    for input in [
        patient("900001", ("山田", "太郎"), ("ヤマダ", "タロウ"), "1950-03-12", "03-1111-2222"),
        patient("900002", ("小山田", "誠"), ("オヤマダ", "マコト"), "1972-06-01", "090-5555-5678"),
        patient("900003", ("佐藤", "花子"), ("サトウ", "ハナコ"), "1985-01-20", "080-1234-0000"),
        patient("1234", ("東", "凛"), ("アズマ", "リン"), "2001-09-09", ""),
        patient("900005", ("太田", "大和"), ("オオタ", "ヤマト"), "1990-02-02", ""),
    ] {
        clinic.register_patient(&input).expect("register");
    }
    clinic
}

fn charts(clinic: &mut Clinic, query: &str) -> Vec<String> {
    clinic.search_patients(query, 500).expect("search").into_iter().map(|p| p.chart_no).collect()
}

#[test]
fn one_and_two_character_kanji_queries_find_the_right_patients() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = front_desk(tmp.path());
    let yamada = charts(&mut clinic, "山田");
    assert!(yamada.contains(&"900001".to_string()));
    assert!(!yamada.contains(&"900003".to_string()));
    for p in clinic.search_patients("山田", 500).expect("search") {
        assert!(p.name.contains("山田"), "every hit for 山田 is a 山田");
    }
    let yama = charts(&mut clinic, "山");
    assert!(yama.contains(&"900001".to_string()));
    assert!(!yama.contains(&"900003".to_string()));
    let sa = charts(&mut clinic, "佐");
    assert!(sa.contains(&"900003".to_string()) && !sa.contains(&"900001".to_string()));
}

#[test]
fn kana_in_any_width_or_script_finds_the_same_patients() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = front_desk(tmp.path());
    let hiragana = charts(&mut clinic, "やま");
    assert!(hiragana.contains(&"900001".to_string()));
    assert!(!hiragana.is_empty());
    assert_eq!(charts(&mut clinic, "ヤマ"), hiragana);
    assert_eq!(charts(&mut clinic, "ﾔﾏ"), hiragana);
    assert_eq!(charts(&mut clinic, "ヤ"), charts(&mut clinic, "や"));
    // Family names the desk is typing come before given names that happen to start alike.
    let position = |hits: &[String], chart: &str| hits.iter().position(|c| c == chart).expect("listed");
    assert!(position(&hiragana, "900001") < position(&hiragana, "900005"), "山田 before 太田 大和 for やま");
    // Three characters and more also match inside a reading: ヤマダ finds オヤマダ.
    let yamada = charts(&mut clinic, "ﾔﾏﾀﾞ");
    assert!(yamada.contains(&"900001".to_string()) && yamada.contains(&"900002".to_string()));
    // A full name with a space finds her, and only people of that name (the demo has namesakes).
    let full = clinic.search_patients("やまだ たろう", 500).expect("search");
    assert!(full.iter().any(|p| p.chart_no == "900001"), "山田 太郎 is found");
    assert!(
        full.iter().all(|p| p.kana == "ヤマダ タロウ"),
        "only 山田 太郎: {:?}",
        full.iter().map(|p| &p.kana).collect::<Vec<_>>()
    );
}

#[test]
fn an_exact_chart_number_ranks_first_and_phones_and_birth_dates_match() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = front_desk(tmp.path());
    // 1234 is 東 凛's chart number and also inside 佐藤 花子's phone.
    let hits = charts(&mut clinic, "1234");
    assert_eq!(hits[0], "1234");
    assert!(hits.contains(&"900003".to_string()));
    assert_eq!(charts(&mut clinic, "000001")[0], "000001", "the first demo patient by full chart number");
    assert_eq!(charts(&mut clinic, "1")[0], "000001", "leading zeros are optional");
    assert!(charts(&mut clinic, "5678").contains(&"900002".to_string()));
    assert!(charts(&mut clinic, "090-5555-5678").contains(&"900002".to_string()));
    for query in ["1950-03-12", "S25.3.12", "昭和25年3月12日"] {
        assert!(charts(&mut clinic, query).contains(&"900001".to_string()), "{query}");
    }
}

#[test]
fn an_empty_or_absurd_query_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = front_desk(tmp.path());
    assert!(matches!(clinic.search_patients("  ", 10), Err(Error::Invalid(_))));
    assert!(matches!(clinic.search_patients(&"あ".repeat(200), 10), Err(Error::Invalid(_))));
    assert!(clinic.search_patients("\"); DROP TABLE patients; --", 10).expect("quotes are safe").is_empty());
    assert!(!charts(&mut clinic, "山田").is_empty());
}
