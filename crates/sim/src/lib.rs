//! A simulated PAN-OS firewall and Panorama serving the XML API at `/api/`.
//!
//! It behaves like the real management plane as seen by pan-python, pan-os-python and
//! panops' own client: keygen, a configuration tree with candidate and running, an xpath
//! engine, validation, commit and commit-all jobs that progress, op commands backed by live
//! state (sessions, counters, User-ID), certificate import, logs, and injectable faults.
//!
//! ```no_run
//! # async fn demo() -> Result<(), panops_sim::SimError> {
//! use panops_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::panorama(2).plain().listen("127.0.0.1:0")).await?;
//! println!("panops-sim ready url={} kind={} serials={}", sim.url(), sim.kind(), sim.serials().join(","));
//! let requests = sim.handle().requests();
//! assert!(requests.is_empty());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod cert_export;
mod certs;
mod clock;
mod config;
mod device;
mod ha;
mod handle;
mod jobs;
mod logs;
mod ops;
mod persist;
mod predefined;
mod server;
mod template;
mod traffic;
mod userid;
mod validate;
pub mod xml;
pub mod xpath;

pub use config::{AdminAccount, DeviceKind, Faults, LOCK_FAULT_OWNER, SimArgs, SimConfig};
pub use handle::{RecordedRequest, SimHandle};
pub use server::{RunningSim, Simulator};

/// Errors starting or configuring the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A command-line or configuration value is invalid.
    #[error("invalid simulator option {option}: {reason}")]
    InvalidOption {
        /// The option at fault (e.g. `--admin`).
        option: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Could not bind the listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Could not create the TLS certificate or configuration.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The state file exists but cannot be read back: refuse rather than lose it.
    #[error(
        "state file {file} is damaged ({reason}). Restore it from a backup, or start with \
         --reset-state to begin with a fresh state (the damaged file is kept beside it as \
         state.redb.damaged-<time>)"
    )]
    DamagedState {
        /// The file.
        file: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The state directory could not be read or written.
    #[error("state directory {path}: {reason}")]
    State {
        /// The directory.
        path: String,
        /// What failed.
        reason: String,
    },
}
