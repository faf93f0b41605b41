//! Measurements of what the window shows, taken inside the page: where columns start, how many
//! lines a cell's text takes, whether a table header stays in view. They let a story assert a
//! layout (columns that do not shift, text that does not run together) rather than only text.

use mamori_e2e::App;
use serde_json::{json, Value};

async fn run(app: &App, script: &str, args: Vec<Value>) -> Value {
    app.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}"))
}

fn numbers(value: Value) -> Vec<f64> {
    value.as_array().expect("a list").iter().map(|v| v.as_f64().expect("a number")).collect()
}

/// The left edge (px) of every element matching `selector`, in document order.
pub async fn lefts(app: &App, selector: &str) -> Vec<f64> {
    let script = "return [...document.querySelectorAll(arguments[0])].map(e => e.getBoundingClientRect().left);";
    numbers(run(app, script, vec![json!(selector)]).await)
}

/// For every element matching `selector`: where its text ends (px), not where its box ends.
pub async fn text_rights(app: &App, selector: &str) -> Vec<f64> {
    let script = "return [...document.querySelectorAll(arguments[0])].map(e => {
        const r = document.createRange(); r.selectNodeContents(e);
        return r.getBoundingClientRect().right; });";
    numbers(run(app, script, vec![json!(selector)]).await)
}

/// For every element matching `selector`: how many lines its text takes.
pub async fn line_counts(app: &App, selector: &str) -> Vec<f64> {
    let script = "return [...document.querySelectorAll(arguments[0])].map(e => {
        const r = document.createRange(); r.selectNodeContents(e);
        const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
        return tops.size; });";
    numbers(run(app, script, vec![json!(selector)]).await)
}

/// Scrolls the box `scroller` to its end; returns (how far it scrolled, the gap in px between the
/// top of the box and the top of its (first) header cell `header`. A sticky header keeps that gap
/// at zero. WebKit sticks header cells, not the `thead` box, so measure a `th`.
pub async fn scroll_to_end(app: &App, scroller: &str, header: &str) -> (f64, f64) {
    let script = "const box = document.querySelector(arguments[0]);
        box.scrollTop = box.scrollHeight;
        const head = box.querySelector(arguments[1]);
        return [box.scrollTop, head.getBoundingClientRect().top - box.getBoundingClientRect().top];";
    let got = numbers(run(app, script, vec![json!(scroller), json!(header)]).await);
    (got[0], got[1])
}

/// Points the mouse at the last element matching `selector` (as hovering does).
pub async fn point_at(app: &App, selector: &str) {
    let script = "const all = document.querySelectorAll(arguments[0]);
        all[all.length - 1].dispatchEvent(new MouseEvent('mouseenter'));";
    run(app, script, vec![json!(selector)]).await;
}

/// Calls a command from the page, as the UI's own wrappers do; `Ok` value or the error object.
pub async fn invoke(app: &App, command: &str, args: Value) -> Result<Value, Value> {
    let script = r#"
        const [cmd, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(cmd, args).then((v) => done({ ok: v }), (e) => done({ err: e }));
    "#;
    let answer = app.client.execute_async(script, vec![json!(command), args]).await.expect("invoke from the page");
    match answer.get("ok") {
        Some(value) => Ok(value.clone()),
        None => Err(answer["err"].clone()),
    }
}
