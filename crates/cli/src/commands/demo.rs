use mamori_core::demo::{self, DemoOptions};

use crate::args::DemoArgs;
use crate::context::Context;
use crate::output::progress::Bar;
use crate::output::table;

pub fn run(context: &Context, args: &DemoArgs) -> anyhow::Result<()> {
    let options = DemoOptions { patients: args.patients, seed: args.seed };
    let mut bar = Bar::new("patients");
    let report = demo::create_with_progress(
        &context.dir,
        &context.keyring,
        crate::context::clock(),
        &options,
        &mut |done, total| bar.update(done, total),
    )?;
    bar.finish();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "Demo clinic created in {}: {} patients, {} changes.",
        context.dir.root().display(),
        report.patients,
        report.changes
    );
    println!("Demo logins (synthetic clinic; do not reuse these passwords). Add each TOTP secret to an");
    println!("authenticator app, or use `--json` for otpauth:// URIs:");
    let rows: Vec<Vec<String>> = report
        .users
        .iter()
        .map(|user| {
            vec![
                format!("  {}", user.name),
                user.role.as_str().to_string(),
                user.password.clone(),
                format!("TOTP secret {}", user.totp_secret),
                user.display_name.clone(),
            ]
        })
        .collect();
    print!("{}", table::render(&rows));
    println!("This computer is enrolled in the clinic's sync. Clinic root fingerprint (for `mamori server init`):");
    println!("  {}", report.clinic_root);
    Ok(())
}
