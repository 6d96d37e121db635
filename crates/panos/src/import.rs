//! `type=import`: certificates, key pairs and private keys (multipart upload).

use crate::{
    error::{Error, Result},
    request::{ApiRequest, FilePart},
    secret::Secret,
    validate,
};

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportCategory {
    /// A certificate (PEM or PKCS#12 with its key).
    Certificate,
    /// The private key of an already imported certificate.
    PrivateKey,
    /// A certificate and key in one file.
    Keypair,
}

impl ImportCategory {
    /// Wire value of `category=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::PrivateKey => "private-key",
            Self::Keypair => "keypair",
        }
    }
}

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// PEM text.
    Pem,
    /// PKCS#12 bundle.
    Pkcs12,
}

impl ImportFormat {
    /// Wire value of `format=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pem => "pem",
            Self::Pkcs12 => "pkcs12",
        }
    }
}

/// An import request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// What is imported.
    pub category: ImportCategory,
    /// Name of the certificate on the device.
    pub certificate_name: String,
    /// File format.
    pub format: ImportFormat,
    /// Passphrase of the key or PKCS#12 bundle (secret).
    pub passphrase: Option<Secret>,
    /// Destination vsys (firewall, multi-vsys).
    pub vsys: Option<String>,
    /// Destination template (Panorama).
    pub target_tpl: Option<String>,
    /// Vsys inside the template.
    pub target_tpl_vsys: Option<String>,
    /// File name sent in the multipart part.
    pub file_name: String,
    /// File content.
    pub content: Vec<u8>,
}

impl Import {
    /// An import with no passphrase, vsys or template.
    pub fn new(
        category: ImportCategory,
        certificate_name: impl Into<String>,
        format: ImportFormat,
        file_name: impl Into<String>,
        content: Vec<u8>,
    ) -> Self {
        Self {
            category,
            certificate_name: certificate_name.into(),
            format,
            passphrase: None,
            vsys: None,
            target_tpl: None,
            target_tpl_vsys: None,
            file_name: file_name.into(),
            content,
        }
    }

    /// Build the request. Parameters: `type, category, certificate-name, format,
    /// passphrase?, vsys?, target-tpl?, target-tpl-vsys?`, then the `file` part.
    pub fn request(&self) -> Result<ApiRequest> {
        validate::name("certificate-name", &self.certificate_name, 63)?;
        validate::non_empty("file_name", &self.file_name)?;
        if self.content.is_empty() {
            return Err(Error::invalid("file", "the file to import is empty"));
        }
        let needs_pass = matches!(
            self.category,
            ImportCategory::PrivateKey | ImportCategory::Keypair
        ) || self.format == ImportFormat::Pkcs12;
        if needs_pass && self.passphrase.as_ref().is_none_or(Secret::is_empty) {
            return Err(Error::invalid(
                "passphrase",
                "required when importing a key or a PKCS#12 bundle",
            ));
        }
        if self.target_tpl_vsys.is_some() && self.target_tpl.is_none() {
            return Err(Error::invalid("target-tpl-vsys", "requires target-tpl"));
        }
        if let Some(v) = &self.vsys {
            validate::name("vsys", v, 31)?;
        }
        if let Some(t) = &self.target_tpl {
            validate::name("target-tpl", t, 63)?;
        }
        if let Some(v) = &self.target_tpl_vsys {
            validate::name("target-tpl-vsys", v, 31)?;
        }
        let mut req = ApiRequest::new("import", false)
            .push("category", self.category.as_str())
            .push("certificate-name", &*self.certificate_name)
            .push("format", self.format.as_str());
        if let Some(p) = &self.passphrase {
            req = req.push_secret("passphrase", p.clone());
        }
        Ok(req
            .push_opt("vsys", self.vsys.as_deref())
            .push_opt("target-tpl", self.target_tpl.as_deref())
            .push_opt("target-tpl-vsys", self.target_tpl_vsys.as_deref())
            .set_file(FilePart {
                file_name: self.file_name.clone(),
                content: self.content.clone(),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_params() {
        let mut i = Import::new(
            ImportCategory::Keypair,
            "web",
            ImportFormat::Pem,
            "web.pem",
            b"-----BEGIN".to_vec(),
        );
        assert!(i.request().is_err(), "keypair needs passphrase");
        i.passphrase = Some(Secret::new("pw"));
        i.target_tpl = Some("T1".into());
        i.target_tpl_vsys = Some("vsys1".into());
        let r = i.request().unwrap();
        let names: Vec<&str> = r.params().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "type",
                "category",
                "certificate-name",
                "format",
                "passphrase",
                "target-tpl",
                "target-tpl-vsys"
            ]
        );
        assert_eq!(r.param("category"), Some("keypair"));
        assert_eq!(r.file().unwrap().file_name, "web.pem");
        assert!(!r.is_idempotent());
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("\"pw\"") && !dbg.contains("BEGIN"), "{dbg}");
        assert!(!r.summary().contains("pw"));
        let cert = Import::new(
            ImportCategory::Certificate,
            "c",
            ImportFormat::Pem,
            "c.pem",
            b"x".to_vec(),
        );
        assert!(cert.request().is_ok());
    }
}
