//! `mamori server init|run`: the clinic server in the back office. Its folder holds its TLS
//! certificate and key, `server.toml` (which clinic, where to listen) and, unless PostgreSQL is
//! given, the embedded SQLite database. It holds no key that opens or signs anything of the
//! clinic's: devices trust it only to store and order what they signed and sealed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use mamori_server::http::{self, App, Backend};
use mamori_server::storage::postgres::PostgresStorage;
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use serde::{Deserialize, Serialize};

use crate::args::ServerCommand;

const SETTINGS_FILE: &str = "server.toml";
const DATABASE_FILE: &str = "server.db";

/// `server.toml`.
#[derive(Serialize, Deserialize)]
struct Settings {
    /// The clinic root key, hex: the clinic's identity; links are verified from it.
    clinic_root: String,
    /// Where to listen.
    listen: String,
}

pub fn run(command: ServerCommand) -> anyhow::Result<()> {
    match command {
        ServerCommand::Init { dir, clinic_root, hosts, listen } => init(&dir, &clinic_root, &hosts, &listen),
        ServerCommand::Run { dir, listen, postgres } => serve(&dir, listen, postgres),
    }
}

fn parse_root(hex_text: &str) -> anyhow::Result<[u8; 32]> {
    hex::decode(hex_text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .context("the clinic root fingerprint is 64 hex characters (`mamori enroll` prints it)")
}

fn init(dir: &Path, clinic_root: &str, hosts: &[String], listen: &str) -> anyhow::Result<()> {
    parse_root(clinic_root)?;
    listen.parse::<SocketAddr>().with_context(|| format!("--listen {listen} is not an address like 0.0.0.0:8443"))?;
    let settings = dir.join(SETTINGS_FILE);
    if settings.exists() {
        anyhow::bail!(
            "{} already exists: this folder is set up (devices have pinned its certificate)",
            settings.display()
        );
    }
    let pin = http::tls::create(dir, hosts)?;
    let text = toml::to_string(&Settings { clinic_root: clinic_root.trim().to_lowercase(), listen: listen.to_owned() })
        .context("the settings could not be written")?;
    std::fs::write(&settings, text).with_context(|| format!("could not write {}", settings.display()))?;
    println!("Set up the clinic server in {}.", dir.display());
    println!("Server certificate fingerprint (give it to each device with `mamori sync --server-fingerprint`):");
    println!("  {}", hex::encode(pin));
    println!("Start it with: mamori server run --dir {}", dir.display());
    Ok(())
}

fn serve(dir: &Path, listen: Option<String>, postgres: Option<String>) -> anyhow::Result<()> {
    let path = dir.join(SETTINGS_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("{} is missing: run `mamori server init --dir {}` first", path.display(), dir.display())
    })?;
    let settings: Settings = toml::from_str(&text).with_context(|| format!("{} is not readable", path.display()))?;
    let root = parse_root(&settings.clinic_root)?;
    let listen = listen.unwrap_or(settings.listen);
    let addr: SocketAddr = listen.parse().with_context(|| format!("{listen} is not an address like 0.0.0.0:8443"))?;
    let (tls, pin) = http::tls::server_config(dir)?;
    let countersigner = http::tls::load_countersign_key(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("no async runtime")?;
    runtime.block_on(async {
        match postgres {
            Some(config) => {
                let storage = PostgresStorage::connect(&config).await?;
                start(storage, root, addr, tls, &pin, "PostgreSQL", countersigner).await
            }
            None => {
                let storage = SqliteStorage::open(&dir.join(DATABASE_FILE))?;
                start(storage, root, addr, tls, &pin, "SQLite", countersigner).await
            }
        }
    })
}

async fn start<S: Backend>(
    storage: S,
    root: [u8; 32],
    addr: SocketAddr,
    tls: rustls_config::ServerConfig,
    pin: &[u8; 32],
    backend: &'static str,
    countersigner: ed25519_dalek::SigningKey,
) -> anyhow::Result<()> {
    let server = ClinicServer::following_chain(storage, root).await?.with_countersigner(countersigner);
    let app = Arc::new(App::new(server));
    let pin = hex::encode(pin);
    let serving = http::serve(app, addr, tls, move |bound| {
        println!("Mamori clinic server listening on https://{bound} ({backend}); certificate fingerprint {pin}");
    });
    tokio::select! {
        served = serving => served?,
        _ = shutdown() => println!("Stopped."),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The TLS configuration type, named through the server crate's re-export.
mod rustls_config {
    pub use mamori_server::http::tls::ServerConfig;
}
