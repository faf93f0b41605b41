use mamori_core::clinic::Clinic;
use mamori_core::domain::{Role, User};

use crate::args::InitArgs;
use crate::context::Context;
use crate::password;

pub fn run(context: &Context, args: &InitArgs) -> anyhow::Result<()> {
    // Check the typed values before asking for a password.
    let role = Role::from(args.role);
    let user = User::build(&args.user, args.display_name.as_deref().unwrap_or(&args.user), role)?;
    let password = password::read_new(args.password_stdin)?;
    let (mut clinic, enrollment, kit) =
        Clinic::init(&context.dir, &context.keyring, crate::context::clock(), &user, &password)?;
    println!(
        "Created an encrypted chart store in {} (device {}) with user {} ({}).",
        context.dir.root().display(),
        clinic.device_id(),
        user.name,
        role.as_str()
    );
    super::enrollment::show(&enrollment, args.qr_png.as_deref())?;
    if let Some(key) = clinic.make_vault_record(&context.keyring, &password)? {
        super::account::show_secret_key(&key);
    }
    // Printed once and kept nowhere by Mamori: the clinic root key signed the first link.
    println!(
        "\nClinic recovery kit (print it for the clinic's director and keep it locked away; Mamori keeps no copy):"
    );
    println!("  clinic fingerprint: {}", kit.clinic_fingerprint);
    println!("  root key: {}", kit.secret.as_str());
    Ok(())
}
