//! Guest access on PAN-OS: take a visitor's access away the moment the visit ends.
//!
//! A visit is an IP mapped to a user by User-ID. [`Guest::end_many`] reads the mappings and
//! sessions of the visitors' IPs (one listing for a batch, not a query per visit), logs the
//! users out in as few uid-messages as possible, optionally clears their sessions, and reads
//! back to verify; ending a visit that is already over succeeds with nothing done.
//! [`Guest::start_many`] creates mappings (and a registered tag for a dynamic address group).
//! [`radius`] turns RADIUS accounting (RFC 2866) from guest Wi-Fi controllers into starts and
//! ends. Settings come from the variables guest agents use ([`FirewallEnv`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), panops_guest::Error> {
//! use panops_guest::{EndOptions, FirewallEnv, Guest, GuestOptions, Visit};
//! let env = FirewallEnv::from_env(|name| std::env::var(name).ok())?;
//! let guest = Guest::new(env.client(std::time::Duration::from_secs(30))?, GuestOptions::default());
//! let report = guest
//!     .end(&Visit::new("10.1.2.3", None)?, &EndOptions { clear_sessions: true, ..Default::default() })
//!     .await;
//! println!("{}", serde_json::to_string(&report).unwrap_or_default());
//! # Ok(()) }
//! ```

pub mod config;
pub mod engine;
pub mod error;
pub mod radius;
pub mod report;
pub mod visit;

pub use config::{FirewallEnv, SUPPORTED_ADAPTERS};
pub use engine::{EndOptions, Guest, GuestOptions, Mapping, StartOptions};
pub use error::{Error, ErrorKind};
pub use report::{BatchReport, Outcome, VisitReport};
pub use visit::{BatchLine, Visit, parse_batch};
