//! Every story test, in one binary: on two cores, linking SQLCipher once instead of once per
//! story saves minutes (ripgrep's `tests/tests.rs` layout). Each module is one story.

mod access_by_role;
mod audit_by_chart_no;
mod audit_log;
mod break_glass;
mod clinical_key;
mod crash_safety;
mod demo_clinic;
mod encryption_at_rest;
mod front_desk_day;
mod idle_lock;
mod keyring_load;
mod replay;
mod searching;
mod todays_visit;
mod unlocking;
mod user_admin;
mod vendor_logs;
