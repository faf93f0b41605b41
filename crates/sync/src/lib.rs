//! Mamori's sync: the wire between devices and the clinic server (sealed, signed change
//! envelopes with frozen byte fixtures), the device's side of it in the chart database, and the
//! client engine behind a [`transport::Transport`] trait. See `docs/sync.md`.

pub mod audit_ship;
pub mod check_in;
pub mod clinic_audit;
pub mod device_overview;
pub mod engine;
pub mod error;
pub mod faults;
pub mod http;
pub mod join;
pub mod local;
pub mod server_settings;
pub mod session;
pub mod shut_out;
pub mod transport;
pub mod wire;

pub use engine::{Engine, RoundReport, Settings};
pub use error::{Error, Result};
pub use local::{DeviceIdentity, Directory};
pub use server_settings::ServerSettings;
pub use transport::Transport;
