//! The PouchDB side: pouchdb-server + PouchDB replicating the same records (`benches/pouchdb/`).

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// PouchDB's figures, from `benches/pouchdb/replicate.mjs`.
pub struct Pouch {
    pub push_per_s: f64,
    pub pull_per_s: f64,
    pub raw: Value,
}

pub fn pouchdb(records: &Path) -> Result<Pouch, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("pouchdb");
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not installed".into());
    }
    if !dir.join("node_modules").exists() {
        println!("installing the PouchDB side (npm ci in {}) …", dir.display());
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status();
        match installed {
            Ok(status) if status.success() => {}
            Ok(status) => return Err(format!("npm ci failed ({status})")),
            Err(e) => return Err(format!("npm could not be run: {e}")),
        }
    }
    println!("running the PouchDB side (pouchdb-server + PouchDB, same records) …");
    let out = Command::new("node")
        .arg("replicate.mjs")
        .arg(records)
        .current_dir(&dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("node could not be run: {e}"))?;
    if !out.status.success() {
        return Err(format!("the PouchDB script failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().ok_or("the PouchDB script printed nothing")?;
    let raw: Value = serde_json::from_str(line).map_err(|e| format!("unreadable PouchDB figures: {e}"))?;
    let number = |name: &str| raw[name].as_f64().ok_or(format!("no {name} in the PouchDB figures"));
    Ok(Pouch { push_per_s: number("push_per_s")?, pull_per_s: number("pull_per_s")?, raw: raw.clone() })
}
