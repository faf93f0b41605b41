// The change log, the store and the crypto module are private to the core: a front end reaches
// the chart only through `Clinic`.
use mamori_core::changelog::append_signed;
use mamori_core::crypto::seal;
use mamori_core::store::Store;

fn main() {}
