// Any String may hold a name or a note, so no String is log-safe, not even a borrowed one.
fn searched(query: String) {
    mamori_core::log_safe!(debug, "patients searched", query = query);
    mamori_core::log_safe!(debug, "patients searched", query = &query);
}

fn main() {}
