//! The sync crate's one error type. Messages name devices and sequence numbers, never content.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("the envelope is not readable: {0}")]
    Malformed(&'static str),

    #[error("the envelope has unknown format {0}; update Mamori")]
    UnknownFormat(u8),

    #[error("the envelope is larger than any change may be")]
    TooLarge,

    #[error("the envelope is not signed by the device it names")]
    DeviceSignature,

    #[error("the envelope names clinic data key epoch {0}, which this device does not hold")]
    UnknownDataKey(u32),

    #[error("the envelope does not open under the clinic data key (altered, or sealed under another key)")]
    Open,

    #[error("the envelope could not be sealed")]
    Seal,

    #[error("the system random source is unavailable")]
    Random,

    #[error("device {device} is not enrolled in this clinic")]
    UnknownDevice { device: String },

    /// Another envelope is already held at this place: two different histories for one device.
    #[error("device {device} sent two different envelopes as number {seq}")]
    Fork { device: String, seq: u64 },

    #[error("envelope {seq} of device {device} does not follow the one before it")]
    Gap { device: String, seq: u64 },

    #[error("the envelope belongs to another clinic")]
    OtherClinic,

    #[error("the clinic server could not be reached: {0}")]
    Unreachable(String),

    #[error("the clinic server answered: {0}")]
    Server(String),

    /// The clinic ordered this device wiped; an open session must end so the wipe can run.
    #[error("the clinic marked this computer lost and ordered it wiped; it is wiped once nobody is logged in")]
    WipeOrdered,

    /// The device cannot judge a wipe order or a lease yet.
    #[error("this computer cannot check in yet: {0}")]
    CannotCheckIn(&'static str),

    /// No server was given to this data folder yet.
    #[error("this computer has no clinic server yet: give its address and certificate fingerprint once")]
    NoServer,

    #[error(transparent)]
    Core(#[from] mamori_core::Error),

    #[error("the local sync tables could not be used: {0}")]
    Database(#[from] rusqlite::Error),
}

impl Error {
    /// A stable code for the log: what kind of failure, never its details.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::UnknownFormat(_) => "unknown_format",
            Error::TooLarge => "too_large",
            Error::DeviceSignature => "device_signature",
            Error::UnknownDataKey(_) => "unknown_data_key",
            Error::Open => "open_failed",
            Error::Seal => "seal_failed",
            Error::Random => "random_unavailable",
            Error::UnknownDevice { .. } => "unknown_device",
            Error::Fork { .. } => "fork",
            Error::Gap { .. } => "gap",
            Error::OtherClinic => "other_clinic",
            Error::Unreachable(_) => "unreachable",
            Error::Server(_) => "server_refused",
            Error::WipeOrdered => "wipe_ordered",
            Error::CannotCheckIn(_) => "cannot_check_in",
            Error::NoServer => "no_server",
            Error::Core(error) => error.code().as_str(),
            Error::Database(_) => "database",
        }
    }
}
