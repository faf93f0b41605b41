//! The message catalog: the Japanese and English text of every error code (`errors.<code>`),
//! validation problem (`validation.<code>`) and field (`fields.<id>`), in
//! `crates/core/messages/{ja,en}.json`. It is the one catalog of these messages: the core embeds
//! it (so the CLI, which links the core, prints from it) and the UI imports the same files into
//! its translations. Templates fill `{name}` from the members of the report or field error they
//! render, exactly as the UI's `t(key, params)` does; the `section`, `access` and `what` members
//! are names from the code and are shown translated ([`TRANSLATED_PARAMS`]).

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::domain::validation::FieldError;
use crate::report::ErrorReport;

const EN: &str = include_str!("../messages/en.json");
const JA: &str = include_str!("../messages/ja.json");

/// The language a front end speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Japanese for a POSIX locale name starting with `ja` (`ja_JP.UTF-8`, `ja`), else English.
    pub fn from_locale(name: &str) -> Lang {
        if name.trim().to_ascii_lowercase().starts_with("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }
}

fn catalog(lang: Lang) -> &'static Value {
    static CATALOGS: OnceLock<(Value, Value)> = OnceLock::new();
    let (ja, en) = CATALOGS.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str(text).expect("the embedded catalog is valid JSON (tested)");
        (parse(JA), parse(EN))
    });
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The template at a dotted `key` (`validation.wrong_kana`) in `lang`, if the catalog has it.
pub fn template(lang: Lang, key: &str) -> Option<&'static str> {
    key.split('.').try_fold(catalog(lang), |node, part| node.get(part))?.as_str()
}

/// `template` with every `{name}` that `params` holds filled in; unknown names stay as they are.
pub fn interpolate(template: &str, params: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').filter(|&end| after[..end].chars().all(|c| c.is_alphanumeric() || c == '_'));
        match close.and_then(|end| params.get(&after[..end]).map(|value| (end, value))) {
            Some((end, value)) => {
                out.push_str(&param_text(value));
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A parameter as text: 40.0 reads "40", 0.3 reads "0.3", a string as it is.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => match (number.as_i64(), number.as_f64()) {
            (Some(whole), _) => whole.to_string(),
            (None, Some(real)) => real.to_string(),
            (None, None) => number.to_string(),
        },
        other => other.to_string(),
    }
}

/// The text at `key` in `lang` (falling back to English, then to the key itself) filled from
/// `params`.
fn text(lang: Lang, key: &str, params: &Map<String, Value>) -> String {
    let template = template(lang, key).or_else(|| template(Lang::En, key)).unwrap_or(key);
    interpolate(template, params)
}

/// Members whose value is a name the catalog translates, and the group that holds the names.
pub const TRANSLATED_PARAMS: [(&str, &str); 3] =
    [("section", "section_names"), ("access", "access_names"), ("what", "record_names")];

/// The members of `value` as template parameters, with policy names translated into `lang`.
fn params(value: &impl serde::Serialize, lang: Lang) -> Map<String, Value> {
    let mut map = match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (param, group) in TRANSLATED_PARAMS {
        let name = map.get(param).and_then(Value::as_str).and_then(|name| template(lang, &format!("{group}.{name}")));
        if let Some(name) = name {
            map.insert(param.to_string(), name.into());
        }
    }
    map
}

/// A field's label, with its list item when it has one (`薬剤` / `2件目の薬剤`).
pub fn field_label(error: &FieldError, lang: Lang) -> String {
    let label = text(lang, &format!("fields.{}", error.field.as_str()), &Map::new());
    match error.item {
        None => label,
        Some(item) => {
            let params = Map::from_iter([("field".to_string(), Value::from(label)), ("item".into(), item.into())]);
            text(lang, "format.field_in_item", &params)
        }
    }
}

/// What is wrong with a field, on its own (shown next to the field).
pub fn problem_text(error: &FieldError, lang: Lang) -> String {
    text(lang, &format!("validation.{}", error.problem.code()), &params(error, lang))
}

/// "Field: what is wrong".
pub fn field_text(error: &FieldError, lang: Lang) -> String {
    let params = Map::from_iter([
        ("field".to_string(), Value::from(field_label(error, lang))),
        ("problem".into(), problem_text(error, lang).into()),
    ]);
    text(lang, "format.field_problem", &params)
}

/// The whole report as one message: the code's text, then every refused field.
pub fn render(report: &ErrorReport, lang: Lang) -> String {
    let mut parts = vec![text(lang, &format!("errors.{}", report.code.as_str()), &params(report, lang))];
    parts.extend(report.fields.iter().map(|field| field_text(field, lang)));
    // Japanese sentences end in 。 and need no space between them.
    parts.join(if lang == Lang::Ja { "" } else { " " })
}

/// The warning shown at login for tampering found with what the user pinned.
pub fn tampering(found: &crate::audit::PinBreak, lang: Lang) -> String {
    let params = params(found, lang);
    let kind = params.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    text(lang, &format!("tampering.{kind}"), &params)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;
    use crate::domain::validation::{Field, Problem};
    use crate::policy::{Access, Section};
    use crate::report::ErrorCode;
    use crate::Error;

    const LANGS: [Lang; 2] = [Lang::Ja, Lang::En];

    /// One report per code, carrying the members that code carries.
    fn sample(code: ErrorCode) -> ErrorReport {
        let dir = || PathBuf::from("/clinic");
        let error = match code {
            ErrorCode::InvalidInput => Error::invalid(Field::Phone, Problem::BadPhone),
            ErrorCode::Denied => Error::Denied { section: "notes", access: "write" },
            ErrorCode::WrongPassword => Error::WrongPassword,
            ErrorCode::WrongSecondFactor => Error::WrongSecondFactor,
            ErrorCode::SecondFactorNotEnrolled => Error::SecondFactorNotEnrolled,
            ErrorCode::Throttled => Error::Throttled { retry_after_secs: 42 },
            ErrorCode::LockedOut => Error::LockedOut,
            ErrorCode::AccountDisabled => Error::AccountDisabled,
            ErrorCode::SessionLocked => Error::SessionLocked,
            ErrorCode::SectionKeyMissing => Error::SectionKeyMissing,
            ErrorCode::SealedSection => Error::SealedSection { section: "notes" },
            ErrorCode::DeviceSecretMissing => Error::DeviceSecretMissing { dir: dir(), device: "d1".into() },
            ErrorCode::KeyringUnavailable => Error::KeyringUnavailable("no D-Bus".into()),
            ErrorCode::DeviceSecretExists => Error::DeviceSecretExists("d1".into()),
            ErrorCode::NotInitialized => Error::NotInitialized(dir()),
            ErrorCode::AlreadyInitialized => Error::AlreadyInitialized(dir()),
            ErrorCode::IncompleteSetup => Error::IncompleteSetup(dir()),
            ErrorCode::KeyFileInvalid => Error::KeyFileInvalid { path: dir(), reason: "not JSON".into() },
            ErrorCode::KeyFileVersion => Error::KeyFileVersion { path: dir(), found: 9, supported: 1 },
            ErrorCode::DatabaseKeyRejected => Error::DatabaseKeyRejected,
            ErrorCode::UserExists => Error::UserExists("nurse".into()),
            ErrorCode::ChainBroken => {
                Error::ChainBroken { seq: 4, problem: "the link does not follow the one before it" }
            }
            ErrorCode::ChainRolledBack => Error::ChainRolledBack,
            ErrorCode::DatabaseKeyChanged => Error::DatabaseKeyChanged,
            ErrorCode::RecordNotVerified => Error::RecordNotVerified,
            ErrorCode::RecordUnsigned => Error::RecordUnsigned,
            ErrorCode::StorePredatesChain => Error::StorePredatesChain,
            ErrorCode::RecipientNotConfirmed => Error::RecipientNotConfirmed("nurse".into()),
            ErrorCode::NotFound => Error::NotFound { what: "patient", id: "x".into() },
            ErrorCode::InvalidState => Error::InvalidState("a stored record is unreadable"),
            ErrorCode::UnreadableChange => Error::UnreadableChange { id: "c1".into() },
            ErrorCode::ChangeNotVerified => Error::ChangeNotVerified { id: "c1".into() },
            ErrorCode::ChangeConflictsWithLog => Error::ChangeConflictsWithLog { id: "c1".into() },
            ErrorCode::ChangeAwaitsChain => Error::ChangeAwaitsChain { id: "c1".into() },
            ErrorCode::SecretKeyInvalid => Error::SecretKeyInvalid,
            ErrorCode::VaultRecordInvalid => Error::VaultRecordInvalid,
            ErrorCode::JoinCodeInvalid => Error::JoinCodeInvalid("it is cut short"),
            ErrorCode::JoinRefused => Error::JoinRefused("the code was used already"),
            ErrorCode::LeaseExpired => Error::LeaseExpired { days_away: 20, lease_days: 14 },
            ErrorCode::DeviceWiped => Error::DeviceWiped,
            ErrorCode::Database => Error::Database(rusqlite::Error::InvalidQuery),
            ErrorCode::SchemaTooNew => Error::SchemaTooNew { found: 9, supported: 1 },
            ErrorCode::Io => Error::io("write", dir())(std::io::Error::other("disk full")),
            ErrorCode::RandomUnavailable => Error::RandomUnavailable,
            ErrorCode::SealFailed => Error::SealFailed,
            ErrorCode::Kdf => Error::Kdf("out of memory".into()),
            ErrorCode::NoSession => return ErrorReport::no_session(),
            ErrorCode::ServerUnreachable | ErrorCode::ServerRefused | ErrorCode::NoServer => {
                return ErrorReport::sync_failure(code, "connection refused".into())
            }
        };
        assert_eq!(error.code(), code);
        error.report()
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(end) if after[..end].chars().all(|c| c.is_alphanumeric() || c == '_') => {
                    names.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                _ => rest = after,
            }
        }
        names
    }

    /// Every key the code can look up: each error code (and the UI's `unexpected`), problem and
    /// field, and the two formats.
    fn known_keys() -> BTreeSet<String> {
        let errors = ErrorCode::ALL.iter().map(|c| format!("errors.{}", c.as_str()));
        let problems = Problem::samples().into_iter().map(|p| format!("validation.{}", p.code()));
        let fields = Field::ALL.iter().map(|f| format!("fields.{}", f.as_str()));
        let sections = Section::ALL.into_iter().map(|s| format!("section_names.{}", s.as_str()));
        let accesses = Access::ALL.into_iter().map(|a| format!("access_names.{}", a.as_str()));
        // The kinds of record `Error::NotFound` names.
        let records = ["patient", "note", "user", "appointment", "encounter"].map(|r| format!("record_names.{r}"));
        let others = ["format.field_problem", "format.field_in_item", "errors.unexpected"].map(String::from);
        let tampering = crate::audit::PinBreak::samples().map(|found| {
            let value = serde_json::to_value(found).expect("serializable");
            format!("tampering.{}", value["kind"].as_str().expect("a kind"))
        });
        errors
            .chain(problems)
            .chain(fields)
            .chain(sections)
            .chain(accesses)
            .chain(records)
            .chain(others)
            .chain(tampering)
            .collect()
    }

    #[test]
    fn every_error_code_problem_and_field_has_a_japanese_and_an_english_text() {
        let mut missing = Vec::new();
        for key in known_keys() {
            for lang in LANGS {
                if template(lang, &key).is_none_or(|t| t.trim().is_empty()) {
                    missing.push(format!("{lang:?} {key}"));
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn both_languages_use_the_same_placeholders() {
        for key in known_keys() {
            let [ja, en] = LANGS.map(|lang| template(lang, &key).map(placeholders));
            assert_eq!(ja, en, "{key}");
        }
    }

    #[test]
    fn every_placeholder_is_filled_from_the_report_it_renders() {
        for &code in ErrorCode::ALL {
            let report = sample(code);
            for lang in LANGS {
                let rendered = render(&report, lang);
                assert!(placeholders(&rendered).is_empty(), "{code:?} {lang:?}: {rendered}");
            }
        }
        for problem in Problem::samples() {
            let error = FieldError { field: Field::Drug, problem: problem.clone(), item: Some(2) };
            for lang in LANGS {
                let rendered = field_text(&error, lang);
                assert!(placeholders(&rendered).is_empty(), "{problem:?} {lang:?}: {rendered}");
            }
        }
    }

    #[test]
    fn the_catalog_has_no_entry_without_a_code() {
        let known = known_keys();
        for lang in LANGS {
            let Some(groups) = catalog(lang).as_object() else { panic!("{lang:?}: not an object") };
            for (group, entries) in groups {
                let Some(entries) = entries.as_object() else { panic!("{lang:?} {group}: not an object") };
                for key in entries.keys() {
                    let key = format!("{group}.{key}");
                    assert!(known.contains(&key), "{lang:?}: {key} names no code, problem or field");
                }
            }
        }
    }

    #[test]
    fn tampering_found_at_login_reads_with_its_numbers_in_both_languages() {
        for found in crate::audit::PinBreak::samples() {
            for lang in LANGS {
                let text = tampering(&found, lang);
                assert!(
                    placeholders(&text).is_empty() && !text.starts_with("tampering."),
                    "{found:?} {lang:?}: {text}"
                );
            }
        }
        let text = tampering(&crate::audit::PinBreak::Truncated { events: 9, pinned: 12 }, Lang::En);
        assert!(text.contains("ends at event 9"), "{text}");
    }

    #[test]
    fn a_throttled_login_reads_the_same_wait_in_both_languages() {
        let report = ErrorReport::from(Error::Throttled { retry_after_secs: 42 });
        assert_eq!(render(&report, Lang::Ja), "ログインの失敗が続いたため、あと42秒待ってから再試行してください。");
        assert_eq!(render(&report, Lang::En), "Too many failed logins; try again in 42 seconds.");
    }

    #[test]
    fn an_invalid_form_names_each_field_with_its_problem() {
        let mut checks = crate::domain::validation::Checker::new();
        checks.add(Field::FamilyKana, Problem::WrongKana);
        checks.add(Field::WeightKg, Problem::OutOfRange { min: 0.3, max: 400.0 });
        let report = ErrorReport::from(checks.finish().expect_err("two fields"));
        assert_eq!(
            render(&report, Lang::Ja),
            "入力内容を確認してください。セイ（カナ）：カタカナまたはひらがなで入力してください（例: ヤマダ）。\
             体重：0.3〜400の範囲で入力してください。"
        );
        assert_eq!(
            render(&report, Lang::En),
            "Please check the input. Family name (kana): Write it in kana only (katakana or hiragana), e.g. \
             ヤマダ. Weight: Must be between 0.3 and 400."
        );
        let listed = FieldError { field: Field::Drug, problem: Problem::Required, item: Some(2) };
        assert_eq!(field_text(&listed, Lang::Ja), "2件目の薬剤：入力してください。");
    }

    #[test]
    fn a_refusal_names_the_section_and_access_in_the_reader_s_language() {
        let report = ErrorReport::from(Error::Denied { section: "administration", access: "read" });
        assert_eq!(render(&report, Lang::Ja), "あなたの役割では管理を閲覧できません。この試みは記録されました。");
        assert_eq!(render(&report, Lang::En), "Your role may not read administration; the attempt has been recorded.");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!((&json["section"], &json["access"]), (&Value::from("administration"), &Value::from("read")));
    }

    #[test]
    fn japanese_is_chosen_by_a_japanese_locale_only() {
        assert_eq!(Lang::from_locale("ja_JP.UTF-8"), Lang::Ja);
        assert_eq!(Lang::from_locale("ja"), Lang::Ja);
        for other in ["C", "C.UTF-8", "en_US.UTF-8", "POSIX", ""] {
            assert_eq!(Lang::from_locale(other), Lang::En, "{other}");
        }
    }

    #[test]
    fn interpolation_leaves_unknown_and_malformed_braces_alone() {
        let params = Map::from_iter([("n".to_string(), Value::from(3))]);
        assert_eq!(interpolate("{n} of {m}; {not a name}", &params), "3 of {m}; {not a name}");
    }
}
