//! Story: four devices edit the same records for weeks while the network loses, repeats and
//! delays requests, devices restart and their clocks drift, and the server is once restored from
//! an older backup. When the network heals, every device shows the same charts and nothing any
//! of them wrote is lost or applied twice.
//!
//! `MAMORI_SIM_SEEDS=N` runs N seeds (default 1000); `MAMORI_SIM_SEED=S` replays seed S alone.

use crate::sync_sim::{run_seed, Summary};

const DEFAULT_SEEDS: u64 = 1000;

/// The seeds of one half (0 or 1) of the run: two tests, so two cores share the thousand.
fn seeds(half: u64) -> Vec<u64> {
    if let Ok(one) = std::env::var("MAMORI_SIM_SEED") {
        let seed = one.parse().expect("MAMORI_SIM_SEED is a number");
        return if half == 0 { vec![seed] } else { Vec::new() };
    }
    let count =
        std::env::var("MAMORI_SIM_SEEDS").map_or(DEFAULT_SEEDS, |n| n.parse().expect("MAMORI_SIM_SEEDS is a number"));
    (1..=count).filter(|seed| seed % 2 == half).collect()
}

/// Names the seed if anything in it panics, so it can be replayed.
struct SeedGuard(u64);

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("sync simulation seed {0} panicked; replay it with MAMORI_SIM_SEED={0}", self.0);
        }
    }
}

#[test]
fn every_even_seeded_clinic_converges_after_every_fault() {
    run_half(0);
}

#[test]
fn every_odd_seeded_clinic_converges_after_every_fault() {
    run_half(1);
}

fn run_half(half: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut total = Summary::default();
    let seeds = seeds(half);
    if seeds.is_empty() {
        return;
    }
    for &seed in &seeds {
        let _guard = SeedGuard(seed);
        match run_seed(&runtime, seed, 4, 60) {
            Ok(summary) => {
                total.writes += summary.writes;
                total.rounds += summary.rounds;
                total.failed_rounds += summary.failed_rounds;
                total.restores += summary.restores;
                total.conflicts += summary.conflicts;
            }
            Err(failure) => panic!("seed {seed} failed: {failure}\nreplay it with MAMORI_SIM_SEED={seed}"),
        }
    }
    println!(
        "sync simulation: {} seeds, {} writes, {} rounds ({} cut short by faults), {} server restores, {} records left flagged as conflicts",
        seeds.len(),
        total.writes,
        total.rounds,
        total.failed_rounds,
        total.restores,
        total.conflicts
    );
    if seeds.len() >= 10 {
        assert!(total.restores > 0 && total.failed_rounds > 0, "the faults must actually strike: {total:?}");
    }
}
