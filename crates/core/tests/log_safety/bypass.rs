// tracing's shortcuts are not accepted: no `%`/`?` sigils, no format arguments.
fn registered(name: String) {
    mamori_core::log_safe!(info, "patient registered", %name);
    mamori_core::log_safe!(info, "patient {} registered", name);
}

fn main() {}
