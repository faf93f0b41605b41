//! `mamori sync`: one round with the clinic server, as the logged-in user on this computer. The
//! server's address and certificate fingerprint are given once and remembered in `sync.toml`
//! beside the chart (neither is a secret).

use std::path::PathBuf;

use anyhow::Context as _;
use mamori_core::clinic::Clinic;
use mamori_sync::http::HttpTransport;
use mamori_sync::session::{sync_session, SessionReport};
use mamori_sync::Settings;
use serde::{Deserialize, Serialize};

use crate::args::SyncArgs;
use crate::context::Context;
use crate::output::progress::Bar;

const SYNC_FILE: &str = "sync.toml";

#[derive(Serialize, Deserialize)]
pub struct ServerSettings {
    pub server: String,
    pub server_fingerprint: String,
}

fn settings_path(context: &Context) -> PathBuf {
    context.dir.root().join(SYNC_FILE)
}

/// The server settings: given on the command line (and then remembered) or remembered.
fn server_settings(context: &Context, args: &SyncArgs) -> anyhow::Result<ServerSettings> {
    let given = match (&args.server, &args.server_fingerprint) {
        (Some(server), Some(pin)) => Some(ServerSettings { server: server.clone(), server_fingerprint: pin.clone() }),
        (None, None) => None,
        _ => anyhow::bail!("give both --server and --server-fingerprint (as `mamori server init` printed them)"),
    };
    if let Some(settings) = given {
        if !settings.server.starts_with("https://") {
            anyhow::bail!("--server is an https:// address, e.g. https://192.168.1.10:8443");
        }
        pin_of(&settings)?;
        remember_server(context, &settings)?;
        return Ok(settings);
    }
    remembered_server(context)
}

/// Keeps the server's address and fingerprint beside the chart for later syncs.
pub fn remember_server(context: &Context, settings: &ServerSettings) -> anyhow::Result<()> {
    let path = settings_path(context);
    let text = toml::to_string(settings).context("the sync settings could not be written")?;
    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))
}

/// The server this computer syncs with, as remembered.
pub fn remembered_server(context: &Context) -> anyhow::Result<ServerSettings> {
    let path = settings_path(context);
    let text = std::fs::read_to_string(&path)
        .ok()
        .context("this computer has no clinic server yet: give --server and --server-fingerprint once")?;
    toml::from_str(&text).with_context(|| format!("{} is not readable", path.display()))
}

pub fn pin_of(settings: &ServerSettings) -> anyhow::Result<[u8; 32]> {
    hex::decode(settings.server_fingerprint.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .context("the server fingerprint is 64 hex characters (as `mamori server init` printed it)")
}

/// One sync session with `server` for the open `clinic`.
pub fn sync_once(
    context: &Context,
    server: &ServerSettings,
    clinic: &mut Clinic,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<SessionReport> {
    let keys = clinic.sync_keys(&context.keyring)?;
    let transport =
        HttpTransport::new(&server.server, pin_of(server)?, clinic.device_id(), keys.device_keys.signing_key())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    Ok(runtime.block_on(sync_session(clinic, &context.keyring, &transport, Settings::default(), progress))?)
}

/// How many of `device`'s envelopes the server holds (its frontier for it).
pub fn server_holds_from(
    context: &Context,
    server: &ServerSettings,
    clinic: &Clinic,
    device: &str,
) -> anyhow::Result<u64> {
    let keys = clinic.sync_keys(&context.keyring)?;
    let transport =
        HttpTransport::new(&server.server, pin_of(server)?, clinic.device_id(), keys.device_keys.signing_key())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    let state = runtime.block_on(mamori_sync::Transport::state(&transport))?;
    Ok(state.frontier.seq(device))
}

pub fn run(context: &Context, args: &SyncArgs) -> anyhow::Result<()> {
    let server = server_settings(context, args)?;
    let mut clinic = context.unlock(&args.unlock)?;
    let done = (|| {
        let mut bar = Bar::new("changes");
        let report = sync_once(context, &server, &mut clinic, &mut |done, total| bar.update(done, total));
        bar.finish();
        let report = report?;
        println!(
            "Synced with {}: sent {} changes, received {} ({} applied){}{}.",
            server.server,
            report.round.pushed,
            report.round.pulled.held,
            report.round.pulled.applied,
            if report.round.pulled.set_aside > 0 {
                format!(", {} set aside for an administrator", report.round.pulled.set_aside)
            } else {
                String::new()
            },
            if report.round.waiting > 0 { format!(", {} still waiting", report.round.waiting) } else { String::new() }
        );
        if report.round.pulled.far_ahead > 0 {
            println!(
                "{} received changes were stamped far ahead of this computer's clock (see `mamori conflicts`).",
                report.round.pulled.far_ahead
            );
        }
        if report.round.server_lost > 0 {
            println!(
                "The server had lost {} changes it had acknowledged (restored from a backup?); this computer gave them back.",
                report.round.server_lost
            );
        }
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}
