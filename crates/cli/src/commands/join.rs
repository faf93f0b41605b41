//! `mamori join`: this new computer joins the clinic with an administrator's one-time code; the
//! user who joins logs in here with their password and Secret Key (their vault record, from the
//! clinic server), and from then on as on any computer.

use anyhow::{bail, Context as _};
use mamori_core::clinic::JoinCode;
use mamori_core::vault::vault_record::SecretKey;
use mamori_sync::join::{join_clinic, FirstLogin};

use crate::args::JoinArgs;
use crate::context::{clock, Context};
use crate::password;

pub fn run(context: &Context, args: &JoinArgs) -> anyhow::Result<()> {
    if context.dir.key_file().exists() {
        bail!("this computer already holds a clinic in {}; it joins only once", context.dir.root().display());
    }
    let code = JoinCode::parse(password::read(args.stdin, "Enrollment code (MJ1-…): ")?.expose())?;
    let password = password::read(args.stdin, "Your password: ")?;
    let secret_key = SecretKey::parse(password::read(args.stdin, "Your Secret Key (MSK1-…): ")?.expose())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    let login = FirstLogin { user: &args.user, password: &password, secret_key: &secret_key };
    let clinic = runtime.block_on(join_clinic(&context.dir, &context.keyring, clock(), &code, login))?;
    println!("Welcome, {}. This computer ({}) has joined the clinic.", clinic.user().display_name, code.device);
    clinic.logout()?;
    println!("Run `mamori sync` to receive the charts. Until a computer that holds the clinic's data key");
    println!("has synced once since, the sync says it is waiting for the key.");
    Ok(())
}
