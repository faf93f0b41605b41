use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tracing::level_filters::LevelFilter;
use uuid::Uuid;

use super::file::{file_subscriber, LogSettings};
use super::LoginName;
use crate::secret::Password;
use crate::Error;

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()).expect("utf-8")
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(work: impl FnOnce()) -> String {
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(LevelFilter::TRACE)
        .finish();
    tracing::subscriber::with_default(subscriber, work);
    out.text()
}

#[test]
fn ids_counts_codes_and_durations_reach_the_line() {
    let patient = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00aa);
    let text = capture(|| {
        crate::log_safe!(
            info,
            "chart opened",
            patient = patient,
            sections = 9u32,
            elapsed_ms = Duration::from_millis(1500),
            user = LoginName::listed("doctor"),
            code = Error::WrongPassword,
            section = crate::policy::Section::Vitals,
            grant = None::<Uuid>,
        );
    });
    assert!(text.contains("INFO"), "{text}");
    assert!(text.contains("chart opened"), "{text}");
    assert!(text.contains(&format!("patient={patient}")), "{text}");
    assert!(text.contains("sections=9"), "{text}");
    assert!(text.contains("elapsed_ms=1500"), "{text}");
    assert!(text.contains("doctor"), "{text}");
    assert!(text.contains("wrong_password"), "an error is logged by its code: {text}");
    assert!(!text.contains("user name or password"), "never by its message: {text}");
    assert!(text.contains("vitals"), "{text}");
    assert!(!text.contains("grant"), "an absent value leaves no field: {text}");
}

#[test]
fn a_message_is_printed_as_written_never_filled_in() {
    let password = Password::new("hunter2-secret");
    let text = capture(|| crate::log_safe!(warn, "typed {password} into the wrong field"));
    assert!(text.contains("typed {password} into the wrong field"), "{text}");
    assert!(!text.contains(password.expose()), "{text}");
}

#[test]
fn only_a_valid_login_name_is_logged() {
    let text = capture(|| {
        crate::log_safe!(info, "kanji", user = LoginName::listed("守 太郎"));
        crate::log_safe!(info, "spaces", user = LoginName::listed("my password 1"));
        crate::log_safe!(info, "valid", user = LoginName::listed("k.sato"));
    });
    assert!(!text.contains("守") && !text.contains("password 1"), "{text}");
    assert_eq!(text.matches("user=").count(), 1, "{text}");
    assert!(text.contains("k.sato"), "{text}");
}

#[test]
fn the_file_logger_writes_a_dated_file_of_mamoris_events_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("logs");
    let subscriber = file_subscriber(&LogSettings::new(&dir, "unit", LevelFilter::INFO)).expect("subscriber");
    tracing::subscriber::with_default(subscriber, || {
        crate::log_safe!(info, "store opened", changes = 3u64);
        crate::log_safe!(debug, "below the level");
        // What a library underneath might log: nobody checked its fields.
        tracing::event!(target: "webview::ipc", tracing::Level::ERROR, "payload 山田 花子");
    });
    let files: Vec<_> = std::fs::read_dir(&dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().expect("name").to_string_lossy().into_owned();
    assert!(name.starts_with("unit.") && name.ends_with(".log") && name.len() == "unit.2026-11-29.log".len(), "{name}");
    let text = std::fs::read_to_string(&files[0]).expect("read");
    assert!(text.contains("store opened") && text.contains("changes=3"), "{text}");
    assert!(!text.contains("below the level"), "{text}");
    assert!(!text.contains("payload") && !text.contains("山田"), "other crates' events are not written: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the log folder is private");
    }
}

/// The cases in `tests/log_safety/` must not compile: a patient's name, a `String`, a password,
/// a key, a one-time code, note text, a vital sign, a birth date, a user, tracing's shortcuts.
/// The `.stderr` files beside them are the compiler's refusals; after changing `safe.rs` (its
/// list of implementations is quoted there) refresh them with `TRYBUILD=overwrite`.
#[test]
fn secrets_and_patient_data_cannot_be_logged() {
    trybuild::TestCases::new().compile_fail("tests/log_safety/*.rs");
}

/// `log_safe!` is the only way to a log line: no other code in the workspace calls tracing (whose
/// macros print any value) or attaches `#[instrument]` (which records every argument). Tests may
/// scope a subscriber with `tracing::subscriber::with_default`.
#[test]
fn no_code_outside_this_module_calls_tracing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "src-tauri", "tests", "e2e"] {
        rust_files(&root.join(top), &mut files);
    }
    let own = Path::new("crates/core/src/log");
    let mut offenders = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the workspace");
        if relative.starts_with(own) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for (n, line) in text.lines().enumerate() {
            let uses_tracing = line.contains("tracing::")
                || line.contains("use tracing")
                || line.contains("extern crate tracing")
                || line.contains("instrument]")
                || line.contains("instrument(");
            if uses_tracing && !line.contains("tracing::subscriber::with_default") {
                offenders.push(format!("{}:{}: {}", relative.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(files.len() > 50, "the walk found the sources: {}", files.len());
    assert!(offenders.is_empty(), "log through mamori_core::log_safe! instead:\n{}", offenders.join("\n"));
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() && !["target", "node_modules", "gen"].contains(&name.as_str()) && !name.starts_with('.') {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}
