//! The report: per backend beside PouchDB, the crypto shares, where the time went; one JSON line.

use serde_json::{json, Value};

use crate::crypto::Crypto;
use crate::fixtures::Chart;
use crate::pouch::Pouch;
use crate::run::Figures;
use crate::PAGE;

pub fn report(
    n: usize,
    record_bytes: f64,
    chart: Chart,
    backends: &[(&str, Option<Figures>)],
    crypto: &Crypto,
    pouch: Option<&Pouch>,
) {
    let ratio = |mine: f64, theirs: Option<f64>| theirs.map(|t| mine / t);
    let shown_ratio = |r: Option<f64>, aim: f64| match r {
        Some(r) => format!("{r:>6.1}×  (aim ≥ {aim:.0}×: {})", if r >= aim { "met" } else { "MISSED" }),
        None => "     —  (PouchDB skipped)".to_owned(),
    };
    let mut json_backends = serde_json::Map::new();
    for (name, figures) in backends {
        let Some(f) = figures else {
            println!("\n== {name} server: SKIPPED ==");
            json_backends.insert(name.to_lowercase(), Value::Null);
            continue;
        };
        let nf = n as f64;
        let push_rate = nf / f.push_s;
        let seal_push_rate = nf / (f.seal_s + f.push_s);
        let pull_rate = nf / f.pull_s;
        let send_us = (f.seal_s + f.push_s) * 1e6 / nf;
        let push_us = f.push_s * 1e6 / nf;
        let pull_us = f.pull_s * 1e6 / nf;
        let push_ratio = ratio(push_rate, pouch.map(|p| p.push_per_s));
        let seal_push_ratio = ratio(seal_push_rate, pouch.map(|p| p.push_per_s));
        let pull_ratio = ratio(pull_rate, pouch.map(|p| p.pull_per_s));
        let pouch_cell = |rate: Option<f64>| rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.0}"));

        println!(
            "\n== {name} server: {n} changes ({record_bytes:.0}-byte records, {:.0}-byte envelopes) ==",
            f.envelope_bytes
        );
        println!("{:<34}{:>12}{:>12}   Mamori/PouchDB", "", "Mamori", "PouchDB");
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "push (changes/s)",
            push_rate,
            pouch_cell(pouch.map(|p| p.push_per_s)),
            shown_ratio(push_ratio, 5.0)
        );
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "seal + push (changes/s)",
            seal_push_rate,
            pouch_cell(pouch.map(|p| p.push_per_s)),
            shown_ratio(seal_push_ratio, 5.0)
        );
        println!(
            "{:<34}{:>12.0}{:>12}   {}",
            "pull + apply (changes/s)",
            pull_rate,
            pouch_cell(pouch.map(|p| p.pull_per_s)),
            shown_ratio(pull_ratio, 10.0)
        );
        println!("{:<34}{:>12.0}", "seal alone (changes/s)", nf / f.seal_s);
        println!(
            "per change: seal {:.1} µs + push {:.1} µs = {:.1} µs; pull + apply {:.1} µs",
            f.seal_s * 1e6 / nf,
            push_us,
            send_us,
            pull_us
        );
        let share = |us: f64, of: f64| format!("{:>5.1}%", 100.0 * us / of);
        println!("crypto per change (single-threaded micro-loops over {} of the same changes):", crypto.m);
        println!("  {:<52}{:>8}  {:>12}  {:>12}", "", "µs", "of seal+push", "of pull+apply");
        let line = |label: &str, us: f64, send: bool, receive: bool| {
            println!(
                "  {label:<52}{us:>8.2}  {:>12}  {:>12}",
                if send { share(us, send_us) } else { String::new() },
                if receive { share(us, pull_us) } else { String::new() }
            );
        };
        line("sealing (XChaCha20-Poly1305 + framing + SHA-256)", crypto.seal(), true, false);
        line("device signature (Ed25519 sign)", crypto.sign, true, false);
        line("server: device signature check (strict, each)", crypto.verify_strict, true, false);
        line("envelope read + SHA-256 (server; laptop)", crypto.read_and_hash, true, true);
        line("laptop: device signatures, batch of 500", crypto.verify_batch, false, true);
        line("laptop: opening (XChaCha20-Poly1305)", crypto.open_aead(), false, true);
        line("laptop: author signature + role (VerifiedChange)", crypto.author_check, false, true);
        let send_share = 100.0 * crypto.sending() / send_us;
        let receive_share = 100.0 * crypto.receiving() / pull_us;
        println!(
            "  {:<52}{:>8}  {:>12}  {:>12}   (aim ≤ 10%: {})",
            "all crypto",
            "",
            share(crypto.sending(), send_us),
            share(crypto.receiving(), pull_us),
            if send_share <= 10.0 && receive_share <= 10.0 { "met" } else { "MISSED" }
        );
        let p = f.push_parts;
        let q = f.pull_parts;
        println!(
            "where the time went: push {:.2} s = desk's own reads {:.2} s + waiting on HTTPS {:.2} s (server storage: appends {:.2} s, state/counters {:.2} s; signature checks ≈ {:.2} s)",
            f.push_s,
            f.push_s - p.transport,
            p.transport,
            p.storage_main,
            p.storage_other,
            crypto.verify_strict * nf / 1e6
        );
        println!(
            "                     pull {:.2} s = laptop applying pages {:.2} s (crypto ≈ {:.2} s) + waiting on HTTPS {:.2} s (server storage: pages {:.2} s, state/counters {:.2} s)",
            f.pull_s,
            f.pull_s - q.transport,
            crypto.receiving() * nf / 1e6,
            q.transport,
            q.storage_main,
            q.storage_other
        );
        println!(
            "                     one local::frontier read at {n} envelopes: {:.1} ms (the engine reads it for every page: {} pages each way)",
            f.frontier_s * 1e3,
            n.div_ceil(PAGE)
        );
        json_backends.insert(
            name.to_lowercase(),
            json!({
                "seal_per_s": nf / f.seal_s,
                "push_per_s": push_rate,
                "seal_push_per_s": seal_push_rate,
                "pull_apply_per_s": pull_rate,
                "push_vs_pouchdb": push_ratio,
                "seal_push_vs_pouchdb": seal_push_ratio,
                "pull_apply_vs_pouchdb": pull_ratio,
                "envelope_bytes": f.envelope_bytes,
                "crypto_share_send": send_share / 100.0,
                "crypto_share_receive": receive_share / 100.0,
                "push_s": {"total": f.push_s, "transport": p.transport, "server_appends": p.storage_main, "server_other": p.storage_other},
                "frontier_read_s": f.frontier_s,
                "pull_s": {"total": f.pull_s, "transport": q.transport, "server_pages": q.storage_main, "server_other": q.storage_other},
            }),
        );
    }
    let bench = json!({
        "changes": n,
        "record_bytes": record_bytes,
        "chart": chart.name(),
        "page": PAGE,
        "backends": json_backends,
        "pouchdb": pouch.map(|p| p.raw.clone()),
        "crypto_us": {
            "sample": crypto.m,
            "seal": crypto.seal(),
            "sign": crypto.sign,
            "server_verify_strict": crypto.verify_strict,
            "verify_batch_500": crypto.verify_batch,
            "read_and_hash": crypto.read_and_hash,
            "open": crypto.open_aead(),
            "author_check": crypto.author_check,
        },
    });
    println!("\nBENCH {bench}");
}
