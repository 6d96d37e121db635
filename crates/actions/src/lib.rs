//! The panops action catalog: SOC actions on a PAN-OS firewall, a Panorama or a Strata
//! Cloud Manager tenant, with one vocabulary.
//!
//! An action is `{resource, operation, parameters, profile?}` in, JSON out. Parameters use
//! the SCM field names (`ip_netmask`, `static`, `dynamic.filter`, `source_user`,
//! `profile_setting.group`, ...); on PAN-OS they are mapped to XML by the object catalog of
//! `panops-panos`. Errors are `{"error": {"code", "message", "field"?}}`.
//!
//! - [`catalog()`]: every action as data ([`ActionSpec`]) — dispatch, validation,
//!   `panops action list/describe` and docs read it.
//! - [`Backend`]: where actions run; [`Backends`]: the default one plus named profiles.
//! - [`workflow`]: steps in order with `${steps.N.result.path}` references, stopping at the
//!   first failure with a report of what was done.
//!
//! ```no_run
//! # async fn demo() -> Result<(), panops_actions::ActionError> {
//! use panops_actions::{Action, Backend, Backends};
//! use panops_client::panos::{ClientConfig, PanosClient};
//! use serde_json::json;
//!
//! let client = PanosClient::new(
//!     ClientConfig::builder("pano.example").credentials("admin", "secret").build()?,
//! )?;
//! let backends = Backends::with_default(Backend::panos(client).await?);
//! let created = backends
//!     .execute(&Action::new("address", "create", json!({
//!         "device_group": "branch", "name": "ioc-1", "ip_netmask": "203.0.113.7/32"
//!     })))
//!     .await?;
//! assert_eq!(created["status"], "created");
//! # Ok(()) }
//! ```

mod backend;
pub mod catalog;
mod error;
pub mod fields;
mod panos;
mod scm;
pub mod workflow;

pub use backend::{Action, Backend, Backends, PanosBackend, ScmBackend};
pub use catalog::{
    ActionSpec, BackendKind, ParamSpec, ParamType, ResultField, catalog, find, validate,
};
pub use error::ActionError;
pub use workflow::{Report, Step, Workflow};
