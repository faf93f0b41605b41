//! Precision and recall of the detector on generated clinics, per rule:
//! `cargo run --release -p mamori-detect --example evaluate -- FIRST_SEED LAST_SEED`
//! (default: the held-out seeds 101–120; seeds 1–10 were the ones tuned on).

use mamori_detect::synth::evaluate::{evaluate, table, Evaluation};
use mamori_detect::synth::generate;

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (first, last) = match args.as_slice() {
        [first, last] => (*first, *last),
        _ => (101, 120),
    };
    let mut all = Evaluation::default();
    for seed in first..=last {
        let clinic = generate(seed);
        let alerts = mamori_detect::detect(&clinic.events, &clinic.context);
        all.add(&evaluate(&alerts, &clinic.cases, clinic.events.len()));
    }
    println!("seeds {first}–{last}");
    print!("{}", table(&all));
}
