//! `mamori enroll`, `mamori device list|invite|revoke|wipe|lease`, `mamori conflicts`.

use anyhow::Context as _;

use mamori_core::chain::LeasePolicy;
use mamori_sync::device_overview::{overview, DeviceStatus};

use crate::args::{DeviceCommand, RoleArg, Unlock};
use crate::context::Context;
use crate::output::table;

/// An administrator enrolls this computer in the clinic's sync.
pub fn enroll(context: &Context, roles: &[RoleArg], unlock: &Unlock) -> anyhow::Result<()> {
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        clinic.enroll_this_device(&context.keyring, roles.iter().map(|r| (*r).into()).collect())?;
        let root = hex::encode(clinic.membership()?.root());
        println!("This computer ({}) is enrolled in the clinic's sync.", clinic.device_id());
        println!("Clinic root fingerprint (set the server up with it: mamori server init --clinic-root …):");
        println!("  {root}");
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}

pub fn run(context: &Context, command: DeviceCommand) -> anyhow::Result<()> {
    match command {
        DeviceCommand::List { unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let done = list(context, &mut clinic);
            clinic.logout()?;
            done
        }
        DeviceCommand::Invite { name, roles, unlock } => invite(context, &name, &roles, &unlock),
        DeviceCommand::Revoke { name, unlock } => revoke(context, &name, &unlock),
        DeviceCommand::Wipe { name, unlock } => wipe(context, &name, &unlock),
        DeviceCommand::Lease { days, self_wipe_days, unlock } => lease(context, days, self_wipe_days, &unlock),
    }
}

/// Marks a computer lost at the cut-off the server holds from it, then syncs the order.
fn wipe(context: &Context, name: &str, unlock: &Unlock) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context)?;
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        let through = super::sync::cut_off(context, &server, &mut clinic, name)?;
        clinic.mark_device_lost(name, through)?;
        super::sync::sync_once(context, &server, &mut clinic, &mut |_, _| {})
            .context("the wipe order is made here, but the server does not have it yet: run `mamori sync`")?;
        println!("{name} is marked lost. It is shut out now; the next time it reaches the server, even");
        println!("before anyone logs in there, it destroys its data and reports back (see `mamori device list`).");
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}

/// Sets the clinic's offline lease and syncs it.
fn lease(context: &Context, days: u32, self_wipe_days: Option<u32>, unlock: &Unlock) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context).ok();
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        clinic.set_lease_policy(LeasePolicy { lease_days: days, self_wipe_days })?;
        println!("Computers may now stay away from the clinic server for {days} days before they must sync.");
        match self_wipe_days {
            Some(wipe) => println!("A computer away for more than {wipe} days wipes itself (unsent changes are lost)."),
            None => println!("No computer wipes itself for being away (the default)."),
        }
        if let Some(server) = server {
            super::sync::sync_once(context, &server, &mut clinic, &mut |_, _| {})
                .context("the policy is set here, but the server does not have it yet: run `mamori sync`")?;
        }
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}

/// Revokes a computer at the cut-off the server holds from it, then syncs the revocation.
fn revoke(context: &Context, name: &str, unlock: &Unlock) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context)?;
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        let through = super::sync::cut_off(context, &server, &mut clinic, name)?;
        let epoch = clinic.revoke_device(name, through)?;
        super::sync::sync_once(context, &server, &mut clinic, &mut |_, _| {})
            .context("the revocation is made here, but the server does not have it yet: run `mamori sync`")?;
        println!("{name} is revoked. The clinic keeps the {through} changes it had sent and refuses anything after.");
        println!("A new clinic data key (epoch {epoch}) seals everything written from now on; the clinical key");
        println!("changes at the next doctor's or nurse's login.");
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}

/// Invites a new computer: the link, then a sync so the server has it, then the code to enter.
fn invite(context: &Context, name: &str, roles: &[RoleArg], unlock: &Unlock) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context)?;
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        let pin = server.pin()?;
        let code = clinic.invite_device(name, roles.iter().map(|r| (*r).into()).collect(), &server.server, pin)?;
        super::sync::sync_once(context, &server, &mut clinic, &mut |_, _| {})
            .context("the invitation is made here, but the server does not have it yet: run `mamori sync`")?;
        println!("On the new computer, run `mamori join --user <login>` and enter this one-time code");
        println!("(or scan the QR code). It works once, for the device {name}:\n");
        print!("{}", code.qr_text()?);
        println!("\n  {}\n", *code.to_text());
        println!("Then sync once from a computer that holds the clinic's data key (this one), so it is passed on.");
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}

fn list(context: &Context, clinic: &mut mamori_core::clinic::Clinic) -> anyhow::Result<()> {
    clinic.authorize_admin()?;
    let (reports, acks) = match super::sync::remembered_server(context) {
        Ok(server) => super::sync::device_reports(context, &server, clinic).unwrap_or_else(|_| {
            println!("(The clinic server could not be reached: what it last heard from each device is not shown.)");
            Default::default()
        }),
        Err(_) => Default::default(),
    };
    let now = chrono::Utc::now().timestamp();
    let devices = overview(clinic.membership()?, clinic.device_id(), &reports, &acks, now);
    if devices.is_empty() {
        println!("No device is enrolled yet: an administrator runs `mamori enroll` on each computer.");
        return Ok(());
    }
    let header: Vec<String> =
        ["device", "status", "roles", "last seen", "version", "waiting", "lease left"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(devices.iter().map(|d| {
            let status = match d.status {
                DeviceStatus::Invited => "invited".to_owned(),
                DeviceStatus::Enrolled => "enrolled".to_owned(),
                DeviceStatus::Revoked => "revoked".to_owned(),
                DeviceStatus::WipeOrdered => "lost: wipe ordered".to_owned(),
                DeviceStatus::Wiped => match d.lost_in_wipe {
                    Some(lost) if lost > 0 => format!("wiped ({lost} unsent changes lost)"),
                    _ => "wiped".to_owned(),
                },
            };
            let name = if d.this_computer { format!("{} (this computer)", d.name) } else { d.name.clone() };
            let roles: Vec<&str> = d.roles.iter().map(|r| r.as_str()).collect();
            let seen = d.last_seen.and_then(|at| chrono::DateTime::from_timestamp(at, 0)).map_or_else(
                || "-".to_owned(),
                |at| at.with_timezone(&mamori_core::clinic::japan_time()).format("%Y-%m-%d %H:%M").to_string(),
            );
            let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
            vec![
                name,
                status,
                roles.join(","),
                seen,
                or_dash(d.app_version.clone()),
                or_dash(d.waiting.map(|w| w.to_string())),
                or_dash(d.lease_days_left.map(|days| format!("{days} days"))),
            ]
        }))
        .collect();
    print!("{}", table::render(&rows));
    Ok(())
}

/// Records edited on two devices at once, that this user may read.
pub fn conflicts(context: &Context, unlock: &Unlock) -> anyhow::Result<()> {
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        let conflicts = clinic.conflicts()?;
        let conn = clinic.sync_connection()?;
        mamori_sync::local::prepare(conn)?;
        let (far_ahead, set_aside) =
            (mamori_sync::local::clock_flag_count(conn)?, mamori_sync::local::set_aside_count(conn)?);
        if far_ahead > 0 {
            println!(
                "{far_ahead} changes arrived stamped far ahead of this computer's clock (a device's clock is wrong); \
                 they were applied, and later edits still win."
            );
        }
        if set_aside > 0 {
            println!("{set_aside} changes from other devices are set aside: the membership chain does not confirm their author.");
        }
        if conflicts.is_empty() {
            println!("No record was edited on two devices at once.");
            return anyhow::Ok(());
        }
        let header: Vec<String> = ["record", "id", "versions", "fields that differ"].map(String::from).to_vec();
        let rows: Vec<Vec<String>> = std::iter::once(header)
            .chain(
                conflicts.iter().map(|c| vec![c.kind.clone(), c.id.clone(), c.heads.to_string(), c.fields.join(", ")]),
            )
            .collect();
        print!("{}", table::render(&rows));
        println!("The newest version is shown; open the record and save the right value to settle it.");
        anyhow::Ok(())
    })();
    clinic.logout()?;
    done
}
