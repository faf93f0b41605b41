use anyhow::bail;

use crate::args::StoreCommand;
use crate::context::Context;
use crate::output::progress::Bar;

pub fn run(context: &Context, command: StoreCommand) -> anyhow::Result<()> {
    match command {
        StoreCommand::Rebuild { unlock } => {
            let mut clinic = context.unlock(&unlock)?;
            let before = clinic.state_digest()?;
            let mut bar = Bar::new("changes");
            let replayed = clinic.rebuild_with_progress(&mut |done, total| bar.update(done, total))?;
            bar.finish();
            let after = clinic.state_digest()?;
            let verdict = if before == after {
                "identical to the state before"
            } else {
                "DIFFERENT from the state before (the old state had drifted)"
            };
            println!("Replayed {replayed} changes; rebuilt state {verdict}.");
            println!("State digest: {after}");
            clinic.logout()?;
        }
        StoreCommand::Check { unlock } => {
            let clinic = context.unlock(&unlock)?;
            let problems = clinic.check_integrity()?;
            if !problems.is_empty() {
                bail!("integrity check found {} problem(s): {}", problems.len(), problems.join("; "));
            }
            println!("Integrity check ok ({} changes in the log).", clinic.change_count()?);
            clinic.logout()?;
        }
    }
    Ok(())
}
