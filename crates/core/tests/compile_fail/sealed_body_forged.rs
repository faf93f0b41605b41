// A sealed body cannot be made by hand around plaintext: its fields are private.
use mamori_core::{ClinicalBody, LoggedBody, SealedBody};

fn forge(body: ClinicalBody, plaintext: Vec<u8>) -> LoggedBody {
    LoggedBody::Sealed(SealedBody { index: body.index(), record: plaintext })
}

fn main() {}
