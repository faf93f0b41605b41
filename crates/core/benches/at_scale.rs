//! Mamori at clinic scale: a demo clinic of 100k patients (MAMORI_BENCH_PATIENTS to change),
//! written once to an encrypted store and once to plain SQLite in the same run, then the same
//! searches, chart opens and writes on both. Prints p50/p95 and the encrypted ÷ plain ratio.
//!
//!     cargo bench -p mamori-core --features bench-baselines --bench at_scale

use std::time::{Duration, Instant};

use mamori_core::auth::SecondFactor;
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::Clock;
use mamori_core::clock::ManualClock;
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::kana::fold_for_search;
use mamori_core::domain::{Patient, PatientInput, Role, User};
use mamori_core::secret::Password;
use mamori_core::vault::{DeviceSecretStore, KeyringStore, MemoryStore};

const SEED: u64 = 2026;
const SAMPLES: usize = 400;
const SINGLE_WRITES: usize = 200;

fn main() {
    let patients: u32 = std::env::var("MAMORI_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (secrets, keyring_kind) = keyring();
    println!("Mamori at-scale benchmark: {patients} patients (seed {SEED}), device secret in {keyring_kind}");

    let plain_dir = DataDir::new(tmp.path().join("plain"));
    let enc_dir = DataDir::new(tmp.path().join("encrypted"));
    let doctor = User::build("doctor", "守 太郎", Role::Doctor).expect("user");
    let clock = ManualClock::at(chrono::Utc::now());
    let report =
        demo::create(&enc_dir, secrets.as_ref(), Box::new(clock.clone()), &DemoOptions { patients: 0, seed: SEED })
            .expect("encrypted store");
    let doctor_login = report.users.iter().find(|u| u.name == "doctor").expect("doctor");
    let login = (doctor_login.password.clone(), doctor_login.otpauth_uri.clone());
    let mut encrypted = unlock(&enc_dir, secrets.as_ref(), &login, &clock);
    // The plain store's own clock starts at the same "now", so the seeded demo gives both stores
    // identical patients and ids (logging in moves the encrypted store's clock on).
    let plain_clock = ManualClock::at(clock.now());
    let mut plain = Clinic::create_plaintext_baseline(&plain_dir, Box::new(plain_clock), &doctor).expect("plain store");
    let plain_fill = fill(&mut plain, patients);
    let enc_fill = fill(&mut encrypted, patients);
    println!(
        "populate: {} changes; plain {:.1} s ({:.0} changes/s), encrypted {:.1} s ({:.0} changes/s), ratio {:.2}; encrypted DB {} MiB",
        enc_fill.0,
        plain_fill.1.as_secs_f64(),
        plain_fill.0 as f64 / plain_fill.1.as_secs_f64(),
        enc_fill.1.as_secs_f64(),
        enc_fill.0 as f64 / enc_fill.1.as_secs_f64(),
        enc_fill.1.as_secs_f64() / plain_fill.1.as_secs_f64(),
        std::fs::metadata(enc_dir.database()).map(|m| m.len() >> 20).unwrap_or(0),
    );

    // The store written first has sat idle while the second was written, and this machine's
    // kernel reclaims idle file pages (DAMON). Read both files once so neither starts cold.
    for dir in [&plain_dir, &enc_dir] {
        for file in dir.database_files() {
            warm_os_cache(&file);
        }
    }
    let sample = sample_patients(&plain, patients);
    let workloads: Vec<(&str, Vec<String>)> = vec![
        ("search: kanji surname (1-2 chars)", sample.iter().map(|p| p.family_name.chars().take(2).collect()).collect()),
        (
            "search: kana, 2 chars",
            sample.iter().map(|p| fold_for_search(&p.family_kana).chars().take(2).collect()).collect(),
        ),
        ("search: kana full name (3+ chars)", sample.iter().map(|p| fold_for_search(&p.full_kana())).collect()),
        ("search: chart number", sample.iter().map(|p| p.chart_no.clone()).collect()),
        (
            "search: phone, last 4 digits",
            sample.iter().filter_map(|p| p.phone.as_ref().map(|t| t[t.len() - 4..].to_string())).collect(),
        ),
        ("search: birth date", sample.iter().map(|p| p.birth_date.to_string()).collect()),
    ];
    println!(
        "\n{:<36} {:>20} {:>20} {:>14}",
        "workload (ms)", "plain p50 / p95", "encrypted p50 / p95", "ratio p50/p95"
    );
    for (name, queries) in &workloads {
        let (a, b) = time_both(queries, |q| plain.search_patients(q, 50), |q| encrypted.search_patients(q, 50));
        row(name, &a, &b);
    }
    let ids: Vec<_> = sample.iter().map(|p| p.id).collect();
    let (a, b) = time_both(&ids, |id| plain.chart(*id), |id| encrypted.chart(*id));
    row("chart open (whole chart)", &a, &b);

    // The cost of auditing: the same encrypted store, chart opens with and without their audit
    // event (naming every section read; hash-chained, head signed, committed with the read).
    println!(
        "\n{:<36} {:>20} {:>20} {:>14}",
        "audit cost (ms, encrypted)", "unaudited p50 / p95", "audited p50 / p95", "ratio p50/p95"
    );
    let (a, b) = time_both_on(&mut encrypted, &ids, |c, id| c.chart_unaudited_for_benchmark(*id), |c, id| c.chart(*id));
    row("chart open (doctor: 9 sections)", &a, &b);

    let a = single_writes(&mut plain);
    let b = single_writes(&mut encrypted);
    println!(
        "\nwrites, one change per durable transaction: plain {:.0}/s, encrypted {:.0}/s, ratio {:.2}",
        SINGLE_WRITES as f64 / a.as_secs_f64(),
        SINGLE_WRITES as f64 / b.as_secs_f64(),
        b.as_secs_f64() / a.as_secs_f64()
    );

    drop(encrypted);
    let unlocks: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            drop(unlock(&enc_dir, secrets.as_ref(), &login, &clock));
            start.elapsed()
        })
        .collect();
    let (p50, p95) = percentiles(unlocks);
    println!(
        "unlock (keyring + Argon2id 64 MiB/3 passes + SQLCipher open and verify + TOTP + audit): p50 {p50:.0} ms, p95 {p95:.0} ms"
    );
}

fn keyring() -> (Box<dyn DeviceSecretStore>, &'static str) {
    let real = KeyringStore::new(format!("mamori-bench-{}", std::process::id()));
    match real.create("probe") {
        Ok(_) => {
            let _ = real.delete("probe");
            (Box::new(real), "the OS keyring (Secret Service)")
        }
        Err(_) => {
            (Box::new(MemoryStore::default()), "memory (no Secret Service; run under scripts/lib/with-secret-service)")
        }
    }
}

/// Logs the doctor in one TOTP step after the previous login, with the authenticator's code.
fn unlock(dir: &DataDir, secrets: &dyn DeviceSecretStore, login: &(String, String), clock: &ManualClock) -> Clinic {
    clock.advance(chrono::Duration::seconds(30));
    let app = totp_rs::Totp::from_url(&login.1).expect("otpauth URI");
    let code = app.generate(u64::try_from(clock.now().timestamp()).expect("after 1970")).to_string();
    let factor = SecondFactor::Totp(code);
    Clinic::unlock(dir, secrets, Box::new(clock.clone()), "doctor", &Password::new(login.0.as_str()), &factor)
        .expect("unlock")
}

/// Writes the demo clinic; returns (changes written, time taken).
fn fill(clinic: &mut Clinic, patients: u32) -> (u64, Duration) {
    let before = clinic.change_count().expect("count");
    let start = Instant::now();
    demo::populate(clinic, &DemoOptions { patients, seed: SEED }).expect("populate");
    (clinic.change_count().expect("count") - before, start.elapsed())
}

/// Every (patients / SAMPLES)-th patient, identical on both stores (same seed, same order).
fn sample_patients(clinic: &Clinic, patients: u32) -> Vec<Patient> {
    let step = (patients as usize / SAMPLES).max(1);
    let sql = clinic.raw_sql_for_inspection().expect("an unlocked session");
    let mut stmt = sql.prepare("SELECT body FROM patients ORDER BY chart_no").expect("prepare");
    let bodies: Vec<String> = stmt.query_map([], |r| r.get(0)).expect("query").map(|b| b.expect("row")).collect();
    bodies.iter().step_by(step).take(SAMPLES).map(|b| serde_json::from_str(b).expect("patient")).collect()
}

/// Times each input on both stores, alternating which goes first, so neither store gets the
/// warmer caches. Both must give the same answer.
fn time_both<T, R: PartialEq + std::fmt::Debug>(
    inputs: &[T],
    mut plain: impl FnMut(&T) -> mamori_core::Result<R>,
    mut encrypted: impl FnMut(&T) -> mamori_core::Result<R>,
) -> (Vec<Duration>, Vec<Duration>) {
    let timed = |run: &mut dyn FnMut(&T) -> mamori_core::Result<R>, input: &T| {
        let start = Instant::now();
        let result = std::hint::black_box(run(input).expect("benchmark query"));
        (start.elapsed(), result)
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, input) in inputs.iter().enumerate() {
        let ((ta, ra), (tb, rb)) = if i % 2 == 0 {
            let first = timed(&mut plain, input);
            (first, timed(&mut encrypted, input))
        } else {
            let second = timed(&mut encrypted, input);
            (timed(&mut plain, input), second)
        };
        assert!(ra == rb, "both stores must answer alike");
        a.push(ta);
        b.push(tb);
    }
    (a, b)
}

/// As `time_both`, for two ways of asking one session.
fn time_both_on<T, R: PartialEq + std::fmt::Debug>(
    clinic: &mut Clinic,
    inputs: &[T],
    mut first: impl FnMut(&mut Clinic, &T) -> mamori_core::Result<R>,
    mut second: impl FnMut(&mut Clinic, &T) -> mamori_core::Result<R>,
) -> (Vec<Duration>, Vec<Duration>) {
    let cell = std::cell::RefCell::new(clinic);
    time_both(inputs, |input| first(&mut cell.borrow_mut(), input), |input| second(&mut cell.borrow_mut(), input))
}

fn warm_os_cache(path: &std::path::Path) {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return };
    let mut buffer = vec![0u8; 1 << 20];
    while matches!(file.read(&mut buffer), Ok(n) if n > 0) {}
}

fn single_writes(clinic: &mut Clinic) -> Duration {
    let start = Instant::now();
    for _ in 0..SINGLE_WRITES {
        let input = PatientInput {
            chart_no: clinic.next_chart_no().expect("chart no"),
            family_name: "計測".into(),
            given_name: "太郎".into(),
            family_kana: "ケイソク".into(),
            given_kana: "タロウ".into(),
            sex: "M".into(),
            birth_date: "1970-01-01".into(),
            ..Default::default()
        };
        clinic.register_patient(&input).expect("register");
    }
    start.elapsed()
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    (at(0.50), at(0.95))
}

fn row(name: &str, plain: &[Duration], encrypted: &[Duration]) {
    let (a50, a95) = percentiles(plain.to_vec());
    let (b50, b95) = percentiles(encrypted.to_vec());
    println!(
        "{name:<36} {:>20} {:>20} {:>14}",
        format!("{a50:.3} / {a95:.3}"),
        format!("{b50:.3} / {b95:.3}"),
        format!("{:.2} / {:.2}", b50 / a50, b95 / a95)
    );
}
