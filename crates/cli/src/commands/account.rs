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
    let (mut clinic, enrollment) =
        Clinic::accept_invitation(&context.dir, &context.keyring, clock(), &args.user, &code, &chosen)?;
    println!("Welcome, {}. Your password is set; now set up your authenticator.", clinic.user().display_name);
    println!("Your key fingerprint (a doctor or nurse checks it with you): {}", clinic.key_fingerprint()?);
    let secret_key = clinic.make_vault_record(&context.keyring, &chosen);
    clinic.logout()?;
    super::enrollment::show(&enrollment, args.qr_png.as_deref())?;
    if let Some(key) = secret_key? {
        show_secret_key(&key);
    }
    Ok(())
}

/// Makes this user's Secret Key (shown once) and seals their vault record for the sync to carry.
pub fn secret_key(context: &Context, unlock: &Unlock) -> anyhow::Result<()> {
    context.dir.check_initialized()?;
    let current = password::read(unlock.password_stdin, "Password: ")?;
    let mut clinic = context.unlock_with(unlock, &current)?;
    let made = clinic.make_vault_record(&context.keyring, &current);
    clinic.logout()?;
    match made? {
        Some(key) => show_secret_key(&key),
        None => println!("Your vault record is sealed again under your password; your Secret Key is unchanged."),
    }
    println!("The next `mamori sync` takes your vault record to the clinic server.");
    Ok(())
}

/// Shows a new Secret Key once, with what it is for.
pub fn show_secret_key(key: &mamori_core::vault::vault_record::SecretKey) {
    println!("Your Secret Key (print it or write it down, keep it with your kit; it is shown only now):");
    println!("\n  {}\n", *key.to_text());
    println!("With your password, it lets you log in on the clinic's other computers (`mamori join`).");
    println!("Neither the clinic server nor a colleague can use your vault record without it.");
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
