//! What a shell and `man` need: completion scripts and the manual page, both generated from
//! the same clap definition as `--help`, so they never fall behind the commands.

use std::io::Write;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::{Cli, CompletionShell};

pub fn completions(shell: CompletionShell) -> anyhow::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mamori", &mut script);
    write_out(&script)
}

pub fn man() -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page).context("could not render the manual page")?;
    write_out(&page)
}

fn write_out(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).context("could not write to standard output")
}
