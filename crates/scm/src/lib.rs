//! Sans-IO model of the Strata Cloud Manager (Prisma Access) configuration APIs.
//!
//! Every operation of the official OpenAPI specs is described once, as data, in a
//! [`Catalog`] generated from the specs (the committed `catalog/catalog.json` is embedded;
//! [`Catalog::from_spec_dir`] regenerates one at run time from a directory of newer specs).
//! From `{resource, operation, parameters}` the catalog validates and builds an
//! [`HttpRequest`] without touching the network; the client crate sends it.
//!
//! ```
//! use panops_scm::{Catalog, Family};
//! use serde_json::json;
//!
//! let catalog = Catalog::builtin();
//! let req = catalog
//!     .build_request(
//!         Family::SseV1,
//!         "address",
//!         "create",
//!         &json!({"folder": "Shared", "name": "web1", "ip_netmask": "10.0.0.1/32"}),
//!     )
//!     .unwrap();
//! assert_eq!(req.method.as_str(), "POST");
//! assert_eq!(req.path, "/sse/config/v1/addresses");
//! assert_eq!(req.query, vec![("folder".to_string(), "Shared".to_string())]);
//!
//! // Exactly one of ip_netmask / ip_range / ip_wildcard / fqdn:
//! let err = catalog
//!     .build_request(Family::SseV1, "address", "create", &json!({"folder": "Shared", "name": "x"}))
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("invalid parameter 'body': exactly one of ip_netmask"));
//! ```
//!
//! Modules: [`model`] (the data model), [`generate`] (spec → operations, naming rule),
//! [`catalog`] (lookup, describe, merge, routing), [`validate`], [`request`], [`error`],
//! [`auth`], [`pagination`].

pub mod auth;
pub mod catalog;
pub mod error;
pub mod generate;
pub mod model;
pub mod pagination;
pub mod request;
pub mod synth;
pub mod validate;

pub use auth::{Credentials, TokenResponse};
pub use catalog::{
    Catalog, FieldDescription, GroupDescription, OperationDescription, ResourceDescription,
    ResourceSummary, RouteMatch, SkippedPattern,
};
pub use error::{ApiError, ApiErrorDetail, CatalogError, ErrorEnvelope, ScmError, Violation};
pub use model::{
    Body, Family, Method, OneOfBranch, OneOfGroup, Operation, ParamLocation, Parameter,
    ResponseSpec, Schema, SchemaKind,
};
pub use pagination::{ListPage, PREDEFINED_FOLDERS};
pub use request::HttpRequest;
pub use validate::{Direction, PatternMatcher};
