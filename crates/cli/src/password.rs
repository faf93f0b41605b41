//! Reading passwords: from a prompt without echo, or from the first line of standard input.

use std::io::BufRead;

use anyhow::{bail, Context};
use mamori_core::secret::Password;
use zeroize::Zeroizing;

pub fn read(from_stdin: bool, prompt: &str) -> anyhow::Result<Password> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line).context("could not read the password from standard input")?;
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(Password::new(text));
    }
    let text = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .context("could not read the password (no terminal? use --password-stdin)")?,
    );
    Ok(Password::new(text.as_str()))
}

/// A new password, typed twice when prompting.
pub fn read_new(from_stdin: bool) -> anyhow::Result<Password> {
    let first = read(from_stdin, "New password: ")?;
    if !from_stdin {
        let again = read(false, "Repeat the password: ")?;
        if again.expose() != first.expose() {
            bail!("the two passwords differ; nothing was created");
        }
    }
    Ok(first)
}
