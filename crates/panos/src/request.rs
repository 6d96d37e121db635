//! The request value every builder produces: a POST to `/api/` with ordered form
//! parameters, an optional multipart file part and an idempotency flag.

use std::fmt;

use crate::{
    error::{Error, Result},
    secret::Secret,
};

/// The endpoint every request goes to.
pub const API_PATH: &str = "/api/";

/// A parameter value; secret values are redacted in `Debug` and [`ApiRequest::summary`].
#[derive(Clone, PartialEq, Eq)]
pub enum ParamValue {
    /// An ordinary value.
    Plain(String),
    /// A password or passphrase.
    Secret(Secret),
}

impl ParamValue {
    /// The value as sent on the wire.
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(s) => s,
            Self::Secret(s) => s.expose(),
        }
    }

    /// Whether this value must never be logged.
    pub fn is_secret(&self) -> bool {
        matches!(self, Self::Secret(_))
    }
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(s) => fmt::Debug::fmt(s, f),
            Self::Secret(_) => f.write_str("***"),
        }
    }
}

/// The multipart file part of an import request (field name `file`).
#[derive(Clone, PartialEq, Eq)]
pub struct FilePart {
    /// File name reported to the device.
    pub file_name: String,
    /// File content.
    pub content: Vec<u8>,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Content may be a private key: only its size is shown.
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("len", &self.content.len())
            .finish()
    }
}

/// A fully validated request, ready for any transport.
///
/// Always `POST` to [`API_PATH`]; form-encoded unless [`ApiRequest::file`] is set, in
/// which case it is `multipart/form-data` with the parameters as text parts followed by
/// the `file` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    params: Vec<(String, ParamValue)>,
    file: Option<FilePart>,
    idempotent: bool,
}

impl ApiRequest {
    /// Start a request of `type=<request_type>`.
    pub(crate) fn new(request_type: &str, idempotent: bool) -> Self {
        Self {
            params: vec![("type".into(), ParamValue::Plain(request_type.into()))],
            file: None,
            idempotent,
        }
    }

    /// A request of any documented `type` not covered by a builder (e.g. `report`),
    /// to be completed with [`ApiRequest::with_param`]. `idempotent` states whether a
    /// transport failure may be retried blindly.
    pub fn custom(request_type: &str, idempotent: bool) -> Result<Self> {
        const TYPES: [&str; 10] = [
            "keygen", "config", "commit", "op", "report", "log", "import", "export", "user-id",
            "version",
        ];
        if !TYPES.contains(&request_type) {
            return Err(Error::invalid(
                "type",
                format!("{request_type:?} is not one of {}", TYPES.join(", ")),
            ));
        }
        Ok(Self::new(request_type, idempotent))
    }

    pub(crate) fn push(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params
            .push((name.to_owned(), ParamValue::Plain(value.into())));
        self
    }

    pub(crate) fn push_secret(mut self, name: &str, value: Secret) -> Self {
        self.params
            .push((name.to_owned(), ParamValue::Secret(value)));
        self
    }

    pub(crate) fn push_opt(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.push(name, v),
            None => self,
        }
    }

    pub(crate) fn set_file(mut self, file: FilePart) -> Self {
        self.file = Some(file);
        self
    }

    /// HTTP method: always `POST` (keeps credentials and large bodies out of URLs).
    pub fn method(&self) -> &'static str {
        "POST"
    }

    /// HTTP path: always [`API_PATH`].
    pub fn path(&self) -> &'static str {
        API_PATH
    }

    /// Parameters in the order they are sent.
    pub fn params(&self) -> &[(String, ParamValue)] {
        &self.params
    }

    /// Value of parameter `name` (secret values included; do not log the result).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.expose())
    }

    /// The `type` parameter.
    pub fn request_type(&self) -> &str {
        self.param("type").unwrap_or("")
    }

    /// The `action` parameter, if any.
    pub fn action(&self) -> Option<&str> {
        self.param("action")
    }

    /// The multipart file part, if any.
    pub fn file(&self) -> Option<&FilePart> {
        self.file.as_ref()
    }

    /// Whether sending this request twice has the same effect as sending it once, so a
    /// transport failure may be retried blindly (reads, `show` op commands, job polls,
    /// keygen). Config writes, commits, User-ID updates and imports are not.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// Override the idempotency flag (for example for an op command known to be harmless).
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    fn set_param(mut self, name: &str, value: &str) -> Self {
        if let Some(slot) = self.params.iter_mut().find(|(k, _)| k == name) {
            slot.1 = ParamValue::Plain(value.to_owned());
        } else {
            self.params
                .push((name.to_owned(), ParamValue::Plain(value.to_owned())));
        }
        self
    }

    /// Redirect the request through Panorama to the managed firewall `serial`
    /// (`target=`). Not supported by the device for `type=log`.
    pub fn with_target(self, serial: &str) -> Result<Self> {
        crate::validate::serial("target", serial)?;
        if self.request_type() == "log" {
            return Err(Error::invalid(
                "target",
                "PAN-OS does not redirect type=log requests; query the firewall directly",
            ));
        }
        Ok(self.set_param("target", serial))
    }

    /// Set the `vsys=` parameter (User-ID, import, locks, …).
    pub fn with_vsys(self, vsys: &str) -> Result<Self> {
        crate::validate::name("vsys", vsys, 31)?;
        Ok(self.set_param("vsys", vsys))
    }

    /// Add an extra parameter (like pan-python's `extra_qs`). Parameters the builders
    /// own (`type`, `key`) cannot be overridden this way.
    pub fn with_param(self, name: &str, value: &str) -> Result<Self> {
        if name.is_empty() || name.eq_ignore_ascii_case("key") || name == "type" {
            return Err(Error::invalid(
                name.to_owned(),
                "this parameter cannot be set as an extra parameter",
            ));
        }
        Ok(self.set_param(name, value))
    }

    /// The `application/x-www-form-urlencoded` body. Contains secret values in clear:
    /// hand it to the transport only.
    pub fn form_body(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            form.append_pair(k, v.expose());
        }
        form.finish()
    }

    /// One-line description for logs: `type`, `action`, `xpath`, `category`,
    /// `log-type` and `target`; command bodies and secrets are left out.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.params {
            if v.is_secret() {
                continue;
            }
            if matches!(
                k.as_str(),
                "type"
                    | "action"
                    | "xpath"
                    | "category"
                    | "log-type"
                    | "target"
                    | "vsys"
                    | "job-id"
            ) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(k);
                out.push('=');
                out.push_str(v.expose());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_and_summary() {
        let r = ApiRequest::new("keygen", true)
            .push("user", "ad min")
            .push_secret("password", Secret::new("p&ss=w@rd"));
        assert_eq!(
            r.form_body(),
            "type=keygen&user=ad+min&password=p%26ss%3Dw%40rd"
        );
        assert_eq!(r.summary(), "type=keygen");
        assert!(!format!("{r:?}").contains("p&ss"));
    }

    #[test]
    fn target_and_extra() {
        let r = ApiRequest::new("op", true)
            .with_target("007951000123456")
            .unwrap();
        assert_eq!(r.param("target"), Some("007951000123456"));
        assert!(ApiRequest::new("log", true).with_target("0079").is_err());
        assert!(r.clone().with_param("key", "x").is_err());
        assert!(r.with_target("bad serial").is_err());
        let rep = ApiRequest::custom("report", true)
            .unwrap()
            .with_param("reporttype", "predefined")
            .unwrap();
        assert_eq!(rep.form_body(), "type=report&reporttype=predefined");
        assert!(ApiRequest::custom("bogus", true).is_err());
    }
}
