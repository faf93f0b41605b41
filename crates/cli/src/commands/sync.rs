//! `mamori sync`: one round with the clinic server, as the logged-in user on this computer. The
//! server's address and certificate fingerprint are given once and remembered in `sync.toml`
//! beside the chart (neither is a secret).

use anyhow::Context as _;
use mamori_core::clinic::Clinic;
use mamori_sync::check_in::{check_in as check_in_locked, CheckedIn};
use mamori_sync::http::HttpTransport;
use mamori_sync::session::{sync_session, SessionReport};
use mamori_sync::{ServerSettings, Settings};

use crate::args::SyncArgs;
use crate::context::Context;
use crate::output::progress::Bar;

/// The server settings: given on the command line (and then remembered) or remembered.
fn server_settings(context: &Context, args: &SyncArgs) -> anyhow::Result<ServerSettings> {
    match (&args.server, &args.server_fingerprint) {
        (Some(server), Some(pin)) => {
            let settings = ServerSettings::new(server, pin)?;
            settings.remember(&context.dir)?;
            Ok(settings)
        }
        (None, None) => remembered_server(context),
        _ => anyhow::bail!("give both --server and --server-fingerprint (as `mamori server init` printed them)"),
    }
}

/// The server this computer syncs with, as remembered.
pub fn remembered_server(context: &Context) -> anyhow::Result<ServerSettings> {
    ServerSettings::remembered(&context.dir)?
        .context("this computer has no clinic server yet: give --server and --server-fingerprint once")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")
}

/// One sync session with `server` for the open `clinic`.
pub fn sync_once(
    context: &Context,
    server: &ServerSettings,
    clinic: &mut Clinic,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<SessionReport> {
    let transport = HttpTransport::for_session(server, clinic, &context.keyring)?;
    Ok(runtime()?.block_on(sync_session(clinic, &context.keyring, &transport, Settings::default(), progress))?)
}

/// Where shutting `device` out cuts its history off (`mamori_sync::shut_out`).
pub fn cut_off(context: &Context, server: &ServerSettings, clinic: &mut Clinic, device: &str) -> anyhow::Result<u64> {
    let transport = HttpTransport::for_session(server, clinic, &context.keyring)?;
    Ok(runtime()?.block_on(mamori_sync::shut_out::cut_off(clinic, &transport, device))?)
}

/// What the server last heard from each device, and the wipe reports it keeps (unchecked: the
/// overview checks each against the chain).
pub fn device_reports(
    context: &Context,
    server: &ServerSettings,
    clinic: &Clinic,
) -> anyhow::Result<(mamori_sync::wire::DeviceReports, mamori_sync::wire::WipeAcks)> {
    let transport = HttpTransport::for_session(server, clinic, &context.keyring)?;
    let runtime = runtime()?;
    Ok((runtime.block_on(transport.device_reports())?, runtime.block_on(transport.wipe_acks())?))
}

/// Every other device's audit events, fetched and checked, for `clinic`'s clinic-wide scans.
pub fn clinic_wide_audit(
    context: &Context,
    server: &ServerSettings,
    clinic: &mut Clinic,
) -> anyhow::Result<mamori_core::alerts::AlertCoverage> {
    let transport = HttpTransport::for_session(server, clinic, &context.keyring)?;
    let now = clinic.now();
    Ok(runtime()?.block_on(mamori_sync::clinic_audit::refresh(clinic, &transport, now))?)
}

/// `mamori check-in`: the login screen's check-in, from the command line.
pub fn check_in(context: &Context) -> anyhow::Result<()> {
    context.dir.check_initialized()?;
    let now = crate::context::clock().now().timestamp();
    match runtime()?.block_on(check_in_locked(&context.dir, &context.keyring, now))? {
        CheckedIn::Leased { lease_days } => {
            println!("Checked in with the clinic server: this computer may stay offline for {lease_days} days.");
        }
        CheckedIn::Wiped { unsent, acknowledged } => report_wipe(unsent, acknowledged),
    }
    Ok(())
}

fn report_wipe(unsent: u64, acknowledged: bool) {
    println!("The clinic marked this computer lost: its keyring secret and chart data are destroyed.");
    if unsent > 0 {
        println!("{unsent} changes made here had not reached the server and are lost.");
    }
    if !acknowledged {
        println!("The report could not be sent to the server; tell the clinic's administrator.");
    }
}

pub fn run(context: &Context, args: &SyncArgs) -> anyhow::Result<()> {
    let server = server_settings(context, args)?;
    // First the login screen's check-in: a wipe the clinic ordered happens before anyone logs in,
    // and a lease that ran out is renewed so the login below may open the chart.
    context.dir.check_initialized()?;
    let now = crate::context::clock().now().timestamp();
    match runtime()?.block_on(check_in_locked(&context.dir, &context.keyring, now)) {
        Ok(CheckedIn::Wiped { unsent, acknowledged }) => {
            report_wipe(unsent, acknowledged);
            return Ok(());
        }
        Ok(CheckedIn::Leased { .. }) => {}
        // Not yet possible (nobody logged in here since the enrollment): the session checks in.
        Err(error) => mamori_core::log_safe!(info, "no check-in before the login", reason = error.code()),
    }
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
