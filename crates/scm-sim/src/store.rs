//! Sans-IO simulator state: folders, the candidate and running configuration, config versions
//! and push jobs. Every method returns either a JSON value or an [`ApiError`] that the server
//! turns into the SCM `_errors` envelope.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::time::format_rfc3339;

/// The six folders every Prisma Access tenant has, with their parents.
pub const PREDEFINED_FOLDERS: [(&str, &str); 6] = [
    ("Shared", ""),
    ("Mobile Users Container", "Shared"),
    ("Mobile Users", "Mobile Users Container"),
    ("Mobile Users Explicit Proxy", "Mobile Users Container"),
    ("Remote Networks", "Shared"),
    ("Service Connections", "Shared"),
];

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Container {
    /// A folder, by name.
    Folder(String),
    /// A snippet, by name.
    Snippet(String),
    /// A device, by serial or name.
    Device(String),
}

impl Container {
    /// The JSON key (`folder`, `snippet`, `device`) and value written into objects.
    pub fn key_value(&self) -> (&'static str, &str) {
        match self {
            Container::Folder(n) => ("folder", n),
            Container::Snippet(n) => ("snippet", n),
            Container::Device(n) => ("device", n),
        }
    }
}

/// Pre or post rulebase of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rulebase {
    /// Evaluated before local rules.
    Pre,
    /// Evaluated after local rules.
    Post,
}

impl Rulebase {
    /// Parses `pre` / `post`.
    pub fn parse(value: &str) -> Option<Rulebase> {
        match value {
            "pre" => Some(Rulebase::Pre),
            "post" => Some(Rulebase::Post),
            _ => None,
        }
    }
}

/// One stored configuration object.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    /// UUID.
    pub id: String,
    /// Container, when the resource is container-scoped.
    pub container: Option<Container>,
    /// Rulebase for rules.
    pub rulebase: Option<Rulebase>,
    /// The object as returned to clients (includes `id` and the container key).
    pub body: Map<String, Value>,
}

impl StoredObject {
    fn name(&self) -> Option<&str> {
        self.body.get("name").and_then(Value::as_str)
    }
}

/// A whole configuration: ordered collections keyed by path stem (`addresses`,
/// `security-rules`, `mobile-agent/agent-profiles`, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigTree {
    collections: BTreeMap<String, Vec<StoredObject>>,
    singletons: BTreeMap<String, Map<String, Value>>,
}

impl ConfigTree {
    /// Number of objects across all collections.
    pub fn object_count(&self) -> usize {
        self.collections.values().map(Vec::len).sum()
    }

    /// Objects of one collection in order.
    pub fn collection(&self, stem: &str) -> &[StoredObject] {
        self.collections.get(stem).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Filter for list operations.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Container to list (folder lists include objects inherited from ancestor folders).
    pub container: Option<Container>,
    /// Rulebase for rules.
    pub rulebase: Option<Rulebase>,
    /// Exact name.
    pub name: Option<String>,
}

/// Body of a rule `:move`.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    /// top, bottom, before, after.
    pub destination: String,
    /// pre or post.
    pub rulebase: Rulebase,
    /// Reference rule for before/after.
    pub destination_rule: Option<String>,
}

/// One config version (created by each push).
#[derive(Debug, Clone)]
pub struct ConfigVersion {
    /// Version number, from 1.
    pub id: u64,
    /// Unix time of the push.
    pub date: i64,
    /// Admin that pushed.
    pub admin: String,
    /// Push description.
    pub description: String,
    /// Folders pushed.
    pub folders: Vec<String>,
    /// The configuration pushed.
    pub tree: ConfigTree,
}

/// A push job. Its status is derived from elapsed time when read.
#[derive(Debug, Clone)]
pub struct Job {
    /// Numeric id (as a string in JSON).
    pub id: u64,
    /// Unix time of creation (simulator clock).
    pub created: i64,
    /// Milliseconds since simulator start when created (monotonic).
    pub created_ms: u64,
    /// Administrator.
    pub uname: String,
    /// Description.
    pub description: String,
    /// Folders pushed.
    pub folders: Vec<String>,
    /// Whether the job ends in FAIL (fault injection).
    pub fail: bool,
}

/// The phase of a job at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobPhase {
    /// Queued.
    Pending,
    /// Running, with a percentage.
    Active(u8),
    /// Finished OK.
    Done,
    /// Finished with failure.
    Failed,
}

impl Job {
    /// Phase after `elapsed_ms` given a total duration.
    pub fn phase(&self, now_ms: u64, duration_ms: u64) -> JobPhase {
        let elapsed = now_ms.saturating_sub(self.created_ms);
        let duration = duration_ms.max(1);
        if elapsed >= duration {
            if self.fail {
                JobPhase::Failed
            } else {
                JobPhase::Done
            }
        } else if elapsed * 5 < duration {
            JobPhase::Pending
        } else {
            JobPhase::Active(((elapsed * 100) / duration).min(99) as u8)
        }
    }

    /// The job as JSON. `list_form` writes an empty `end_ts` for unfinished jobs (list schema
    /// requires a string); the get form writes `null` (pan-scm-sdk parses it as a datetime).
    pub fn to_json(&self, now_ms: u64, now_unix: i64, duration_ms: u64, list_form: bool) -> Value {
        let phase = self.phase(now_ms, duration_ms);
        let (status_str, status_i, result_str, result_i, percent) = match phase {
            JobPhase::Pending => ("PEND", "0", "PEND", "0", 0u8),
            JobPhase::Active(p) => ("ACT", "1", "PEND", "0", p),
            JobPhase::Done => ("FIN", "2", "OK", "2", 100),
            JobPhase::Failed => ("FIN", "2", "FAIL", "1", 100),
        };
        let start = format_rfc3339(self.created);
        let end_unix = self.created + (duration_ms / 1000) as i64;
        let finished = matches!(phase, JobPhase::Done | JobPhase::Failed);
        let end_ts = if finished {
            Value::String(format_rfc3339(end_unix))
        } else if list_form {
            Value::String(String::new())
        } else {
            Value::Null
        };
        let last_update = if finished { end_unix } else { now_unix };
        let summary = match phase {
            JobPhase::Done => "Configuration push finished",
            JobPhase::Failed => "Configuration push failed",
            _ => "",
        };
        let details = json!({
            "info": if finished && !self.fail { vec!["Configuration committed successfully"] } else { vec![] },
            "errors": if phase == JobPhase::Failed { vec!["Configuration push failed (injected fault)"] } else { vec![] },
            "warnings": Vec::<String>::new(),
            "description": self.description,
        });
        json!({
            "cfg_id": "",
            "description": self.description,
            "details": details.to_string(),
            "dev_serial": "",
            "dev_uuid": "",
            "device_name": "",
            "device_type": "",
            "end_ts": end_ts,
            "id": self.id.to_string(),
            "insert_ts": start,
            "job_result": result_i,
            "job_status": status_i,
            "job_type": "53",
            "last_update": format_rfc3339(last_update),
            "opaque_int": "0",
            "opaque_str": "",
            "owner": "cfgserv",
            "parent_id": "0",
            "percent": percent.to_string(),
            "result_i": result_i,
            "result_str": result_str,
            "session_id": "",
            "start_ts": start,
            "status_i": status_i,
            "status_str": status_str,
            "summary": summary,
            "type_i": "53",
            "type_str": "CommitAndPush",
            "uname": self.uname,
        })
    }
}

/// The whole simulated tenant.
#[derive(Debug, Clone)]
pub struct TenantState {
    /// Folders (setup API objects, predefined ones first).
    pub folders: Vec<Map<String, Value>>,
    /// The configuration all CRUD calls act on.
    pub candidate: ConfigTree,
    /// The configuration last pushed.
    pub running: ConfigTree,
    /// Config versions, oldest first.
    pub versions: Vec<ConfigVersion>,
    /// Push jobs, oldest first.
    pub jobs: Vec<Job>,
    /// Fail the next N pushes (fault injection).
    pub fail_next_pushes: u32,
    /// Stems whose objects the specs give integer ids (setup API trusts, audit logs, ...);
    /// every other object gets a UUID.
    pub integer_id_stems: std::collections::BTreeSet<String>,
    /// Per stem, the fields the server assigns at create (required and read-only in the
    /// spec, such as an auto-tag action's `log_type`): an update keeps them.
    pub server_assigned: BTreeMap<String, Vec<String>>,
}

/// What a fresh tenant answers for settings nobody has set yet (the real service reports
/// its current settings; the spec requires these properties in the answer).
fn fresh_singleton(stem: &str) -> Map<String, Value> {
    let value = match stem {
        "mobile-agent/enable" => json!({"enabled": false}),
        "mobile-agent/agent-versions" => json!({"agent_versions": []}),
        // A private 16-bit AS range and no address pool: nothing configured yet.
        "auto-vpn-settings" => json!({
            "vpn_address_pool": [],
            "as_range": {"start": 64512, "end": 65534},
        }),
        _ => json!({}),
    };
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Default for TenantState {
    fn default() -> Self {
        Self::new()
    }
}

impl TenantState {
    /// A tenant with only the predefined folders.
    pub fn new() -> Self {
        let folders = PREDEFINED_FOLDERS
            .iter()
            .map(|(name, parent)| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
                m.insert("name".into(), Value::String((*name).into()));
                m.insert("parent".into(), Value::String((*parent).into()));
                m.insert(
                    "description".into(),
                    Value::String(format!("Predefined folder {name}")),
                );
                m.insert("labels".into(), json!([]));
                m.insert("snippets".into(), json!([]));
                m.insert("type".into(), Value::String("container".into()));
                m
            })
            .collect();
        Self {
            folders,
            candidate: ConfigTree::default(),
            running: ConfigTree::default(),
            versions: Vec::new(),
            jobs: Vec::new(),
            fail_next_pushes: 0,
            integer_id_stems: Default::default(),
            server_assigned: Default::default(),
        }
    }

    // ---- folders ----------------------------------------------------------------------

    fn folder_by_name(&self, name: &str) -> Option<&Map<String, Value>> {
        self.folders
            .iter()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
    }

    /// True when a folder of that name exists (`All` is accepted as the whole tenant).
    pub fn folder_exists(&self, name: &str) -> bool {
        name == "All" || self.folder_by_name(name).is_some()
    }

    /// The folder and its ancestors, nearest first.
    fn folder_lineage(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = name.to_string();
        while let Some(f) = self.folder_by_name(&current) {
            if out.contains(&current) {
                break;
            }
            out.push(current.clone());
            match f.get("parent").and_then(Value::as_str) {
                Some(p) if !p.is_empty() => current = p.to_string(),
                _ => break,
            }
        }
        out
    }

    /// Lists folders with paging; optional exact name filter.
    pub fn list_folders(&self, name: Option<&str>) -> Vec<Value> {
        self.folders
            .iter()
            .filter(|f| name.is_none_or(|n| f.get("name").and_then(Value::as_str) == Some(n)))
            .map(|f| Value::Object(public_folder(f)))
            .collect()
    }

    /// Gets a folder by id.
    pub fn get_folder(&self, id: &str) -> Result<Value, ApiError> {
        self.folders
            .iter()
            .find(|f| f.get("id").and_then(Value::as_str) == Some(id))
            .map(|f| Value::Object(public_folder(f)))
            .ok_or_else(|| ApiError::not_found("folder", id))
    }

    /// Creates a folder (`name` and `parent` required, parent must exist, names unique).
    pub fn create_folder(&mut self, body: Map<String, Value>) -> Result<Value, ApiError> {
        let name = folder_name(&body)?;
        let parent = body
            .get("parent")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::invalid_object("parent", "is required"))?
            .to_string();
        if self.folder_by_name(&name).is_some() {
            return Err(ApiError::name_not_unique("folder", &name));
        }
        if !self.folder_exists(&parent) || parent == "All" {
            return Err(ApiError::invalid_object(
                "parent",
                &format!("folder '{parent}' does not exist"),
            ));
        }
        let mut folder = body;
        folder.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        folder.insert("name".into(), Value::String(name));
        folder.insert("parent".into(), Value::String(parent));
        let out = public_folder(&folder);
        self.folders.push(folder);
        Ok(Value::Object(out))
    }

    /// Updates a folder; renaming and re-parenting keep the same checks as create.
    pub fn update_folder(&mut self, id: &str, body: Map<String, Value>) -> Result<Value, ApiError> {
        let idx = self.folder_index(id)?;
        if is_predefined(&self.folders[idx]) {
            return Err(ApiError::invalid_object(
                "id",
                "predefined folders cannot be modified",
            ));
        }
        if let Some(new_name) = body.get("name").and_then(Value::as_str)
            && self
                .folders
                .iter()
                .enumerate()
                .any(|(i, f)| i != idx && f.get("name").and_then(Value::as_str) == Some(new_name))
        {
            return Err(ApiError::name_not_unique("folder", new_name));
        }
        if let Some(parent) = body.get("parent").and_then(Value::as_str)
            && !self.folder_exists(parent)
        {
            return Err(ApiError::invalid_object(
                "parent",
                &format!("folder '{parent}' does not exist"),
            ));
        }
        let folder = &mut self.folders[idx];
        for (k, v) in body {
            if k != "id" {
                folder.insert(k, v);
            }
        }
        Ok(Value::Object(public_folder(folder)))
    }

    /// Deletes a folder that has no child folders and no objects.
    pub fn delete_folder(&mut self, id: &str) -> Result<Value, ApiError> {
        let idx = self.folder_index(id)?;
        if is_predefined(&self.folders[idx]) {
            return Err(ApiError::invalid_object(
                "id",
                "predefined folders cannot be deleted",
            ));
        }
        let name = self.folders[idx]
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let has_children = self
            .folders
            .iter()
            .any(|f| f.get("parent").and_then(Value::as_str) == Some(name.as_str()));
        let has_objects = self
            .candidate
            .collections
            .values()
            .flatten()
            .any(|o| o.container.as_ref() == Some(&Container::Folder(name.clone())));
        if has_children || has_objects {
            return Err(ApiError::reference_not_zero("folder", &name));
        }
        let removed = self.folders.remove(idx);
        Ok(Value::Object(public_folder(&removed)))
    }

    fn folder_index(&self, id: &str) -> Result<usize, ApiError> {
        self.folders
            .iter()
            .position(|f| f.get("id").and_then(Value::as_str) == Some(id))
            .ok_or_else(|| ApiError::not_found("folder", id))
    }

    // ---- generic objects ----------------------------------------------------------------

    /// Checks a container names something that exists (folders are checked; snippets and
    /// devices are free names).
    pub fn check_container(&self, container: &Container) -> Result<(), ApiError> {
        match container {
            Container::Folder(name) if !self.folder_exists(name) => Err(ApiError::invalid_query(
                "folder",
                &format!("folder '{name}' does not exist"),
            )),
            _ => Ok(()),
        }
    }

    /// Lists objects matching the filter, in stored order.
    pub fn list(&self, stem: &str, filter: &ListFilter) -> Vec<Value> {
        let visible: Option<Vec<Container>> = match &filter.container {
            None => None,
            Some(Container::Folder(f)) if f == "All" => None,
            Some(Container::Folder(f)) => Some(
                self.folder_lineage(f)
                    .into_iter()
                    .map(Container::Folder)
                    .collect(),
            ),
            Some(other) => Some(vec![other.clone()]),
        };
        self.candidate
            .collection(stem)
            .iter()
            .filter(|o| match (&visible, &o.container) {
                (None, _) => true,
                (Some(v), Some(c)) => v.contains(c),
                (Some(_), None) => true,
            })
            .filter(|o| match (filter.rulebase, o.rulebase) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            })
            .filter(|o| filter.name.as_deref().is_none_or(|n| o.name() == Some(n)))
            .map(|o| Value::Object(o.body.clone()))
            .collect()
    }

    /// Creates an object; names are unique per container and collection.
    pub fn create(
        &mut self,
        stem: &str,
        container: Option<Container>,
        rulebase: Option<Rulebase>,
        mut body: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        if let Some(c) = &container {
            self.check_container(c)?;
        }
        let name = body.get("name").and_then(Value::as_str).map(str::to_string);
        if let Some(name) = &name
            && self
                .candidate
                .collection(stem)
                .iter()
                .any(|o| o.container == container && o.name() == Some(name.as_str()))
        {
            return Err(ApiError::name_not_unique(stem, name));
        }
        body.remove("id");
        let mut out = Map::new();
        let id = if self.integer_id_stems.contains(stem) {
            let next = self
                .candidate
                .collection(stem)
                .iter()
                .filter_map(|o| o.id.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            out.insert("id".into(), Value::from(next));
            next.to_string()
        } else {
            let id = uuid::Uuid::new_v4().to_string();
            out.insert("id".into(), Value::String(id.clone()));
            id
        };
        out.extend(body);
        for key in ["folder", "snippet", "device"] {
            out.remove(key);
        }
        if let Some(c) = &container {
            let (k, v) = c.key_value();
            out.insert(k.into(), Value::String(v.into()));
        }
        let obj = StoredObject {
            id,
            container,
            rulebase,
            body: out.clone(),
        };
        self.candidate
            .collections
            .entry(stem.to_string())
            .or_default()
            .push(obj);
        Ok(Value::Object(out))
    }

    fn index_of(&self, stem: &str, id: &str) -> Result<usize, ApiError> {
        self.candidate
            .collection(stem)
            .iter()
            .position(|o| o.id == id)
            .ok_or_else(|| ApiError::not_found(stem, id))
    }

    fn index_by_key(
        &self,
        stem: &str,
        key: &str,
        value: &str,
        container: Option<&Container>,
    ) -> Result<usize, ApiError> {
        self.candidate
            .collection(stem)
            .iter()
            .position(|o| {
                let matches = o.body.get(key).and_then(Value::as_str) == Some(value)
                    // `trustids=<id>,<id>`: a list of object ids, not a field.
                    || (key.ends_with("ids")
                        && !o.body.contains_key(key)
                        && value.split(',').any(|v| v.trim() == o.id));
                matches && (container.is_none() || o.container.as_ref() == container)
            })
            .ok_or_else(|| ApiError::not_found(stem, value))
    }

    /// Gets an object by id.
    pub fn get(&self, stem: &str, id: &str) -> Result<Value, ApiError> {
        let idx = self.index_of(stem, id)?;
        Ok(Value::Object(
            self.candidate.collection(stem)[idx].body.clone(),
        ))
    }

    /// Replaces an object's fields (id and container are kept; a new name must stay unique).
    pub fn update(
        &mut self,
        stem: &str,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let idx = self.index_of(stem, id)?;
        self.update_at(stem, idx, body)
    }

    /// Collection-level update keyed by a field given as query parameter (`name` for
    /// auto-tag-actions and mobile-agent/*, `host_id` for quarantined devices).
    pub fn update_by_key(
        &mut self,
        stem: &str,
        key: &str,
        value: &str,
        container: Option<&Container>,
        body: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let idx = self.index_by_key(stem, key, value, container)?;
        self.update_at(stem, idx, body)
    }

    fn update_at(
        &mut self,
        stem: &str,
        idx: usize,
        body: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let current = self.candidate.collection(stem)[idx].clone();
        if let Some(new_name) = body.get("name").and_then(Value::as_str)
            && self
                .candidate
                .collection(stem)
                .iter()
                .enumerate()
                .any(|(i, o)| {
                    i != idx && o.container == current.container && o.name() == Some(new_name)
                })
        {
            return Err(ApiError::name_not_unique(stem, new_name));
        }
        let mut out = Map::new();
        out.insert(
            "id".into(),
            current
                .body
                .get("id")
                .cloned()
                .unwrap_or_else(|| Value::String(current.id.clone())),
        );
        for (k, v) in body {
            if !matches!(k.as_str(), "id" | "folder" | "snippet" | "device") {
                out.insert(k, v);
            }
        }
        if !out.contains_key("name")
            && let Some(name) = current.body.get("name")
        {
            out.insert("name".into(), name.clone());
        }
        // Server-assigned fields are not the client's to drop.
        for key in self.server_assigned.get(stem).into_iter().flatten() {
            if !out.contains_key(key)
                && let Some(v) = current.body.get(key)
            {
                out.insert(key.clone(), v.clone());
            }
        }
        if let Some(c) = &current.container {
            let (k, v) = c.key_value();
            out.insert(k.into(), Value::String(v.into()));
        }
        let collection = self
            .candidate
            .collections
            .get_mut(stem)
            .ok_or_else(|| ApiError::not_found(stem, &current.id))?;
        collection[idx].body = out.clone();
        Ok(Value::Object(out))
    }

    /// Deletes an object by id; refused while another object references its name.
    pub fn delete(&mut self, stem: &str, id: &str) -> Result<Value, ApiError> {
        let idx = self.index_of(stem, id)?;
        self.delete_at(stem, idx)
    }

    /// Collection-level delete keyed by a field given as query parameter.
    pub fn delete_by_key(
        &mut self,
        stem: &str,
        key: &str,
        value: &str,
        container: Option<&Container>,
    ) -> Result<Value, ApiError> {
        let idx = self.index_by_key(stem, key, value, container)?;
        self.delete_at(stem, idx)
    }

    fn delete_at(&mut self, stem: &str, idx: usize) -> Result<Value, ApiError> {
        let target = self.candidate.collection(stem)[idx].clone();
        if let Some(name) = target.name()
            && let Some(user) = self.find_reference(name, &target.id)
        {
            return Err(ApiError::reference_not_zero(stem, name).with_detail("referenced_by", user));
        }
        let removed = self
            .candidate
            .collections
            .get_mut(stem)
            .map(|c| c.remove(idx))
            .ok_or_else(|| ApiError::not_found(stem, &target.id))?;
        Ok(Value::Object(removed.body))
    }

    /// The name of some other object whose arrays hold `name` (references are name lists).
    fn find_reference(&self, name: &str, self_id: &str) -> Option<String> {
        fn array_mentions(v: &Value, name: &str, in_array: bool) -> bool {
            match v {
                Value::String(s) => in_array && s == name,
                Value::Array(items) => items.iter().any(|i| array_mentions(i, name, true)),
                Value::Object(m) => m.values().any(|i| array_mentions(i, name, false)),
                _ => false,
            }
        }
        self.candidate
            .collections
            .values()
            .flatten()
            .filter(|o| o.id != self_id)
            .find(|o| {
                o.body
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "name" | "id" | "description"))
                    .any(|(_, v)| array_mentions(v, name, false))
            })
            .map(|o| o.name().unwrap_or(&o.id).to_string())
    }

    /// Moves a rule within its container and rulebase.
    pub fn move_rule(&mut self, stem: &str, id: &str, mv: &MoveRequest) -> Result<Value, ApiError> {
        let idx = self.index_of(stem, id)?;
        let collection = self
            .candidate
            .collections
            .get_mut(stem)
            .ok_or_else(|| ApiError::not_found(stem, id))?;
        let mut rule = collection.remove(idx);
        if rule.rulebase.is_some() {
            rule.rulebase = Some(mv.rulebase);
        }
        let same_scope = |o: &StoredObject| {
            o.container == rule.container && o.rulebase.is_none_or(|r| r == mv.rulebase)
        };
        let insert_at = match mv.destination.as_str() {
            "top" => collection
                .iter()
                .position(same_scope)
                .unwrap_or(collection.len()),
            "bottom" => collection
                .iter()
                .rposition(same_scope)
                .map(|i| i + 1)
                .unwrap_or(collection.len()),
            "before" | "after" => {
                let Some(dest) = mv.destination_rule.as_deref() else {
                    collection.insert(idx, rule);
                    return Err(ApiError::invalid_object(
                        "destination_rule",
                        "is required when destination is before or after",
                    ));
                };
                let Some(pos) = collection
                    .iter()
                    .position(|o| o.id == dest && same_scope(o))
                else {
                    collection.insert(idx, rule);
                    return Err(ApiError::not_found(stem, dest));
                };
                if mv.destination == "before" {
                    pos
                } else {
                    pos + 1
                }
            }
            other => {
                let other = other.to_string();
                collection.insert(idx, rule);
                return Err(ApiError::invalid_object(
                    "destination",
                    &format!("must be one of top, bottom, before, after (got '{other}')"),
                ));
            }
        };
        let body = rule.body.clone();
        collection.insert(insert_at, rule);
        Ok(Value::Object(body))
    }

    /// Singleton resources (bgp-routing, mobile-agent/global-settings, ...).
    pub fn singleton(&self, stem: &str) -> Value {
        Value::Object(
            self.candidate
                .singletons
                .get(stem)
                .cloned()
                .unwrap_or_else(|| fresh_singleton(stem)),
        )
    }

    /// Removes the objects of a collection whose objects carry no `name` (settings kept per
    /// container), in `container` or everywhere; returns them.
    pub fn delete_unnamed(&mut self, stem: &str, container: Option<&Container>) -> Vec<Value> {
        let Some(items) = self.candidate.collections.get_mut(stem) else {
            return Vec::new();
        };
        let (gone, kept): (Vec<StoredObject>, Vec<StoredObject>) =
            std::mem::take(items).into_iter().partition(|o| {
                o.name().is_none() && (container.is_none() || o.container.as_ref() == container)
            });
        *items = kept;
        gone.into_iter().map(|o| Value::Object(o.body)).collect()
    }

    /// Removes a singleton resource, returning what it held.
    pub fn delete_singleton(&mut self, stem: &str) -> Value {
        Value::Object(
            self.candidate
                .singletons
                .remove(stem)
                .unwrap_or_else(|| fresh_singleton(stem)),
        )
    }

    /// Replaces a singleton resource.
    pub fn put_singleton(&mut self, stem: &str, body: Map<String, Value>) -> Value {
        self.candidate
            .singletons
            .insert(stem.to_string(), body.clone());
        Value::Object(body)
    }

    // ---- config management ------------------------------------------------------------------

    /// Starts a push: the candidate becomes running, a config version and a job are recorded.
    pub fn push(
        &mut self,
        folders: Vec<String>,
        admin: String,
        description: String,
        now_unix: i64,
        now_ms: u64,
    ) -> Result<u64, ApiError> {
        if folders.is_empty() {
            return Err(ApiError::invalid_object(
                "folders",
                "at least one folder is required",
            ));
        }
        if let Some(missing) = folders.iter().find(|f| !self.folder_exists(f)) {
            return Err(ApiError::invalid_object(
                "folders",
                &format!("folder '{missing}' does not exist"),
            ));
        }
        let fail = self.fail_next_pushes > 0;
        if fail {
            self.fail_next_pushes -= 1;
        } else {
            self.running = self.pushed_tree(&folders);
            let version = self.versions.last().map_or(1, |v| v.id + 1);
            self.versions.push(ConfigVersion {
                id: version,
                date: now_unix,
                admin: admin.clone(),
                description: description.clone(),
                folders: folders.clone(),
                tree: self.running.clone(),
            });
        }
        let id = self.jobs.last().map_or(1, |j| j.id + 1);
        self.jobs.push(Job {
            id,
            created: now_unix,
            created_ms: now_ms,
            uname: admin,
            description,
            folders,
            fail,
        });
        Ok(id)
    }

    /// The running configuration after pushing `folders`: candidate objects of those folders
    /// (and their descendants; `All` or `Shared` push everything below them), running objects
    /// elsewhere. Objects outside folders (snippets, devices, setup) and singletons follow the
    /// candidate.
    fn pushed_tree(&self, folders: &[String]) -> ConfigTree {
        let in_scope = |c: &Option<Container>| match c {
            Some(Container::Folder(f)) => {
                folders.iter().any(|p| p == "All")
                    || self.folder_lineage(f).iter().any(|a| folders.contains(a))
            }
            _ => true,
        };
        let mut out = ConfigTree {
            collections: BTreeMap::new(),
            singletons: self.candidate.singletons.clone(),
        };
        let stems: std::collections::BTreeSet<&String> = self
            .candidate
            .collections
            .keys()
            .chain(self.running.collections.keys())
            .collect();
        for stem in stems {
            let mut items: Vec<StoredObject> = self
                .candidate
                .collection(stem)
                .iter()
                .filter(|o| in_scope(&o.container))
                .cloned()
                .collect();
            items.extend(
                self.running
                    .collection(stem)
                    .iter()
                    .filter(|o| !in_scope(&o.container))
                    .cloned(),
            );
            if !items.is_empty() {
                out.collections.insert(stem.clone(), items);
            }
        }
        out
    }

    /// Loads a config version into the candidate.
    pub fn load_version(&mut self, version: u64) -> Result<(), ApiError> {
        let v = self
            .versions
            .iter()
            .find(|v| v.id == version)
            .ok_or_else(|| ApiError::not_found("config-versions", &version.to_string()))?;
        self.candidate = v.tree.clone();
        Ok(())
    }

    /// Discards the candidate (back to running).
    pub fn rollback_candidate(&mut self) {
        self.candidate = self.running.clone();
    }

    /// A config version as JSON.
    pub fn version_json(v: &ConfigVersion) -> Value {
        json!({
            "id": v.id,
            "version": format!("v{}", v.id),
            "date": format_rfc3339(v.date),
            "admin": v.admin,
            "scope": v.folders.join(","),
            "description": v.description,
            "swg_config": "",
            "created": v.date,
            "updated": v.date,
            "deleted": 0,
        })
    }

    /// Running versions, one per pushed folder.
    pub fn running_versions(&self) -> Vec<Value> {
        let mut latest: BTreeMap<&str, &ConfigVersion> = BTreeMap::new();
        for v in &self.versions {
            for f in &v.folders {
                latest.insert(f.as_str(), v);
            }
        }
        latest
            .into_iter()
            .map(|(f, v)| json!({"device": f, "version": v.id, "date": format_rfc3339(v.date)}))
            .collect()
    }
}

fn folder_name(body: &Map<String, Value>) -> Result<String, ApiError> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_object("name", "is required"))?;
    if name.is_empty() || name.len() > 64 {
        return Err(ApiError::invalid_object(
            "name",
            "must be 1 to 64 characters long",
        ));
    }
    Ok(name.to_string())
}

fn is_predefined(folder: &Map<String, Value>) -> bool {
    folder
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| PREDEFINED_FOLDERS.iter().any(|(p, _)| *p == n))
}

fn public_folder(folder: &Map<String, Value>) -> Map<String, Value> {
    folder.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn folder(n: &str) -> Option<Container> {
        Some(Container::Folder(n.into()))
    }

    #[test]
    fn names_unique_per_container_and_inherited_in_lists() {
        let mut s = TenantState::new();
        s.create(
            "addresses",
            folder("Shared"),
            None,
            obj(json!({"name": "a", "fqdn": "x.com"})),
        )
        .unwrap();
        let dup = s
            .create(
                "addresses",
                folder("Shared"),
                None,
                obj(json!({"name": "a"})),
            )
            .unwrap_err();
        assert_eq!((dup.status, dup.code.as_str()), (409, "E006"));
        s.create(
            "addresses",
            folder("Mobile Users"),
            None,
            obj(json!({"name": "a"})),
        )
        .unwrap();
        let f = ListFilter {
            container: folder("Mobile Users"),
            ..Default::default()
        };
        assert_eq!(s.list("addresses", &f).len(), 2);
        let f = ListFilter {
            container: folder("Remote Networks"),
            ..Default::default()
        };
        assert_eq!(s.list("addresses", &f).len(), 1);
        let err = s
            .create("addresses", folder("Nope"), None, obj(json!({"name": "b"})))
            .unwrap_err();
        assert_eq!(err.status, 400);
    }

    #[test]
    fn delete_refused_while_referenced() {
        let mut s = TenantState::new();
        let tag = s
            .create("tags", folder("Shared"), None, obj(json!({"name": "web"})))
            .unwrap();
        let addr = s
            .create(
                "addresses",
                folder("Shared"),
                None,
                obj(json!({"name": "a", "tag": ["web"]})),
            )
            .unwrap();
        let err = s.delete("tags", tag["id"].as_str().unwrap()).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (409, "E009"));
        s.delete("addresses", addr["id"].as_str().unwrap()).unwrap();
        s.delete("tags", tag["id"].as_str().unwrap()).unwrap();
        assert_eq!(s.delete("tags", "nope").unwrap_err().status, 404);
    }

    #[test]
    fn move_rules() {
        let mut s = TenantState::new();
        let ids: Vec<String> = ["r1", "r2", "r3"]
            .iter()
            .map(|n| {
                s.create(
                    "security-rules",
                    folder("Shared"),
                    Some(Rulebase::Pre),
                    obj(json!({"name": n})),
                )
                .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let names = |s: &TenantState| -> Vec<String> {
            s.list(
                "security-rules",
                &ListFilter {
                    rulebase: Some(Rulebase::Pre),
                    ..Default::default()
                },
            )
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
        };
        let mv = |d: &str, r: Option<&String>| MoveRequest {
            destination: d.into(),
            rulebase: Rulebase::Pre,
            destination_rule: r.cloned(),
        };
        s.move_rule("security-rules", &ids[2], &mv("top", None))
            .unwrap();
        assert_eq!(names(&s), ["r3", "r1", "r2"]);
        s.move_rule("security-rules", &ids[2], &mv("bottom", None))
            .unwrap();
        assert_eq!(names(&s), ["r1", "r2", "r3"]);
        s.move_rule("security-rules", &ids[0], &mv("after", Some(&ids[1])))
            .unwrap();
        assert_eq!(names(&s), ["r2", "r1", "r3"]);
        s.move_rule("security-rules", &ids[2], &mv("before", Some(&ids[1])))
            .unwrap();
        assert_eq!(names(&s), ["r3", "r2", "r1"]);
        assert!(
            s.move_rule("security-rules", &ids[2], &mv("before", None))
                .is_err()
        );
        assert_eq!(names(&s), ["r3", "r2", "r1"]);
    }

    #[test]
    fn push_load_and_rollback() {
        let mut s = TenantState::new();
        s.create("tags", folder("Shared"), None, obj(json!({"name": "t1"})))
            .unwrap();
        let job = s
            .push(vec!["Shared".into()], "a@b".into(), "d".into(), 1000, 0)
            .unwrap();
        assert_eq!(job, 1);
        assert_eq!(s.running.object_count(), 1);
        s.create("tags", folder("Shared"), None, obj(json!({"name": "t2"})))
            .unwrap();
        s.rollback_candidate();
        assert_eq!(s.candidate.object_count(), 1);
        s.create("tags", folder("Shared"), None, obj(json!({"name": "t3"})))
            .unwrap();
        s.push(vec!["Shared".into()], "a@b".into(), "d".into(), 1001, 0)
            .unwrap();
        s.load_version(1).unwrap();
        assert_eq!(s.candidate.object_count(), 1);
        assert_eq!(s.load_version(9).unwrap_err().status, 404);
        let j = &s.jobs[0];
        assert_eq!(j.phase(0, 1000), JobPhase::Pending);
        assert!(matches!(j.phase(500, 1000), JobPhase::Active(50)));
        assert_eq!(j.phase(1000, 1000), JobPhase::Done);
        assert_eq!(j.to_json(1000, 1001, 1000, false)["status_str"], "FIN");
    }

    #[test]
    fn push_applies_only_the_pushed_folders() {
        let mut s = TenantState::new();
        s.create(
            "tags",
            folder("Mobile Users"),
            None,
            obj(json!({"name": "mu"})),
        )
        .unwrap();
        s.create(
            "tags",
            folder("Remote Networks"),
            None,
            obj(json!({"name": "rn"})),
        )
        .unwrap();
        s.push(vec!["Mobile Users".into()], "a@b".into(), "d".into(), 1, 0)
            .unwrap();
        let names = |t: &ConfigTree| -> Vec<String> {
            t.collection("tags")
                .iter()
                .map(|o| o.name().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(names(&s.running), ["mu"]);
        // Pushing a parent folder takes its descendants along.
        s.push(vec!["Shared".into()], "a@b".into(), "d".into(), 2, 0)
            .unwrap();
        assert_eq!(names(&s.running), ["mu", "rn"]);
        // Discarding the candidate restores what is running.
        s.create(
            "tags",
            folder("Remote Networks"),
            None,
            obj(json!({"name": "draft"})),
        )
        .unwrap();
        s.push(vec!["Mobile Users".into()], "a@b".into(), "d".into(), 3, 0)
            .unwrap();
        assert_eq!(names(&s.running), ["mu", "rn"]);
        s.rollback_candidate();
        assert_eq!(names(&s.candidate), ["mu", "rn"]);
    }

    #[test]
    fn folders_crud() {
        let mut s = TenantState::new();
        let f = s
            .create_folder(obj(json!({"name": "Texas", "parent": "Shared"})))
            .unwrap();
        let id = f["id"].as_str().unwrap().to_string();
        assert_eq!(
            s.create_folder(obj(json!({"name": "Texas", "parent": "Shared"})))
                .unwrap_err()
                .status,
            409
        );
        assert_eq!(
            s.create_folder(obj(json!({"name": "X", "parent": "Nope"})))
                .unwrap_err()
                .status,
            400
        );
        s.create("tags", folder("Texas"), None, obj(json!({"name": "t"})))
            .unwrap();
        assert_eq!(s.delete_folder(&id).unwrap_err().status, 409);
        s.candidate = ConfigTree::default();
        s.update_folder(&id, obj(json!({"description": "big"})))
            .unwrap();
        assert_eq!(s.get_folder(&id).unwrap()["description"], "big");
        s.delete_folder(&id).unwrap();
        assert_eq!(s.list_folders(None).len(), 6);
    }
}
