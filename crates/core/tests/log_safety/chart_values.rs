// Measurements and dates are chart content: a pulse (u16) and a birth date are not log-safe, and
// neither is a whole user (their display name is a real person's name).
use mamori_core::domain::{Patient, User, Vitals};

fn recorded(vitals: &Vitals, patient: &Patient, user: &User) {
    mamori_core::log_safe!(info, "vitals recorded", pulse = vitals.pulse_bpm);
    mamori_core::log_safe!(info, "patient registered", born = patient.birth_date);
    mamori_core::log_safe!(info, "user added", user = user);
}

fn main() {}
