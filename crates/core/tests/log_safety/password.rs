// Passwords and keys are never log-safe.
use mamori_core::secret::{Key32, Password};

fn unlocked(password: &Password, key: &Key32) {
    mamori_core::log_safe!(info, "unlocked", password = password);
    mamori_core::log_safe!(info, "unlocked", key = key);
}

fn main() {}
