// A patient's name is a String: not log-safe.
use mamori_core::domain::Patient;

fn registered(patient: &Patient) {
    mamori_core::log_safe!(info, "patient registered", name = patient.family_name);
}

fn main() {}
