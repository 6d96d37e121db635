//! Which SCM operation a request path names.
//!
//! A path is first split by shape (family prefix, stem, id, `:verb`), then confirmed against
//! the catalog's path templates: a path no operation has gets 404, a known path with another
//! method 501, and a served request always knows its operation's body schema and status.

use std::sync::Arc;

/// API family of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFamily {
    /// `/sse/config/v1/...`
    Sse,
    /// `/config/<area>/v1/...`
    V2 {
        /// The area (`objects`, `security`, `setup`, `operations`, ...).
        area: String,
    },
}

/// One route of the table (an operation of the catalog).
#[derive(Debug, Clone)]
pub struct RouteDef {
    /// Resource key (`address`, `securityRule`, ...).
    pub resource: String,
    /// Operation name (`list`, `create`, `move`, ...).
    pub operation: String,
    /// HTTP method (upper case).
    pub method: String,
    /// Full path template from the root (`/config/objects/v1/addresses/{id}`).
    pub template: String,
    /// Declared success status.
    pub success_status: Option<u16>,
    /// Whether the declared success body is a bare JSON array.
    pub bare_array: bool,
    /// Index into the catalog's operation list (for validation).
    pub op_index: usize,
    /// Top-level body property names, when the operation takes a JSON object body.
    pub body_props: Vec<String>,
    /// Whether a request without a body is an error (some field is required).
    pub body_required: bool,
    /// Whether the body is a JSON array rather than an object.
    pub body_is_array: bool,
    /// Declared query parameters with their `required` flag.
    pub query_params: Vec<(String, bool)>,
    /// Required query parameters that key a collection-level update/delete (`name`,
    /// `host_id`, ...), excluding containers and `position`.
    pub key_params: Vec<String>,
    /// Fields the server assigns on create (required and read-only in the spec, such as an
    /// auto-tag action's `log_type`), with the value the simulator gives them.
    pub server_fields: Vec<(String, serde_json::Value)>,
    /// The declared success body is a JSON object (not an array, not undeclared).
    pub object_response: bool,
    /// The declared success body is the `{data, limit, offset, total}` envelope.
    pub enveloped: bool,
    /// Defaults the create body's schema declares for properties every returned object has
    /// (required in the response): the server applies them at create and stores them.
    pub create_defaults: Vec<(String, serde_json::Value)>,
    /// The spec types this resource's `id` as an integer.
    pub integer_id: bool,
}

/// The parsed shape of a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathShape {
    /// Family.
    pub family: ApiFamily,
    /// Resource stem (`addresses`, `mobile-agent/agent-profiles`).
    pub stem: String,
    /// Item id (second segment), when present.
    pub id: Option<String>,
    /// Literal sub-resource (`running`, `candidate` under `config-versions`).
    pub sub: Option<String>,
    /// `:verb` suffix.
    pub action: Option<String>,
}

const SUB_RESOURCES: &[(&str, &[&str])] = &[("config-versions", &["running", "candidate"])];

/// Splits a request path. Returns `None` for paths outside both families.
pub fn parse_path(path: &str) -> Option<PathShape> {
    let decoded = path.replace("%3A", ":").replace("%3a", ":");
    let (family, rest) = if let Some(rest) = decoded.strip_prefix("/sse/config/v1/") {
        (ApiFamily::Sse, rest.to_string())
    } else {
        let rest = decoded.strip_prefix("/config/")?;
        let (area, rest) = rest.split_once('/')?;
        let rest = rest.strip_prefix("v1/")?;
        if area.is_empty() {
            return None;
        }
        (
            ApiFamily::V2 {
                area: area.to_string(),
            },
            rest.to_string(),
        )
    };
    let mut segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return None;
    }
    let mut take_stem = vec![segments.remove(0)];
    if take_stem[0] == "mobile-agent" && !segments.is_empty() {
        take_stem.push(segments.remove(0));
    }
    let mut stem = take_stem.join("/");
    let mut action = None;
    if segments.is_empty()
        && let Some((s, a)) = stem.clone().split_once(':')
    {
        stem = s.to_string();
        action = Some(a.to_string());
    }
    let mut id = None;
    let mut sub = None;
    if let Some(second) = segments.first() {
        let (value, verb) = match second.split_once(':') {
            Some((v, a)) => (v.to_string(), Some(a.to_string())),
            None => (second.to_string(), None),
        };
        action = verb;
        let is_sub = SUB_RESOURCES
            .iter()
            .any(|(s, subs)| *s == stem && subs.contains(&value.as_str()));
        if is_sub {
            sub = Some(value);
        } else {
            id = Some(value);
        }
    }
    if segments.len() > 1 || stem.is_empty() {
        return None;
    }
    // The v2 mobile-agent area serves what sse names `mobile-agent/<stem>`: one store.
    if matches!(&family, ApiFamily::V2 { area } if area == "mobile-agent")
        && !stem.starts_with("mobile-agent/")
    {
        stem = format!("mobile-agent/{stem}");
    }
    Some(PathShape {
        family,
        stem,
        id,
        sub,
        action,
    })
}

/// The route table: catalog operations by template.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Arc<Vec<RouteDef>>,
}

/// Result of looking a request up in the table.
#[derive(Debug, Clone)]
pub enum Lookup<'a> {
    /// A catalog operation matches.
    Found(&'a RouteDef),
    /// The path exists but not with this method.
    WrongMethod,
    /// No operation has this path.
    Unknown,
}

impl RouteTable {
    /// A table of routes.
    pub fn new(routes: Vec<RouteDef>) -> Self {
        Self {
            routes: Arc::new(routes),
        }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no route is known (then every API path is answered 404).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// All routes.
    pub fn routes(&self) -> &[RouteDef] {
        &self.routes
    }

    /// Finds the operation for a method and path.
    pub fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let decoded = path.replace("%3A", ":").replace("%3a", ":");
        let mut path_match = false;
        let mut best: Option<&RouteDef> = None;
        for r in self.routes.iter() {
            if template_matches(&r.template, &decoded) {
                if r.method.eq_ignore_ascii_case(method) {
                    // Literal paths win over templated ones (`/running` over `/{version}`).
                    let params = r.template.matches('{').count();
                    if best.is_none_or(|b| params < b.template.matches('{').count()) {
                        best = Some(r);
                    }
                }
                path_match = true;
            }
        }
        match best {
            Some(r) => Lookup::Found(r),
            None if path_match => Lookup::WrongMethod,
            None => Lookup::Unknown,
        }
    }

    /// True when an update or delete of this stem's collection is keyed by a required `name`
    /// query parameter while its create body declares no `name` (a spec gap of
    /// `mobile-agent/authentication-settings`): the simulator then names created objects.
    pub fn keyed_by_undeclared_name(&self, stem: &str) -> bool {
        let of_stem = |r: &&RouteDef| {
            parse_path(&r.template).is_some_and(|s| s.stem == stem && s.id.is_none())
        };
        let keyed = self
            .routes
            .iter()
            .filter(of_stem)
            .any(|r| r.key_params.iter().any(|k| k == "name"));
        let declared = self
            .routes
            .iter()
            .filter(of_stem)
            .filter(|r| r.operation == "create")
            .any(|r| r.body_props.iter().any(|p| p == "name"));
        keyed && !declared
    }

    /// Stems whose objects have integer ids in the spec.
    pub fn integer_id_stems(&self) -> std::collections::BTreeSet<String> {
        self.routes
            .iter()
            .filter(|r| r.integer_id)
            .filter_map(|r| parse_path(&r.template).map(|s| s.stem))
            .collect()
    }

    /// Per stem, the fields its create assigns on the server side ([`RouteDef::server_fields`]).
    pub fn server_assigned_fields(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut out = std::collections::BTreeMap::<String, Vec<String>>::new();
        for r in self.routes.iter().filter(|r| !r.server_fields.is_empty()) {
            if let Some(shape) = parse_path(&r.template) {
                let keys = out.entry(shape.stem).or_default();
                for (k, _) in &r.server_fields {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
        }
        out
    }

    /// True when some route of this stem (any family) ends in `/{...}:move`.
    pub fn stem_has_move(&self, stem: &str) -> bool {
        self.routes
            .iter()
            .any(|r| r.operation == "move" && r.template.contains(&format!("/{stem}/")))
    }
}

/// Matches `/a/{id}:move` against `/a/123:move`; `{x}` matches one non-empty segment part.
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return false;
    }
    t.iter()
        .zip(p.iter())
        .all(|(ts, ps)| segment_matches(ts, ps))
}

fn segment_matches(template: &str, segment: &str) -> bool {
    match (template.find('{'), template.find('}')) {
        (Some(open), Some(close)) if close > open => {
            let prefix = &template[..open];
            let suffix = &template[close + 1..];
            segment.len() > prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
                && !segment[prefix.len()..segment.len() - suffix.len()].contains(':')
        }
        _ => template == segment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shapes() {
        let s = parse_path("/config/objects/v1/addresses").unwrap();
        assert_eq!(s.stem, "addresses");
        assert_eq!(
            s.family,
            ApiFamily::V2 {
                area: "objects".into()
            }
        );
        let s = parse_path("/sse/config/v1/security-rules/abc:move").unwrap();
        assert_eq!(
            (s.stem.as_str(), s.id.as_deref(), s.action.as_deref()),
            ("security-rules", Some("abc"), Some("move"))
        );
        let s = parse_path("/config/operations/v1/config-versions/candidate:push").unwrap();
        assert_eq!(
            (s.sub.as_deref(), s.action.as_deref(), s.id),
            (Some("candidate"), Some("push"), None)
        );
        let s = parse_path("/sse/config/v1/config-versions:load").unwrap();
        assert_eq!(
            (s.stem.as_str(), s.action.as_deref()),
            ("config-versions", Some("load"))
        );
        let s = parse_path("/sse/config/v1/mobile-agent/agent-profiles").unwrap();
        assert_eq!(s.stem, "mobile-agent/agent-profiles");
        let s = parse_path("/sse/config/v1/mobile-agent/user-authentication:move").unwrap();
        assert_eq!(
            (s.stem.as_str(), s.action.as_deref()),
            ("mobile-agent/user-authentication", Some("move"))
        );
        let s = parse_path("/config/mobile-agent/v1/agent-profiles").unwrap();
        assert_eq!(s.stem, "mobile-agent/agent-profiles");
        let s = parse_path("/config/operations/v1/config-versions/7").unwrap();
        assert_eq!(s.id.as_deref(), Some("7"));
        assert!(parse_path("/other/x").is_none());
        assert!(parse_path("/sse/config/v1/a/b/c").is_none());
    }

    #[test]
    fn templates_match() {
        assert!(template_matches(
            "/x/v1/rules/{id}:move",
            "/x/v1/rules/abc:move"
        ));
        assert!(!template_matches(
            "/x/v1/rules/{id}",
            "/x/v1/rules/abc:move"
        ));
        assert!(!template_matches("/x/v1/rules/{id}", "/x/v1/rules"));
        assert!(template_matches("/x/v1/a:load", "/x/v1/a:load"));
        let table = RouteTable::new(vec![RouteDef {
            resource: "address".into(),
            operation: "get".into(),
            method: "GET".into(),
            template: "/config/objects/v1/addresses/{id}".into(),
            success_status: Some(200),
            bare_array: false,
            op_index: 0,
            body_props: Vec::new(),
            body_required: false,
            body_is_array: false,
            query_params: Vec::new(),
            key_params: Vec::new(),
            server_fields: Vec::new(),
            object_response: true,
            enveloped: false,
            create_defaults: Vec::new(),
            integer_id: false,
        }]);
        assert!(matches!(
            table.lookup("GET", "/config/objects/v1/addresses/1"),
            Lookup::Found(_)
        ));
        assert!(matches!(
            table.lookup("POST", "/config/objects/v1/addresses/1"),
            Lookup::WrongMethod
        ));
        assert!(matches!(
            table.lookup("GET", "/config/objects/v1/nope/1"),
            Lookup::Unknown
        ));
    }
}
