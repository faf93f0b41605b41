//! Where the log files go and how they are written: one file per program and day in the OS state
//! folder (`~/.local/state/mamori` on Linux; the local data folder on systems without a state
//! folder; `MAMORI_LOG_DIR` overrides), the last [`KEEP_FILES`] days kept. Only Mamori's own
//! events are written — every one of them passed through [`crate::log_safe!`] — never those of
//! the libraries underneath, whose fields nobody checked (a web view may log what a window sent).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use tracing::level_filters::LevelFilter;
use tracing::Subscriber;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::layer::SubscriberExt;

use crate::{fsutil, Error, Result};

/// How many daily files each program keeps; older ones are deleted.
pub const KEEP_FILES: usize = 14;
/// The level when `MAMORI_LOG` is unset.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::INFO;
/// Targets that are written: Mamori's crates, which log only through `log_safe!`.
const OWN_TARGETS: &str = "mamori";

/// Where and how much one program logs.
#[derive(Clone, Debug)]
pub struct LogSettings {
    pub dir: PathBuf,
    /// The files' name: `<program>.<YYYY-MM-DD>.log`.
    pub program: &'static str,
    pub level: LevelFilter,
    pub keep_files: usize,
}

impl LogSettings {
    pub fn new(dir: impl Into<PathBuf>, program: &'static str, level: LevelFilter) -> Self {
        Self { dir: dir.into(), program, level, keep_files: KEEP_FILES }
    }

    /// Settings from the environment: `MAMORI_LOG_DIR` (else the OS state folder) and
    /// `MAMORI_LOG` (`error`, `warn`, `info`, `debug`, `trace` or `off`; else `info`). `None` when
    /// the OS offers no folder at all. The second value is false when `MAMORI_LOG` held
    /// something else (the default level is used then).
    pub fn from_env(program: &'static str) -> Option<(Self, bool)> {
        let dir = resolve_dir(std::env::var_os("MAMORI_LOG_DIR"), project_dirs().as_ref())?;
        let (level, understood) = parse_level(std::env::var("MAMORI_LOG").ok().as_deref());
        Some((Self::new(dir, program, level), understood))
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("jp", "Mamori", "Mamori")
}

/// `MAMORI_LOG_DIR` when set, else the state folder, else the local data folder's `logs`.
fn resolve_dir(override_dir: Option<OsString>, dirs: Option<&directories::ProjectDirs>) -> Option<PathBuf> {
    if let Some(dir) = override_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = dirs?;
    Some(choose_os_dir(dirs.state_dir(), dirs.data_local_dir()))
}

fn choose_os_dir(state: Option<&Path>, data_local: &Path) -> PathBuf {
    state.map_or_else(|| data_local.join("logs"), Path::to_path_buf)
}

/// The level `MAMORI_LOG` names, and whether it named one.
pub fn parse_level(text: Option<&str>) -> (LevelFilter, bool) {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return (DEFAULT_LEVEL, true) };
    match text.to_ascii_lowercase().as_str() {
        "off" => (LevelFilter::OFF, true),
        "error" => (LevelFilter::ERROR, true),
        "warn" => (LevelFilter::WARN, true),
        "info" => (LevelFilter::INFO, true),
        "debug" => (LevelFilter::DEBUG, true),
        "trace" => (LevelFilter::TRACE, true),
        _ => (DEFAULT_LEVEL, false),
    }
}

/// A subscriber writing Mamori's events to the daily files of `settings`. The caller decides
/// its scope: [`install`] for a program, `tracing::subscriber::with_default` for a test.
pub fn file_subscriber(settings: &LogSettings) -> Result<impl Subscriber + Send + Sync + 'static> {
    fsutil::create_private_dir(&settings.dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(settings.program)
        .filename_suffix("log")
        .max_log_files(settings.keep_files.max(1))
        .build(&settings.dir)
        .map_err(|e| Error::io("open a log file in", &settings.dir)(std::io::Error::other(e)))?;
    let format = tracing_subscriber::fmt::layer().with_writer(appender).with_ansi(false).with_timer(Millis);
    let only_ours = Targets::new().with_target(OWN_TARGETS, settings.level);
    Ok(tracing_subscriber::registry().with(format).with(only_ours))
}

/// Installs the file logger of `program` for the whole process, as the environment asks
/// ([`LogSettings::from_env`]). For the binaries only. Returns the folder written to, or `None`
/// when logging is off.
pub fn install(program: &'static str) -> Result<Option<PathBuf>> {
    let Some((settings, understood)) = LogSettings::from_env(program) else {
        return Err(Error::InvalidState("the OS offers no folder for log files; set MAMORI_LOG_DIR"));
    };
    if settings.level == LevelFilter::OFF {
        return Ok(None);
    }
    let subscriber = file_subscriber(&settings)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| Error::InvalidState("a logger was already installed in this process"))?;
    crate::log_safe!(info, "logging started", level = level_code(settings.level), program = program);
    if !understood {
        crate::log_safe!(warn, "MAMORI_LOG names no level (error, warn, info, debug, trace, off); using info");
    }
    Ok(Some(settings.dir))
}

fn level_code(level: LevelFilter) -> &'static str {
    match level.into_level() {
        None => "off",
        Some(tracing::Level::ERROR) => "error",
        Some(tracing::Level::WARN) => "warn",
        Some(tracing::Level::INFO) => "info",
        Some(tracing::Level::DEBUG) => "debug",
        Some(tracing::Level::TRACE) => "trace",
    }
}

/// UTC timestamps to the millisecond (`2026-11-29T01:00:00.123Z`).
struct Millis;

impl FormatTime for Millis {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write!(w, "{}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_wins_then_the_state_folder_then_local_data() {
        let chosen = resolve_dir(Some("/srv/mamori-logs".into()), None);
        assert_eq!(chosen, Some(PathBuf::from("/srv/mamori-logs")));
        assert_eq!(resolve_dir(Some(OsString::new()), None), None, "an empty override is no override");
        let state = Path::new("/home/u/.local/state/mamori");
        assert_eq!(choose_os_dir(Some(state), Path::new("/home/u/.local/share/mamori")), state);
        assert_eq!(
            choose_os_dir(None, Path::new("C:/Users/u/AppData/Local/Mamori/data")),
            Path::new("C:/Users/u/AppData/Local/Mamori/data/logs"),
            "Windows and macOS have no state folder"
        );
        if let Some(dirs) = project_dirs() {
            if cfg!(target_os = "linux") {
                let dir = resolve_dir(None, Some(&dirs)).expect("a folder");
                assert!(dir.ends_with(".local/state/mamori") || std::env::var_os("XDG_STATE_HOME").is_some());
            }
        }
    }

    #[test]
    fn mamori_log_names_a_level_and_anything_else_falls_back_to_info() {
        assert_eq!(parse_level(None), (LevelFilter::INFO, true));
        assert_eq!(parse_level(Some(" DEBUG ")), (LevelFilter::DEBUG, true));
        assert_eq!(parse_level(Some("off")), (LevelFilter::OFF, true));
        assert_eq!(parse_level(Some("mamori_core=trace,tauri=trace")), (LevelFilter::INFO, false));
    }
}
