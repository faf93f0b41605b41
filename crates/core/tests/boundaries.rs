//! The seams a front end must not cross, checked from outside the core as a front end sees it:
//! clinical content reaches the change log only sealed, the log, store and crypto are private,
//! and the raw-SQL inspection hook never reaches a product binary.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Each file under tests/compile_fail tries one way around the sealed boundary; none compiles.
#[test]
fn code_that_logs_a_clinical_body_unsealed_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/*.rs");
}

#[test]
fn the_product_binaries_never_enable_the_inspection_hook() {
    let workspace = Workspace::load();
    for product in ["mamori-cli", "mamori-desktop", "mamori-sync", "mamori-server"] {
        let features = workspace.core_features_of(product, false);
        for hook in ["inspection", "replica-testing"] {
            assert!(
                !features.contains(hook),
                "{product} builds mamori-core with the {hook} hook (features {features:?})"
            );
        }
    }
    // The walk sees the features where they are enabled: the story tests' own targets.
    let stories = workspace.core_features_of("mamori-story-tests", true);
    assert!(stories.contains("inspection"), "the story tests inspect with raw SQL: {stories:?}");
    assert!(stories.contains("replica-testing"), "the sync simulation writes replicas directly: {stories:?}");
}

/// The workspace's manifests, as `cargo metadata --no-deps` reads them (no resolution, no build).
struct Workspace {
    packages: BTreeMap<String, Value>,
}

impl Workspace {
    fn load() -> Self {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
        let packages = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| (p["name"].as_str().expect("name").to_string(), p.clone()))
            .collect();
        Self { packages }
    }

    /// The features of mamori-core that building `root` (with its dev-dependencies when `dev`)
    /// turns on: every normal and build dependency path through the workspace, each feature
    /// expanded through the `[features]` tables it names.
    fn core_features_of(&self, root: &str, dev: bool) -> BTreeSet<String> {
        let mut on: BTreeSet<(String, String)> = BTreeSet::new();
        let mut todo = vec![(root.to_string(), "default".to_string())];
        let mut visited_deps: BTreeSet<String> = BTreeSet::new();
        while let Some((package, feature)) = todo.pop() {
            if !on.insert((package.clone(), feature.clone())) {
                continue;
            }
            let manifest = &self.packages[&package];
            for enables in manifest["features"][&feature].as_array().into_iter().flatten() {
                let enables = enables.as_str().expect("feature entry");
                match enables.split_once('/') {
                    Some((dep, dep_feature)) => {
                        todo.push((dep.trim_end_matches('?').to_string(), dep_feature.to_string()))
                    }
                    None if !enables.starts_with("dep:") => todo.push((package.clone(), enables.to_string())),
                    None => {}
                }
            }
            if !visited_deps.insert(package.clone()) {
                continue;
            }
            for dep in manifest["dependencies"].as_array().expect("dependencies") {
                let kind = dep["kind"].as_str();
                let counts = kind.is_none() || kind == Some("build") || (dev && package == root && kind == Some("dev"));
                let name = dep["name"].as_str().expect("dependency name");
                if !counts || !self.packages.contains_key(name) {
                    continue;
                }
                if dep["uses_default_features"].as_bool() != Some(false) {
                    todo.push((name.to_string(), "default".to_string()));
                }
                for feature in dep["features"].as_array().into_iter().flatten() {
                    todo.push((name.to_string(), feature.as_str().expect("feature").to_string()));
                }
            }
        }
        on.into_iter().filter(|(package, _)| package == "mamori-core").map(|(_, feature)| feature).collect()
    }
}
