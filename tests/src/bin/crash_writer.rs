//! Helper for the crash-safety story: registers patients one change at a time, printing each
//! patient's id only after its transaction committed, until it is killed.
//!
//! Usage: crash-writer DATA_DIR KEYRING_SERVICE TOTP_SECRET ROUND (password on standard input).
//! Round r logs in with the code of step r-1 around now, so three rounds inside one 30-second
//! step still each present a fresh code.

use std::io::{BufRead, Write};

use anyhow::Context;
use mamori_core::auth::SecondFactor;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::SystemClock;
use mamori_core::secret::Password;
use mamori_core::vault::KeyringStore;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = DataDir::new(args.next().context("DATA_DIR missing")?);
    let keyring = KeyringStore::new(args.next().context("KEYRING_SERVICE missing")?);
    let secret = args.next().context("TOTP_SECRET missing")?;
    let round: i64 = args.next().context("ROUND missing")?.parse()?;
    let code = mamori_story_tests::totp_code(&secret, chrono::Utc::now() + chrono::Duration::seconds(30 * (round - 1)));
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = Password::new(password.trim_end());
    let mut clinic =
        Clinic::unlock(&dir, &keyring, Box::new(SystemClock), "doctor", &password, &SecondFactor::Totp(code))?;
    let mut out = std::io::stdout().lock();
    loop {
        let input = mamori_story_tests::patient(
            &clinic.next_chart_no()?,
            ("書込", "試験"),
            ("カキコミ", "シケン"),
            "1980-01-01",
            "",
        );
        let patient = clinic.register_patient(&input)?;
        writeln!(out, "{}", patient.id)?;
        out.flush()?;
    }
}
