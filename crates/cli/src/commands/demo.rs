use mamori_core::demo::{self, DemoOptions};

use crate::args::DemoArgs;
use crate::context::Context;

pub fn run(context: &Context, args: &DemoArgs) -> anyhow::Result<()> {
    let options = DemoOptions { patients: args.patients, seed: args.seed };
    let report = demo::create(&context.dir, &context.keyring, crate::context::clock(), &options)?;
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
    for user in &report.users {
        println!(
            "  {:<10} {:<9} {}  TOTP secret {}  ({})",
            user.name,
            user.role.as_str(),
            user.password,
            user.totp_secret,
            user.display_name
        );
    }
    Ok(())
}
