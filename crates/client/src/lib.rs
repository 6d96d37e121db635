//! Network clients for PAN-OS firewalls and Panorama (and, later, Strata Cloud
//! Manager): the only panops crate that does device IO.
//!
//! - [`http`]: transport pieces shared by all clients — TLS options (verification on
//!   by default, optional CA bundle, explicit `danger_accept_invalid_certs`), the
//!   `reqwest` client, transport failure kinds, and secret redaction.
//! - [`retry`]: the one retry policy of both clients — what is transient (never a TLS
//!   verification failure), what is safe to repeat, backoff with jitter and `Retry-After`.
//! - [`panos`]: [`panos::PanosClient`], the XML API client (keygen, op, config,
//!   commit/push with job polling, User-ID, import/export, logs, version).
//! - [`scm`]: the Strata Cloud Manager client (maintained separately).
//!
//! ```no_run
//! # async fn demo() -> Result<(), panops_client::Error> {
//! use panops_client::panos::{ClientConfig, PanosClient};
//! let fw = PanosClient::new(ClientConfig::builder("192.0.2.1").api_key("LUFRPT…").build()?)?;
//! let info = fw.op("show system info").await?;
//! println!("{}", info.result_xml().unwrap_or(""));
//! # Ok(()) }
//! ```

pub mod error;
pub mod http;
pub mod panos;
pub mod retry;
pub mod scm;

pub use error::{Error, Result};
