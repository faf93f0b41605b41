//! Comparing generated files with the committed ones, and writing them.

use std::collections::BTreeSet;
use std::path::Path;

use super::REGENERATE;

/// One generated file: where it lives, relative to the repository, and what it must hold.
#[derive(Debug)]
pub struct Generated {
    pub path: String,
    pub contents: String,
}

/// What differs between `files` and the repository at `root`: a file that is missing or not
/// byte-for-byte equal, or a file in `generated_dir` that nothing generates any more.
pub fn problems(root: &Path, generated_dir: &str, files: &[Generated]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files {
        match std::fs::read(root.join(&file.path)) {
            Err(_) => problems.push(format!("{}: missing", file.path)),
            Ok(committed) if committed != file.contents.as_bytes() => {
                problems.push(format!("{}: {}", file.path, first_difference(&committed, &file.contents)));
            }
            Ok(_) => {}
        }
    }
    for stale in stale_files(root, generated_dir, files) {
        problems.push(format!("{stale}: generated from nothing any more"));
    }
    problems
}

/// What the test says when [`problems`] found any.
pub fn failure_message(problems: &[String]) -> String {
    format!(
        "the IPC files no longer match the Rust source they are generated from:\n  - {}\n\
         Run `{REGENERATE}` (it rewrites ui/src/generated/ and src-tauri/capabilities/main.json) and commit the \
         result; then `cd ui && npm run check` shows what the window must change.",
        problems.join("\n  - ")
    )
}

/// Writes every file that differs and deletes the stale ones; returns how many it changed.
pub fn write(root: &Path, generated_dir: &str, files: &[Generated]) -> std::io::Result<usize> {
    let mut changed = 0;
    for stale in stale_files(root, generated_dir, files) {
        std::fs::remove_file(root.join(stale))?;
        changed += 1;
    }
    for file in files {
        let path = root.join(&file.path);
        if std::fs::read(&path).ok().as_deref() != Some(file.contents.as_bytes()) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &file.contents)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Files in `generated_dir` (relative to the repository) that none of `files` is.
fn stale_files(root: &Path, generated_dir: &str, files: &[Generated]) -> Vec<String> {
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let Ok(entries) = std::fs::read_dir(root.join(generated_dir)) else {
        return Vec::new();
    };
    let mut stale: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .map(|name| format!("{generated_dir}/{name}"))
        .filter(|path| !wanted.contains(path.as_str()))
        .collect();
    stale.sort();
    stale
}

/// The first line that differs, committed against generated.
fn first_difference(committed: &[u8], generated: &str) -> String {
    let committed = String::from_utf8_lossy(committed);
    let (mut old, mut new) = (committed.lines(), generated.lines());
    for line in 1.. {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "differs in line endings or the final newline".into(),
            (a, b) => {
                return format!(
                    "differs from line {line}\n      committed: {}\n      generated: {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                )
            }
        }
    }
    unreachable!("the loop above returns")
}

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    use super::super::types;
    use super::*;

    // A type as committed…
    #[derive(TS)]
    #[ts(rename = "Probe")]
    #[allow(dead_code)]
    struct ProbeAsCommitted {
        name: String,
    }

    // …and the same type after someone added a field in Rust.
    #[derive(TS)]
    #[ts(rename = "Probe")]
    #[allow(dead_code)]
    struct ProbeWithANewField {
        name: String,
        kana: Option<String>,
    }

    #[test]
    fn a_field_added_in_rust_without_regenerating_fails_the_check_and_says_how_to_regenerate() {
        let root = tempfile::tempdir().expect("tempdir");
        let committed = types::render::<ProbeAsCommitted>("generated");
        write(root.path(), "generated", std::slice::from_ref(&committed)).expect("write");
        assert!(problems(root.path(), "generated", std::slice::from_ref(&committed)).is_empty());

        let changed = types::render::<ProbeWithANewField>("generated");
        assert_eq!(changed.path, committed.path, "the same TypeScript type");
        let found = problems(root.path(), "generated", &[changed]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("generated/Probe.ts: differs from line"), "{}", found[0]);
        assert!(found[0].contains("kana: string | null"), "the message shows the new field: {}", found[0]);
        assert!(failure_message(&found).contains("Run `scripts/gen-ipc`"));
    }

    #[test]
    fn a_file_left_from_a_removed_type_is_stale_and_regenerating_deletes_it() {
        let root = tempfile::tempdir().expect("tempdir");
        let probe = types::render::<ProbeAsCommitted>("generated");
        std::fs::create_dir_all(root.path().join("generated")).expect("mkdir");
        std::fs::write(root.path().join("generated/Removed.ts"), "export type Removed = {};\n").expect("write");
        let files = [probe];
        assert_eq!(
            problems(root.path(), "generated", &files),
            ["generated/Probe.ts: missing", "generated/Removed.ts: generated from nothing any more"]
        );
        assert_eq!(write(root.path(), "generated", &files).expect("write"), 2);
        assert!(problems(root.path(), "generated", &files).is_empty());
        assert!(!root.path().join("generated/Removed.ts").exists());
    }
}
