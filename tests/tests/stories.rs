//! Every story test, in one binary: on two cores, linking SQLCipher once instead of once per
//! story saves minutes (ripgrep's `tests/tests.rs` layout). Each module is one story. The log
//! scan (`vendor_logs.rs`) is a binary of its own: it needs to be the only thread registering
//! tracing's call sites while its subscriber is installed (see Cargo.toml).

mod access_by_role;
mod audit_by_chart_no;
mod audit_log;
mod break_glass;
mod clinic_wide_alerts;
mod clinic_wide_alerts_review;
mod clinical_key;
mod crash_safety;
mod demo_alerts;
mod demo_clinic;
mod encryption_at_rest;
mod front_desk_day;
mod idle_lock;
mod insider_alerts;
mod insider_alerts_review;
mod insider_audit;
mod insider_chain;
mod insider_key_file;
mod insider_records;
mod insider_sync;
mod keyring_load;
mod posture;
mod replay;
mod searching;
mod server_storage;
mod sync_chains;
mod sync_clinic;
mod sync_conflicts;
mod sync_join;
mod sync_kill;
mod sync_lost_device;
mod sync_over_http;
mod sync_revoke;
mod todays_visit;
mod unlocking;
mod user_admin;
