//! `mamori key`: a doctor or nurse sees who waits for the clinical key and confirms them.

use mamori_core::clinic::Clinic;

use crate::args::{KeyCommand, Unlock};
use crate::context::Context;
use crate::output::table;

pub fn run(context: &Context, command: KeyCommand, unlock: &Unlock) -> anyhow::Result<()> {
    let mut clinic = context.unlock(unlock)?;
    let done = run_unlocked(&mut clinic, command);
    clinic.logout()?;
    done
}

fn run_unlocked(clinic: &mut Clinic, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Pending => {
            println!("Your key fingerprint: {}", clinic.key_fingerprint()?);
            let waiting = clinic.pending_recipients()?;
            if waiting.is_empty() {
                println!("Nobody is waiting for the clinical key.");
                return Ok(());
            }
            let header: Vec<String> = ["user", "name", "role", "added by", "note"].map(String::from).to_vec();
            let rows: Vec<Vec<String>> = std::iter::once(header)
                .chain(waiting.iter().map(|r| {
                    vec![
                        r.user.clone(),
                        r.display_name.clone(),
                        r.role.as_str().to_string(),
                        r.added_by.clone().unwrap_or_default(),
                        if r.reinvited {
                            "invited again: ask whether they accepted it themselves".into()
                        } else {
                            String::new()
                        },
                    ]
                }))
                .collect();
            print!("{}", table::render(&rows));
            println!(
                "Check each one's key fingerprint with them in person, then: mamori key confirm NAME --fingerprint '…'"
            );
        }
        KeyCommand::Confirm { name, fingerprint } => {
            clinic.confirm_recipient(&name, &fingerprint)?;
            println!("{name} is confirmed and now holds the clinical key on this computer.");
        }
    }
    Ok(())
}
