// No conversion turns a clinical body into a logged one; sealing is the only way.
use mamori_core::{ClinicalBody, LoggedBody};

fn log_in_the_clear(body: ClinicalBody) -> LoggedBody {
    body.into()
}

fn main() {}
