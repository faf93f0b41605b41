//! The language of the CLI's messages: Japanese when the locale (LC_ALL, then LC_MESSAGES, then
//! LANG, the first one set) starts with `ja`, English otherwise. Core errors are printed from the
//! core's message catalog, the same texts the desktop window shows.

use mamori_core::domain::{FieldError, ValidationErrors};
use mamori_core::messages::{render, Lang};
use mamori_core::ErrorReport;

/// The variables that name the message locale, strongest first (POSIX).
const LOCALE_VARS: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

/// The language of this process's environment.
pub fn lang() -> Lang {
    lang_from(|name| std::env::var(name).ok())
}

/// The Japanese or the English text, as this process's language asks.
pub fn pick<'a>(ja: &'a str, en: &'a str) -> &'a str {
    match lang() {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The language `var` (a lookup of environment variables) asks for.
pub fn lang_from(var: impl Fn(&str) -> Option<String>) -> Lang {
    LOCALE_VARS
        .iter()
        .find_map(|name| var(name).filter(|value| !value.is_empty()))
        .map_or(Lang::En, |l| Lang::from_locale(&l))
}

/// A failed command as one line: the context the CLI added, then the core's error in `lang`.
/// Never a backtrace or a value the user typed.
pub fn error_line(error: &anyhow::Error, lang: Lang) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        if let Some(report) = report_of(cause) {
            // The report covers the core error's own causes (as `detail`).
            parts.push(render(&report, lang));
            break;
        }
        parts.push(cause.to_string());
    }
    // One line, and no terminal control sequence from any text a cause carries.
    parts.join(": ").chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The report of a core error, including a validation a command ran itself (`Role::parse`).
fn report_of(cause: &(dyn std::error::Error + 'static)) -> Option<ErrorReport> {
    if let Some(core) = cause.downcast_ref::<mamori_core::Error>() {
        return Some(core.report());
    }
    if let Some(errors) = cause.downcast_ref::<ValidationErrors>() {
        return Some(errors.clone().into());
    }
    cause.downcast_ref::<FieldError>().map(|error| error.clone().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn lc_all_wins_then_lc_messages_then_lang() {
        assert_eq!(lang_from(env(&[("LANG", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(lang_from(env(&[("LANG", "ja_JP.UTF-8"), ("LC_ALL", "C")])), Lang::En);
        assert_eq!(lang_from(env(&[("LANG", "C"), ("LC_MESSAGES", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(lang_from(env(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")])), Lang::Ja, "empty is unset");
        assert_eq!(lang_from(env(&[])), Lang::En);
    }

    #[test]
    fn a_core_error_is_printed_from_the_catalog_after_the_cli_context() {
        let core = mamori_core::Error::Throttled { retry_after_secs: 8 };
        let error = anyhow::Error::from(core).context("could not log in");
        assert_eq!(error_line(&error, Lang::En), "could not log in: Too many failed logins; try again in 8 seconds.");
        assert_eq!(
            error_line(&error, Lang::Ja),
            "could not log in: ログインの失敗が続いたため、あと8秒待ってから再試行してください。"
        );
        let role = mamori_core::domain::Role::parse("wizard").map(drop).map_err(anyhow::Error::from);
        assert_eq!(
            error_line(&role.expect_err("no such role"), Lang::Ja),
            "入力内容を確認してください。役割：reception（受付）・nurse（看護師）・doctor（医師）・admin（管理者）のいずれかを指定してください。"
        );
        let own = anyhow::anyhow!("no password on standard input");
        assert_eq!(error_line(&own, Lang::Ja), "no password on standard input");
    }
}
