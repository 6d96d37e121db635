//! Catalog-driven object access: a kind and a location give the container xpath, and every
//! read and write goes through the catalog's JSON <-> XML mapping and validation.
//!
//! - [`Objects`] works on dynamic JSON (`serde_json::Value`, the catalog's field names) for any
//!   of the catalog's kinds; [`Typed`] wraps it for the [`TypedObject`] types of
//!   `panops_panos::objects`.
//! - Reads are one `get` of the container (or `@name` only for [`Objects::names`]).
//! - Bulk writes are **one request**: [`Objects::set_many`] sends every entry in a single `set`
//!   at the container (split only above a byte budget), [`Objects::delete_many`] one `delete`
//!   with an `or`-list of names (split above an xpath length), and [`Objects::stage_set`] /
//!   [`Objects::stage_delete`] / [`Objects::stage_move`] add to a [`MultiConfig`] for mixed,
//!   all-or-nothing changes.
//! - [`Objects::update`] is a read-modify-write whose `edit` carries back every element and
//!   attribute the catalog does not know (kept in `_unknown_xml` / `_attributes`).

use std::marker::PhantomData;

use panops_panos::{
    Response,
    catalog::{Catalog, CatalogError, LocationArgs, ObjectKind},
    config::{MultiConfig, Where},
    objects::TypedObject,
    xpath,
};
use serde_json::Value;

use super::PanosClient;
use crate::error::{Error, Result};

/// Largest element of one bulk `set` (PAN-OS management planes accept far more, but a few MB
/// per request keeps each commit-lock window and each retry small).
pub const BULK_SET_MAX_BYTES: usize = 4 << 20;
/// Longest `or`-xpath of one bulk `delete` (pan-os-python uses the same order of magnitude).
pub const BULK_DELETE_MAX_XPATH: usize = 20_000;

impl From<CatalogError> for Error {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::InvalidField { field, reason, .. } => Error::Invalid { field, reason },
            CatalogError::MissingField { field, .. } => Error::Invalid {
                field,
                reason: "is required".into(),
            },
            CatalogError::UnknownField { field, kind } => Error::Invalid {
                field,
                reason: format!("is not a field of {kind}"),
            },
            CatalogError::InvalidName { reason, .. } => Error::Invalid {
                field: "name".into(),
                reason,
            },
            CatalogError::Xml { kind, reason } => Error::Decode(panops_panos::DecodeError::new(
                format!("{kind}: {reason}"),
                b"",
            )),
            other => Error::Invalid {
                field: "kind/location".into(),
                reason: other.to_string(),
            },
        }
    }
}

/// The objects of one kind at one location (see the module docs).
#[derive(Debug, Clone)]
pub struct Objects<'c> {
    client: &'c PanosClient,
    kind: &'c ObjectKind,
    container: String,
}

impl PanosClient {
    /// The objects of a built-in catalog kind (`address`, `security-rule`, ...) at a location:
    /// `LocationArgs::vsys("vsys1")`, `LocationArgs::device_group("DG")` (with
    /// `.with_rulebase(..)` for rules), `LocationArgs::shared()`, templates, ...
    pub fn objects(&self, kind: &str, at: &LocationArgs) -> Result<Objects<'_>> {
        let kind = Catalog::builtin().kind(kind)?;
        self.objects_of(kind, at)
    }

    /// Like [`objects`](Self::objects) for a kind of any catalog (e.g. one loaded from newer
    /// specs with `Catalog::from_spec_dir`).
    pub fn objects_of<'c>(
        &'c self,
        kind: &'c ObjectKind,
        at: &LocationArgs,
    ) -> Result<Objects<'c>> {
        if !kind.is_entry() {
            return Err(CatalogError::NotEntries {
                kind: kind.name.clone(),
            }
            .into());
        }
        Ok(Objects {
            client: self,
            kind,
            container: kind.xpath(at, None)?,
        })
    }

    /// Typed access to the objects of `T`'s kind at a location.
    pub fn typed<T: TypedObject>(&self, at: &LocationArgs) -> Result<Typed<'_, T>> {
        Ok(Typed {
            objects: self.objects(T::KIND, at)?,
            _kind: PhantomData,
        })
    }
}

impl<'c> Objects<'c> {
    /// The catalog kind.
    pub fn kind(&self) -> &ObjectKind {
        self.kind
    }

    /// The container xpath (`…/address`).
    pub fn container_xpath(&self) -> &str {
        &self.container
    }

    /// The xpath of one entry (the name is quoted safely, whatever it holds).
    pub fn entry_xpath(&self, name: &str) -> String {
        format!("{}/{}", self.container, xpath::entry(name))
    }

    fn name_of<'v>(&self, obj: &'v Value) -> Result<&'v str> {
        let key = self.kind.entry_key.as_deref().unwrap_or("name");
        obj.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Invalid {
                field: key.into(),
                reason: format!("every {} needs a {key}", self.kind.name),
            })
    }

    fn decode(&self, resp: &Response) -> Result<Vec<Value>> {
        if resp.is_empty_result() {
            return Ok(Vec::new());
        }
        let xml = resp.result_xml().unwrap_or("");
        Ok(self
            .kind
            .from_xml_list(&format!("<result>{xml}</result>"))?)
    }

    /// Every object of the container, from the candidate configuration (one request).
    pub async fn list(&self) -> Result<Vec<Value>> {
        let resp = self.client.config_get(&self.container).await?;
        self.decode(&resp)
    }

    /// Every object of the container, from the running configuration (one request).
    pub async fn list_running(&self) -> Result<Vec<Value>> {
        match self.client.config_show(&self.container).await {
            Ok(resp) => self.decode(&resp),
            // `show` of a container that does not exist yet answers "No such node".
            Err(Error::Api(e)) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Only the names (an `@name` projection: the cheapest read of a large container).
    pub async fn names(&self) -> Result<Vec<String>> {
        let resp = self
            .client
            .config_get(&format!("{}/entry/@name", self.container))
            .await?;
        if resp.is_empty_result() {
            return Ok(Vec::new());
        }
        let xml = resp.result_xml().unwrap_or("");
        let doc = format!("<result>{xml}</result>");
        let root = panops_panos::xml::parse(doc.as_bytes()).map_err(|e| {
            Error::Decode(panops_panos::DecodeError::new(
                format!("cannot read the names: {e}"),
                doc.as_bytes(),
            ))
        })?;
        fn collect(e: &panops_panos::xml::Element, out: &mut Vec<String>) {
            for child in e.elements() {
                match (child.name.as_str(), child.attr("name")) {
                    ("entry", Some(name)) => out.push(name.to_owned()),
                    _ => collect(child, out),
                }
            }
        }
        let mut names = Vec::new();
        collect(&root, &mut names);
        Ok(names)
    }

    /// One object by name, or `None`.
    pub async fn get(&self, name: &str) -> Result<Option<Value>> {
        let resp = self.client.config_get(&self.entry_xpath(name)).await?;
        Ok(self.decode(&resp)?.into_iter().next())
    }

    /// Creates the object, or merges it into an existing one of the same name (`set`).
    pub async fn set(&self, obj: &Value) -> Result<()> {
        let xml = self.kind.to_xml(obj)?;
        self.client.config_set(&self.container, &xml).await?;
        Ok(())
    }

    /// Replaces the object of the same name entirely (`edit` at the entry).
    pub async fn replace(&self, obj: &Value) -> Result<()> {
        let name = self.name_of(obj)?;
        let xml = self.kind.to_xml(obj)?;
        self.client
            .config_edit(&self.entry_xpath(name), &xml)
            .await?;
        Ok(())
    }

    /// Reads the object, lets `change` modify its JSON and writes it back with `edit`. Fields
    /// and XML the catalog does not know travel through untouched. Returns the new value; a
    /// missing object is an [`Error::Invalid`] naming it (nothing is sent).
    pub async fn update(&self, name: &str, change: impl FnOnce(&mut Value)) -> Result<Value> {
        let Some(mut obj) = self.get(name).await? else {
            return Err(Error::Invalid {
                field: "name".into(),
                reason: format!(
                    "{} {name:?} does not exist at {}",
                    self.kind.name, self.container
                ),
            });
        };
        change(&mut obj);
        if self.name_of(&obj)? != name {
            return Err(Error::Invalid {
                field: "name".into(),
                reason: "update cannot rename an object (use rename)".into(),
            });
        }
        self.replace(&obj).await?;
        Ok(obj)
    }

    /// Deletes one object.
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.client.config_delete(&self.entry_xpath(name)).await?;
        Ok(())
    }

    /// Creates or merges many objects in **one `set`** at the container (split only when the
    /// element would pass [`BULK_SET_MAX_BYTES`]). Every object is validated before anything
    /// is sent. Returns the number of requests made.
    pub async fn set_many(&self, objs: &[Value]) -> Result<usize> {
        self.set_many_chunked(objs, BULK_SET_MAX_BYTES).await
    }

    /// [`set_many`](Self::set_many) with an explicit byte budget per request.
    pub async fn set_many_chunked(&self, objs: &[Value], max_bytes: usize) -> Result<usize> {
        if objs.is_empty() {
            return Ok(0);
        }
        let chunks = self.kind.bulk_set_chunks(objs, max_bytes)?;
        for chunk in &chunks {
            self.client.config_set(&self.container, chunk).await?;
        }
        Ok(chunks.len())
    }

    /// Deletes many objects with one `delete` of an `or`-list of names (split when the xpath
    /// would pass [`BULK_DELETE_MAX_XPATH`]). Returns the number of requests made.
    pub async fn delete_many<S: AsRef<str>>(&self, names: &[S]) -> Result<usize> {
        if names.is_empty() {
            return Ok(0);
        }
        let xpaths = xpath::chunked_entries_or(&self.container, names, BULK_DELETE_MAX_XPATH)?;
        for xp in &xpaths {
            self.client.config_delete(xp).await?;
        }
        Ok(xpaths.len())
    }

    /// Adds a create-or-merge of `obj` to a multi-config batch.
    pub fn stage_set(&self, batch: &mut MultiConfig, obj: &Value) -> Result<()> {
        let xml = self.kind.to_xml(obj)?;
        batch.set(&self.container, &xml)?;
        Ok(())
    }

    /// Adds a create-or-merge of many objects to a multi-config batch as ONE `set` at the
    /// container (the multi-config counterpart of [`set_many`](Self::set_many)).
    pub fn stage_set_many(&self, batch: &mut MultiConfig, objs: &[Value]) -> Result<()> {
        if objs.is_empty() {
            return Ok(());
        }
        let element = self.kind.bulk_set_element(objs)?;
        batch.set(&self.container, &element)?;
        Ok(())
    }

    /// Adds a delete of `name` to a multi-config batch.
    pub fn stage_delete(&self, batch: &mut MultiConfig, name: &str) -> Result<()> {
        batch.delete(&self.entry_xpath(name))?;
        Ok(())
    }

    /// Adds a move of `name` (rules are ordered) to a multi-config batch.
    pub fn stage_move(&self, batch: &mut MultiConfig, name: &str, position: &Where) -> Result<()> {
        batch.move_entry(&self.entry_xpath(name), position)?;
        Ok(())
    }

    /// Moves one entry (`top`, `bottom`, `before`/`after` a sibling).
    pub async fn move_to(&self, name: &str, position: &Where) -> Result<()> {
        self.client
            .config_move(&self.entry_xpath(name), position)
            .await?;
        Ok(())
    }
}

/// Typed access to the objects of one [`TypedObject`] kind at one location.
#[derive(Debug, Clone)]
pub struct Typed<'c, T> {
    objects: Objects<'c>,
    _kind: PhantomData<fn() -> T>,
}

impl<T: TypedObject> Typed<'_, T> {
    /// The dynamic view underneath (bulk and staged operations take JSON).
    pub fn dynamic(&self) -> &Objects<'_> {
        &self.objects
    }

    /// Every object (candidate configuration).
    pub async fn list(&self) -> Result<Vec<T>> {
        self.objects
            .list()
            .await?
            .into_iter()
            .map(|v| Ok(T::from_value(v)?))
            .collect()
    }

    /// One object by name.
    pub async fn get(&self, name: &str) -> Result<Option<T>> {
        match self.objects.get(name).await? {
            Some(v) => Ok(Some(T::from_value(v)?)),
            None => Ok(None),
        }
    }

    /// Creates or merges one object.
    pub async fn set(&self, obj: &T) -> Result<()> {
        self.objects.set(&obj.to_value()?).await
    }

    /// Replaces one object (unknown fields kept in `extra` are written back).
    pub async fn replace(&self, obj: &T) -> Result<()> {
        self.objects.replace(&obj.to_value()?).await
    }

    /// Creates or merges many objects in one request (see [`Objects::set_many`]).
    pub async fn set_many(&self, objs: &[T]) -> Result<usize> {
        let values = objs
            .iter()
            .map(TypedObject::to_value)
            .collect::<panops_panos::Result<Vec<_>>>()?;
        self.objects.set_many(&values).await
    }

    /// Deletes one object.
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.objects.delete(name).await
    }
}
