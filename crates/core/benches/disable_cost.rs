//! What disabling a user costs (issue 9): the signed link, removing their key-file entry, and
//! re-encrypting the whole database under a new key (SQLCipher rekey). Prints the database size
//! and the time, and the time of a plain role change (a link without rekey) as the baseline.
//!
//!     MAMORI_BENCH_PATIENTS=100000 cargo bench -p mamori-core --bench disable_cost

use std::time::Instant;

use mamori_core::auth::SecondFactor;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::{Clock, ManualClock};
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::Role;
use mamori_core::secret::Password;
use mamori_core::vault::MemoryStore;

fn main() {
    let patients: u32 = std::env::var("MAMORI_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = DataDir::new(tmp.path().join("clinic"));
    let secrets = MemoryStore::default();
    let clock = ManualClock::at(chrono::Utc::now());
    let started = Instant::now();
    let report =
        demo::create(&dir, &secrets, Box::new(clock.clone()), &DemoOptions { patients, seed: 2026 }).expect("demo");
    let size = std::fs::metadata(dir.database()).map(|m| m.len() >> 20).unwrap_or(0);
    println!(
        "disable cost: {patients} patients, {} changes, database {size} MiB, made in {:.0} s",
        report.changes,
        started.elapsed().as_secs_f64()
    );
    let admin = report.users.iter().find(|u| u.name == "admin").expect("admin");
    clock.advance(chrono::Duration::seconds(30));
    let app = totp_rs::Totp::from_url(&admin.otpauth_uri).expect("uri");
    let code = app.generate(u64::try_from(clock.now().timestamp()).expect("after 1970")).to_string();
    let mut clinic = Clinic::unlock(
        &dir,
        &secrets,
        Box::new(clock.clone()),
        "admin",
        &Password::new(admin.password.as_str()),
        &SecondFactor::Totp(code),
    )
    .expect("unlock");

    let start = Instant::now();
    clinic.change_role("reception", Role::Nurse).expect("role");
    let link_only = start.elapsed();
    let start = Instant::now();
    clinic.set_user_disabled("reception", true).expect("disable");
    let disable = start.elapsed();
    println!(
        "role change (signed link only): {:.1} ms; disable (link, entry removed, database rekeyed): {:.0} ms ({:.0} MiB/s)",
        link_only.as_secs_f64() * 1000.0,
        disable.as_secs_f64() * 1000.0,
        size as f64 / disable.as_secs_f64()
    );
}
