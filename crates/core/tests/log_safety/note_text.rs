// Chart text: a note and its SOAP text are never log-safe.
use mamori_core::domain::{SoapNote, SoapText};

fn signed(note: &SoapNote, text: &SoapText) {
    mamori_core::log_safe!(info, "note signed", note = note);
    mamori_core::log_safe!(info, "note written", text = text);
}

fn main() {}
