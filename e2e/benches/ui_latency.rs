//! How fast the real app feels: time from a search keystroke to the results on screen, and from a
//! click on "open chart" to the chart on screen, at 100k patients (p50/p95). Measured inside the
//! page (performance.now() around the DOM update), so WebDriver's own round trips do not count.
//! Uses the release build of the app (`cargo build --release -p mamori-desktop`).
//!
//!   scripts/lib/build-ui && cargo build --release -p mamori-desktop
//!   scripts/lib/with-secret-service xvfb-run -a -s "-screen 0 1280x800x24" \
//!       cargo bench -p mamori-e2e --bench ui_latency

use mamori_e2e::App;
use serde_json::{json, Value};

/// Types `query` into the search box and resolves with the milliseconds until the results for it
/// are in the DOM.
const SEARCH: &str = r#"
const [query, done] = arguments;
const box = document.querySelector('[data-testid="search"]');
const input = document.querySelector('[data-testid="search-input"]');
const settle = (pred, then) => {
  if (pred()) return then();
  const obs = new MutationObserver(() => { if (pred()) { obs.disconnect(); then(); } });
  obs.observe(box, { attributes: true, childList: true, subtree: true });
};
input.value = ''; input.dispatchEvent(new Event('input', { bubbles: true }));
settle(() => box.dataset.searched === '', () => {
  const t0 = performance.now();
  input.value = query; input.dispatchEvent(new Event('input', { bubbles: true }));
  settle(() => box.dataset.searched === query
      && (box.querySelector('[data-testid="search-result"]') || box.querySelector('[data-testid="search-empty"]')),
    () => done(performance.now() - t0));
});
"#;

/// From the reception screen with a patient selected: clicks "open chart" and resolves with the
/// milliseconds until that patient's chart header and clinical sections are in the DOM.
const OPEN_CHART: &str = r#"
const [id, done] = arguments;
const shown = () => document.querySelector(`[data-testid="chart-header"][data-patient-id="${id}"]`)
  && document.querySelector('[data-testid="clinical-sections"]');
const t0 = performance.now();
const obs = new MutationObserver(() => { if (shown()) { obs.disconnect(); done(performance.now() - t0); } });
obs.observe(document.body, { childList: true, subtree: true, attributes: true });
document.querySelector('[data-testid="open-chart"]').click();
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{name:<44} n={:<4} p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        samples.last().copied().unwrap_or(0.0)
    );
}

async fn ms(app: &App, script: &str, arg: Value) -> f64 {
    let value = app.client.execute_async(script, vec![arg]).await.expect("in-page measurement");
    value.as_f64().expect("milliseconds")
}

#[tokio::main]
async fn main() {
    if std::env::var_os("MAMORI_E2E_APP").is_none() {
        let release = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/mamori-desktop");
        std::env::set_var("MAMORI_E2E_APP", release);
    }
    let patients: u32 = std::env::var("MAMORI_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    println!("Mamori UI latency: {patients} patients, release app, in-page timing");
    let started = std::time::Instant::now();
    let mut app = App::launch("ui-latency-benchmark", patients).await;
    println!("demo clinic created and app opened in {:.0} s", started.elapsed().as_secs_f64());
    app.login("doctor").await;

    let kana = ["やま", "さと", "たか", "すず", "いと", "なか", "こば", "わた", "かと", "よし"];
    let mut search = Vec::new();
    let mut numbers = Vec::new();
    for round in 0..20 {
        for q in kana {
            search.push(ms(&app, SEARCH, json!(q)).await);
        }
        let chart_no = format!("{:06}", 1 + (round * 4999) % patients);
        numbers.push(ms(&app, SEARCH, json!(chart_no)).await);
    }
    report("search keystroke → results (2-char kana)", search);
    report("search keystroke → results (chart number)", numbers);
    app.screenshot("search").await;

    let mut open = Vec::new();
    for round in 0..60u32 {
        app.click("nav-reception").await;
        let chart_no = format!("{:06}", 1 + (round * 1637) % patients);
        ms(&app, SEARCH, json!(chart_no)).await;
        let row = app.wait("search-result").await;
        let id = row.attr("data-patient-id").await.expect("attr").expect("a patient id");
        row.click().await.expect("select");
        app.wait("open-chart").await;
        open.push(ms(&app, OPEN_CHART, json!(id)).await);
    }
    report("click \"open chart\" → chart shown", open);
    app.screenshot("chart").await;
    app.finish().await;
}
