//! Strata Cloud Manager (Prisma Access) client: OAuth2 client credentials with a shared,
//! single-flight token, catalog-validated dispatch of every operation of the official specs,
//! paging, push and job polling, and bounded-concurrency bulk work.
//!
//! Requests are validated and built by `panops-scm` (sans-IO) before any byte is sent; this
//! module adds the network: tokens, retries, error mapping.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use panops_client::scm::{ScmClient, ScmCredentials};
//! use serde_json::json;
//!
//! let client = ScmClient::builder(ScmCredentials::from_env()).build()?;
//! let created = client
//!     .call(None, "address", "create", json!({"folder": "Shared", "name": "web", "ip_netmask": "10.0.0.1/32"}))
//!     .await?;
//! let everything = client.list_all("address", json!({"folder": "Shared"})).await?;
//! let job = client.push(&["Shared".to_string()], Some("from panops")).await?;
//! # let _ = (created, everything, job);
//! # Ok(()) }
//! ```

mod client;
mod clock;
mod credentials;
mod dispatch;
mod jobs;
mod token;

pub use crate::http::{HttpOptions, TlsOptions};
pub use client::{ScmAction, ScmClient, ScmClientBuilder};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::ScmCredentials;
pub use dispatch::{BuiltRequest, CatalogHandle};
pub use jobs::{JobError, JobStatus};
pub use panops_scm::auth::{DEFAULT_AUTH_BASE_URL, TOKEN_PATH};
pub use panops_scm::pagination::{DEFAULT_PAGE_LIMIT, PREDEFINED_FOLDERS};
pub use panops_scm::{Family, HttpRequest, ScmError};
pub use token::{AccessToken, TokenCache, TokenManager};
