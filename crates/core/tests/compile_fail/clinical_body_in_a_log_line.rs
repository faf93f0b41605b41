// A clinical body has no Debug and no serialized form: it cannot be printed into a log line or
// written out as bytes except sealed.
use mamori_core::ClinicalBody;

fn trace(body: &ClinicalBody) -> Vec<u8> {
    println!("{body:?}");
    serde_json::to_vec(body).unwrap_or_default()
}

fn main() {}
