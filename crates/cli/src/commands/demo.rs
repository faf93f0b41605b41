use mamori_core::clock::SystemClock;
use mamori_core::demo::{self, DemoOptions};

use crate::args::DemoArgs;
use crate::context::Context;

pub fn run(context: &Context, args: &DemoArgs) -> anyhow::Result<()> {
    let options = DemoOptions { patients: args.patients, seed: args.seed };
    let report = demo::create(&context.dir, &context.keyring, Box::new(SystemClock), &options)?;
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
    println!("Demo logins (synthetic clinic; do not reuse these passwords):");
    for user in &report.users {
        println!("  {:<10} {:<9} {}  ({})", user.name, user.role.as_str(), user.password, user.display_name);
    }
    Ok(())
}
