//! Reading passwords and one-time codes: from a prompt without echo, or from standard input.

use std::io::BufRead;

use anyhow::{bail, Context};
use mamori_core::auth::SecondFactor;
use mamori_core::secret::Password;

use crate::args::Unlock;
use zeroize::Zeroizing;

pub fn read(from_stdin: bool, prompt: &str) -> anyhow::Result<Password> {
    Ok(Password::new(read_secret_line(from_stdin, prompt, "password")?.as_str()))
}

/// The second factor: --recovery-code, --totp, the next line of standard input, or a prompt. What
/// is typed at the prompt or on standard input is read by the core's rule: six digits are an
/// authenticator code, anything else a recovery code.
pub fn read_second_factor(unlock: &Unlock) -> anyhow::Result<SecondFactor> {
    if let Some(code) = &unlock.recovery_code {
        return Ok(SecondFactor::RecoveryCode(code.clone()));
    }
    if let Some(code) = &unlock.totp {
        return Ok(SecondFactor::Totp(code.clone()));
    }
    let code = read_secret_line(
        unlock.password_stdin,
        "One-time code (authenticator app, or a recovery code): ",
        "one-time code",
    )?;
    Ok(SecondFactor::parse(&code))
}

fn read_secret_line(from_stdin: bool, prompt: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .with_context(|| format!("could not read the {what} from standard input"))?;
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            bail!("no {what} on standard input");
        }
        return Ok(Zeroizing::new(text.to_string()));
    }
    let text = rpassword::prompt_password(prompt)
        .with_context(|| format!("could not read the {what} (no terminal? use --password-stdin)"))?;
    Ok(Zeroizing::new(text))
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
