//! The server's one error type. Messages name devices and sequences, never content.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("the server's database could not be used: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("the server's database holds a row it cannot read: {0}")]
    Corrupt(&'static str),

    #[error("device {0} is not enrolled in this clinic")]
    UnknownDevice(String),

    #[error("the request is too large: at most {max} envelopes")]
    TooMany { max: usize },

    #[error("a storage task stopped before it finished")]
    TaskFailed,

    /// Setting the server up or starting it failed: what, and what to do.
    #[error("{0}")]
    Setup(String),

    /// A PostgreSQL failure: what failed and its SQLSTATE, never a row's values.
    #[error("the server's PostgreSQL database could not be used: {0}")]
    Postgres(String),

    #[error("the PostgreSQL settings cannot be used: {0}")]
    PostgresConfig(String),
}

impl Error {
    /// A stable code for the log: what kind of failure, never its details.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Database(_) => "database",
            Error::Corrupt(_) => "corrupt",
            Error::UnknownDevice(_) => "unknown_device",
            Error::TooMany { .. } => "too_many",
            Error::TaskFailed => "task_failed",
            Error::Setup(_) => "setup",
            Error::Postgres(_) => "postgres",
            Error::PostgresConfig(_) => "postgres_config",
        }
    }
}
