//! The clinic server: it holds every device's sealed envelopes in order, each (device, sequence)
//! once, and answers frontiers and pages. It verifies each envelope's device signature and
//! sequence; it cannot open one (it holds no clinic data key) and cannot sign one (it holds no
//! device or user key). Storage sits behind one trait ([`storage::Storage`]).

pub mod chain_registry;
pub mod direct;
pub mod error;
pub mod http;
mod lost_devices;
pub mod service;
pub mod storage;

pub use error::{Error, Result};
pub use service::{ChainOutcome, ClinicServer, DeviceRegistry};
