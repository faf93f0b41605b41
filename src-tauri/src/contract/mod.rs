//! The IPC contract's generated files, checked against the Rust source they come from:
//!
//! - `ui/src/generated/<Type>.ts`: every type a command takes or returns, rendered by ts-rs from
//!   the Rust types (and `index.ts`, which re-exports them all);
//! - `ui/src/generated/commands.ts`: the command names of `command_names.rs`;
//! - `src-tauri/capabilities/main.json`: one `allow-<command>` permission per command.
//!
//! The test renders them all and compares them byte for byte with the committed files, so a Rust
//! change the window was not regenerated for fails the test command. `scripts/gen-ipc` runs the
//! same test with `MAMORI_REGENERATE=1`, which writes the files instead.

mod commands;
mod drift;
mod types;

use drift::Generated;

/// What the failure message tells a developer to run.
const REGENERATE: &str = "scripts/gen-ipc";
/// Set by `scripts/gen-ipc`: write the files instead of comparing them.
const REGENERATE_ENV: &str = "MAMORI_REGENERATE";
/// The folder that holds only generated files (relative to the repository).
const GENERATED_DIR: &str = "ui/src/generated";

/// Every generated file, rendered from the Rust source.
fn all_files() -> Vec<Generated> {
    let mut files = types::files(GENERATED_DIR);
    files.push(commands::commands_ts(GENERATED_DIR));
    files.push(commands::capability_json());
    files
}

fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_committed_ipc_files_are_what_the_rust_source_generates() {
    let files = all_files();
    if std::env::var_os(REGENERATE_ENV).is_some() {
        let written = drift::write(&repository(), GENERATED_DIR, &files).expect("write the generated files");
        eprintln!("{REGENERATE}: {written} file(s) rewritten of {}", files.len());
        return;
    }
    let problems = drift::problems(&repository(), GENERATED_DIR, &files);
    assert!(problems.is_empty(), "{}", drift::failure_message(&problems));
}

#[test]
fn the_docs_table_lists_exactly_the_commands_in_order() {
    let docs = std::fs::read_to_string(repository().join("docs/desktop-ipc.md")).expect("docs/desktop-ipc.md");
    let listed = commands::documented_commands(&docs);
    assert_eq!(
        listed,
        crate::COMMANDS,
        "docs/desktop-ipc.md's table of commands must list each command of src-tauri/src/command_names.rs once, in \
         its order"
    );
}
