//! Sans-IO model of the PAN-OS / Panorama XML API.
//!
//! Every request kind is a function or builder that validates its input and returns
//! an [`ApiRequest`] (always `POST /api/`, ordered form parameters, optional multipart
//! file part, an idempotency flag for retry policy). Every answer is decoded by
//! [`Response`] into typed views. Nothing here touches the network: the
//! `panops-client` crate sends the requests.
//!
//! ```
//! use panops_panos::{config, xpath::{Location, Xpath}, Response};
//!
//! let x = Xpath::at(&Location::vsys("vsys1"))?.child("address").entry("web-1");
//! let req = config::get(x.as_str())?;
//! assert_eq!(req.param("action"), Some("get"));
//!
//! let body = br#"<response status="success" code="19"><result><entry name="web-1"><ip-netmask>10.0.0.1</ip-netmask></entry></result></response>"#;
//! let resp = Response::parse(200, body)?;
//! assert_eq!(resp.result_xml(), Some(r#"<entry name="web-1"><ip-netmask>10.0.0.1</ip-netmask></entry>"#));
//! # Ok::<(), panops_panos::Error>(())
//! ```

pub mod catalog;
pub mod commit;
pub mod config;
pub mod config_index;
pub mod error;
pub mod export;
pub mod import;
pub mod keygen;
pub mod log;
pub mod objects;
pub mod op;
pub mod request;
pub mod response;
pub mod secret;
pub mod userid;
pub mod validate;
pub mod xml;
pub mod xpath;

pub use error::{ApiError, DecodeError, Error, Result, SubResponse, UidEntryError};
pub use request::{API_PATH, ApiRequest, FilePart, ParamValue};
pub use response::{
    CommitOutcome, DeviceJobResult, Job, JobResult, JobStatus, LogResult, Response, VersionInfo,
};
pub use secret::Secret;
