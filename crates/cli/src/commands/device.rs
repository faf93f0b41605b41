//! `mamori enroll`, `mamori device list`, `mamori conflicts`.

use anyhow::Context as _;

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
            let done = list(&mut clinic);
            clinic.logout()?;
            done
        }
        DeviceCommand::Invite { name, roles, unlock } => invite(context, &name, &roles, &unlock),
        DeviceCommand::Revoke { name, unlock } => revoke(context, &name, &unlock),
    }
}

/// Revokes a computer at the cut-off the server holds from it, then syncs the revocation.
fn revoke(context: &Context, name: &str, unlock: &Unlock) -> anyhow::Result<()> {
    let server = super::sync::remembered_server(context)?;
    let mut clinic = context.unlock(unlock)?;
    let done = (|| {
        let through = super::sync::server_holds_from(context, &server, &clinic, name)?;
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
        let pin = super::sync::pin_of(&server)?;
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

fn list(clinic: &mut mamori_core::clinic::Clinic) -> anyhow::Result<()> {
    clinic.authorize_admin()?;
    let this = clinic.device_id().to_owned();
    let membership = clinic.membership()?;
    let header: Vec<String> = ["device", "status", "roles", "enrolled by"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(membership.devices().iter().map(|d| {
            let status = match (d.revoked_at, d.invite_key) {
                (Some(_), _) => "revoked",
                (None, Some(_)) => "invited",
                (None, None) => "enrolled",
            };
            let name = if d.name == this { format!("{} (this computer)", d.name) } else { d.name.clone() };
            let roles: Vec<&str> = d.roles.iter().map(|r| r.as_str()).collect();
            vec![name, status.to_owned(), roles.join(","), d.invited_by.clone()]
        }))
        .collect();
    if rows.len() == 1 {
        println!("No device is enrolled yet: an administrator runs `mamori enroll` on each computer.");
    } else {
        print!("{}", table::render(&rows));
    }
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
