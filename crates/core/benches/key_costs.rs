//! What the key hierarchy costs a clinic day: unlock (with the audit log its pins check), a whole
//! chart open, and a signed note (write + sign), on a demo clinic whose audit log already holds
//! many events. Uses only the public API that every version since issue 8 has, so the same file
//! measures an older commit and this one (the issue note compares them).
//!
//!     MAMORI_BENCH_PATIENTS=2000 MAMORI_BENCH_AUDIT_EVENTS=100000 \
//!         cargo bench -p mamori-core --bench key_costs

use std::time::{Duration, Instant};

use mamori_core::auth::SecondFactor;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::{Clock, ManualClock};
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::{EncounterKind, SoapText};
use mamori_core::secret::Password;
use mamori_core::vault::MemoryStore;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let patients = env_number("MAMORI_BENCH_PATIENTS", 2_000);
    let events = env_number("MAMORI_BENCH_AUDIT_EVENTS", 100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = DataDir::new(tmp.path().join("clinic"));
    let secrets = MemoryStore::default();
    let clock = ManualClock::at(chrono::Utc::now());
    let options = DemoOptions { patients: u32::try_from(patients).expect("patients"), seed: 2026 };
    let report = demo::create(&dir, &secrets, Box::new(clock.clone()), &options).expect("demo");
    let doctor = report.users.iter().find(|u| u.name == "doctor").expect("doctor");
    let login = (doctor.password.clone(), doctor.otpauth_uri.clone());
    let unlock = || {
        clock.advance(chrono::Duration::seconds(30));
        let app = totp_rs::Totp::from_url(&login.1).expect("otpauth URI");
        let code = app.generate(u64::try_from(clock.now().timestamp()).expect("after 1970")).to_string();
        Clinic::unlock(
            &dir,
            &secrets,
            Box::new(clock.clone()),
            "doctor",
            &Password::new(login.0.as_str()),
            &SecondFactor::Totp(code),
        )
        .expect("unlock")
    };

    // A year of chart opens in the audit log (each open is one event).
    let mut clinic = unlock();
    let ids: Vec<_> = clinic.search_patients("1", 50).expect("search").into_iter().map(|p| p.id).collect();
    let started = Instant::now();
    for i in 0..events {
        clinic.chart(ids[i % ids.len()]).expect("chart");
    }
    println!(
        "key costs: {patients} patients, {events} audit events written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    clinic.logout().expect("logout");

    let unlocks: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let session = unlock();
            let took = start.elapsed();
            session.logout().expect("logout");
            took
        })
        .collect();
    print_row("unlock (password, TOTP, pins, clinical keys)", unlocks);

    let mut clinic = unlock();
    let opens: Vec<Duration> = ids
        .iter()
        .cycle()
        .take(400)
        .map(|id| {
            let start = Instant::now();
            std::hint::black_box(clinic.chart(*id).expect("chart"));
            start.elapsed()
        })
        .collect();
    print_row("chart open (whole chart, audited)", opens);

    let notes: Vec<Duration> = ids
        .iter()
        .cycle()
        .take(100)
        .map(|id| {
            let start = Instant::now();
            let visit = clinic.open_encounter(*id, EncounterKind::Outpatient).expect("visit");
            let text = SoapText::build("計測のための所見", "体温36.8", "経過良好", "継続").expect("text");
            let note = clinic.write_note(visit.id, text).expect("note");
            std::hint::black_box(clinic.sign_note(note.id).expect("sign"));
            start.elapsed()
        })
        .collect();
    print_row("signed note (visit + write + sign)", notes);
    clinic.logout().expect("logout");
}

fn print_row(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    println!("{name:<48} p50 {:>9.2} ms   p95 {:>9.2} ms", at(0.5), at(0.95));
}
