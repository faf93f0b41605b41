include!("src/command_names.rs");

fn main() {
    // Each command gets its own `allow-<command>` permission; the capability file grants them.
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri build step (tauri.conf.json, capabilities, icons) must succeed");
}
