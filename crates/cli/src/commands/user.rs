use mamori_core::domain::{Role, User};

use crate::args::{Unlock, UserCommand};
use crate::context::Context;
use crate::output::table;

pub fn run(context: &Context, command: UserCommand, unlock: &Unlock) -> anyhow::Result<()> {
    // Check what was typed before asking for anything.
    if let UserCommand::IdleTimeout { minutes } = command {
        mamori_core::clinic::valid_idle_timeout(minutes)?;
    }
    let mut clinic = context.unlock(unlock)?;
    match command {
        UserCommand::List => {
            let rows: Vec<Vec<String>> = clinic
                .users()?
                .into_iter()
                .map(|user| {
                    let status = if user.disabled { "disabled" } else { "active" };
                    vec![user.name, user.role.as_str().to_string(), status.to_string(), user.display_name]
                })
                .collect();
            print!("{}", table::render(&rows));
        }
        UserCommand::Add { name, role, display_name } => {
            let role = Role::from(role);
            let user = User::build(&name, display_name.as_deref().unwrap_or(&name), role)?;
            let invitation = clinic.invite_user(&context.keyring, &user)?;
            println!("Invited {} ({}).", user.name, role.as_str());
            println!(
                "Hand {} this one-time invitation code in person. At their first login \
                 (`mamori accept-invitation --user {}`) they choose their own password and set up their \
                 own authenticator:",
                user.name, user.name
            );
            println!("  invitation code: {}", invitation.code.as_str());
            explain_waiting(&mut clinic, &user.name)?;
        }
        UserCommand::Role { name, role } => {
            let user = clinic.change_role(&name, Role::from(role))?;
            println!("{} is now {}.", user.name, user.role.as_str());
            explain_waiting(&mut clinic, &user.name)?;
        }
        UserCommand::Disable { name } => {
            clinic.set_user_disabled(&name, true)?;
            println!("{name} can no longer log in: their key is removed from this computer and the database key was changed.");
        }
        UserCommand::Enable { name } => {
            // Disabling removed their key-file entry and changed the database key: they come
            // back through a new invitation.
            let invitation = clinic.enable_user(&context.keyring, &name)?;
            println!(
                "{name} is enabled. Hand them this one-time invitation code in person; at their next login \
                 (`mamori accept-invitation --user {name}`) they set a password and authenticator again:"
            );
            println!("  invitation code: {}", invitation.code.as_str());
            explain_waiting(&mut clinic, &name)?;
        }
        UserCommand::Reset2fa { name } => {
            let reset = clinic.reset_second_factor(&name)?;
            println!(
                "Hand {name} this one-time reset code in person. At their next login they type it where the \
                 one-time code goes, with their own password, and set up a new authenticator:"
            );
            println!("  reset code: {}", reset.code.as_str());
        }
        UserCommand::ResendKey { name } => {
            clinic.resend_database_key(&name)?;
            println!("{name} can log in again: the database key waits for them on this computer.");
        }
        UserCommand::Unlock { name } => {
            clinic.unlock_account(&context.keyring, &name)?;
            println!("{name} may log in again.");
        }
        UserCommand::IdleTimeout { minutes } => {
            clinic.set_idle_timeout(minutes)?;
            println!("Sessions now lock after {minutes} idle minutes.");
        }
    }
    clinic.logout()?;
    Ok(())
}

/// Says when a clinical user cannot read clinical sections yet, and what lets them.
fn explain_waiting(clinic: &mut mamori_core::clinic::Clinic, name: &str) -> anyhow::Result<()> {
    if clinic.waiting_for_clinical_key()?.iter().any(|waiting| waiting == name) {
        println!(
            "{name} can read clinical sections after a doctor or nurse who already can confirms them on this \
             computer (`mamori key confirm {name} --fingerprint …`, after checking their key fingerprint with \
             them); administrators never hold the clinical key."
        );
    }
    Ok(())
}
