//! The clinic server and sync on the command line: `server`, `sync`, `device`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{RoleArg, Unlock};

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Set up a server folder: its own TLS certificate (whose fingerprint devices pin) and the
    /// clinic it serves. Prints the fingerprint to give each device.
    Init {
        /// The folder for the certificate, settings and (embedded) database.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The clinic root fingerprint (`mamori enroll` prints it), 64 hex characters.
        #[arg(long, value_name = "HEX")]
        clinic_root: String,
        /// Host names or IP addresses devices use to reach the server.
        #[arg(long = "host", value_name = "NAME", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        hosts: Vec<String>,
        /// Where to listen.
        #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
        listen: String,
    },
    /// Run the server (until stopped with Ctrl-C or SIGTERM).
    Run {
        /// The folder `mamori server init` set up.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Where to listen (overrides the folder's setting).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Keep envelopes in PostgreSQL (libpq settings, e.g. "host=db user=mamori dbname=mamori")
        /// instead of the embedded SQLite file.
        #[arg(long, env = "MAMORI_SERVER_POSTGRES", value_name = "SETTINGS", hide_env_values = true)]
        postgres: Option<String>,
    },
}

#[derive(Args)]
pub struct SyncArgs {
    /// The server's address, e.g. https://192.168.1.10:8443 (remembered after the first sync).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The server certificate's fingerprint `mamori server init` printed (remembered).
    #[arg(long, value_name = "HEX")]
    pub server_fingerprint: Option<String>,
    #[command(flatten)]
    pub unlock: Unlock,
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// List enrolled, invited and revoked devices, from the verified membership chain.
    List {
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Invite a new computer (admin only): prints a one-time code and its QR code to enter on it
    /// with `mamori join`, and syncs so the server has the invitation.
    Invite {
        /// The new computer's name in the clinic, e.g. home-visit-laptop.
        name: String,
        /// Roles that may log in there.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [RoleArg::Doctor, RoleArg::Nurse])]
        roles: Vec<RoleArg>,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Shut a lost or retired computer out (admin only): the clinic keeps what it sent before,
    /// refuses everything after, and a new clinic data key seals what is written from now on.
    Revoke {
        /// The computer's name, as `device list` shows it.
        name: String,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Mark a computer lost (admin only): it is revoked as `device revoke` does, and at its next
    /// contact with the server, even from its login screen, it destroys its keyring secret and
    /// chart and reports back how many changes it had not sent (`device list` shows it).
    Wipe {
        /// The computer's name, as `device list` shows it.
        name: String,
        #[command(flatten)]
        unlock: Unlock,
    },
    /// Set how long a computer may stay away from the server (admin only): past the lease it
    /// refuses to unlock until it syncs. Optionally it wipes itself after a longer time (off by
    /// default: changes it had not sent would be lost).
    Lease {
        /// Days a computer may go without reaching the server (0: it checks in at every login).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=366))]
        days: u32,
        /// Days after which a computer that never came back wipes itself (longer than --days).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=366))]
        self_wipe_days: Option<u32>,
        #[command(flatten)]
        unlock: Unlock,
    },
}
