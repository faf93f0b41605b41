//! Your own account: the first login with an invitation code, and changing your password.

use mamori_core::clinic::Clinic;
use zeroize::Zeroizing;

use crate::args::{AcceptArgs, Unlock};
use crate::context::{clock, Context};
use crate::password;

pub fn accept(context: &Context, args: &AcceptArgs) -> anyhow::Result<()> {
    context.dir.check_initialized()?;
    let code: Zeroizing<String> = Zeroizing::new(password::read(args.stdin, "Invitation code: ")?.expose().to_string());
    let chosen = password::read_new(args.stdin)?;
    let (clinic, enrollment) =
        Clinic::accept_invitation(&context.dir, &context.keyring, clock(), &args.user, &code, &chosen)?;
    println!("Welcome, {}. Your password is set; now set up your authenticator.", clinic.user().display_name);
    println!("Your key fingerprint (a doctor or nurse checks it with you): {}", clinic.key_fingerprint()?);
    clinic.logout()?;
    super::enrollment::show(&enrollment, args.qr_png.as_deref())
}

pub fn change_password(context: &Context, unlock: &Unlock) -> anyhow::Result<()> {
    context.dir.check_initialized()?;
    let current = password::read(unlock.password_stdin, "Current password: ")?;
    let mut clinic = context.unlock_with(unlock, &current)?;
    let new = password::read_new(unlock.password_stdin)?;
    let changed = clinic.change_password(&context.keyring, &current, &new);
    clinic.logout()?;
    changed?;
    println!("Your password is changed on this computer.");
    Ok(())
}
