//! Glue to the `panops-scm` catalog: lookup, validation and request building (sans-IO).

use std::ops::Deref;
use std::sync::Arc;

use panops_scm::{Catalog, Family, ScmError};
use serde_json::Value;

/// The catalog a client dispatches with: the embedded one, or one loaded at run time.
#[derive(Clone, Debug)]
pub enum CatalogHandle {
    /// The catalog compiled into `panops-scm`.
    Builtin(&'static Catalog),
    /// A catalog built at run time (e.g. merged with a newer spec directory).
    Loaded(Arc<Catalog>),
}

impl Deref for CatalogHandle {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        match self {
            CatalogHandle::Builtin(c) => c,
            CatalogHandle::Loaded(c) => c,
        }
    }
}

impl From<Catalog> for CatalogHandle {
    fn from(c: Catalog) -> Self {
        CatalogHandle::Loaded(Arc::new(c))
    }
}

pub(crate) fn default_catalog() -> Result<CatalogHandle, ScmError> {
    Ok(CatalogHandle::Builtin(Catalog::builtin()))
}

/// A validated request, ready to send (built by `panops-scm`, sans-IO).
pub use panops_scm::HttpRequest as BuiltRequest;

pub(crate) fn build(
    catalog: &Catalog,
    family: Family,
    resource: &str,
    operation: &str,
    params: &Value,
) -> Result<BuiltRequest, ScmError> {
    catalog.build_request(family, resource, operation, params)
}
