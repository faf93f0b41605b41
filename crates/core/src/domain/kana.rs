//! Kana readings: normalization to full-width katakana for storage, and folding to hiragana for
//! search so that ﾔﾏﾀﾞ, ヤマダ and やまだ all find the same patient.

use unicode_normalization::UnicodeNormalization;

use super::validation::{invalid, Check, Field, Problem};

/// NFKC (half-width katakana and full-width ASCII become standard forms; ｶﾞ composes to ガ),
/// with all spaces removed. Normalized again after the spaces go, because NFKC can turn a
/// character into a space plus a combining mark (¨ → " ̈") that then composes with its
/// neighbour: the result is stable under a second call.
pub fn nfkc_compact(text: &str) -> String {
    let without_spaces: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    without_spaces.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Folds katakana to hiragana after NFKC; other characters are kept. Used for search keys.
pub fn fold_for_search(text: &str) -> String {
    nfkc_compact(text).chars().map(katakana_to_hiragana).collect()
}

fn katakana_to_hiragana(c: char) -> char {
    match c {
        // ァ..ヶ map onto ぁ..ゖ, 0x60 code points below.
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

fn is_reading_char(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | 'ヽ' | 'ヾ')
}

/// A reading for storage: full-width katakana, any of hiragana / katakana / half-width accepted.
pub fn reading(field: Field, text: &str) -> Check<String> {
    const MAX: usize = 40;
    let katakana: String = nfkc_compact(text).chars().map(hiragana_to_katakana).collect();
    if katakana.is_empty() {
        return invalid(field, Problem::Required);
    }
    if katakana.chars().count() > MAX {
        return invalid(field, Problem::TooLong { max: MAX });
    }
    if !katakana.chars().all(is_reading_char) {
        return invalid(field, Problem::WrongKana);
    }
    Ok(katakana)
}

/// True when every character is kana (after folding), so a query can target readings.
pub fn is_kana_query(folded: &str) -> bool {
    !folded.is_empty() && folded.chars().all(|c| matches!(c, '\u{3041}'..='\u{3096}' | 'ー' | '・'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_katakana_and_hiragana_fold_to_the_same_search_key() {
        assert_eq!(fold_for_search("ﾔﾏﾀﾞ ﾀﾛｳ"), "やまだたろう");
        assert_eq!(fold_for_search("ヤマダ　タロウ"), "やまだたろう");
        assert_eq!(fold_for_search("やまだ たろう"), "やまだたろう");
        assert_eq!(fold_for_search("山田"), "山田");
    }

    #[test]
    fn readings_are_stored_as_full_width_katakana() {
        assert_eq!(reading(Field::FamilyKana, "ｻﾄｳ").as_deref(), Ok("サトウ"));
        assert_eq!(reading(Field::FamilyKana, "さとう").as_deref(), Ok("サトウ"));
        assert_eq!(reading(Field::FamilyKana, "ヴァイオレット").as_deref(), Ok("ヴァイオレット"));
    }

    #[test]
    fn readings_with_kanji_or_latin_letters_are_refused() {
        for bad in ["佐藤", "Sato", "サトウ1", "", "   "] {
            assert!(reading(Field::FamilyKana, bad).is_err(), "{bad:?} should be refused");
        }
    }
}
