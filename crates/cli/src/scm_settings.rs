//! SCM connection settings: profile file, then environment, then flags.
//!
//! Credentials come from `SCM_CLIENT_ID`, `SCM_CLIENT_SECRET`, `SCM_TSG_ID` or the profile's
//! `client_id`, `client_secret`, `tsg_id` (the environment wins). The secret never comes from
//! a flag, so it never shows in the process list.
//!
//! Hosts: the API base URL (`--base-url`, `SCM_BASE_URL`, profile `scm_base_url`) and the
//! token service, given either in full (`--token-url`, `SCM_TOKEN_URL`, profile
//! `scm_token_url`) or as the auth base URL to which `/oauth2/access_token` is appended
//! (`--auth-base-url`, `SCM_AUTH_BASE_URL`) — regional tenants and the simulator need both.
//! The default folder of actions comes from `SCM_FOLDER` or the profile's `folder`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use panops_client::scm::{Family, ScmCredentials, TOKEN_PATH};
use secrecy::ExposeSecret;

use crate::settings::{self, Env, Profile};

/// Flags that override the SCM part of a profile.
#[derive(Debug, Clone, Default)]
pub struct ScmOverrides {
    /// API base URL.
    pub base_url: Option<String>,
    /// Token endpoint URL, in full.
    pub token_url: Option<String>,
    /// Token service base URL (`/oauth2/access_token` is appended); `token_url` wins.
    pub auth_base_url: Option<String>,
    /// API family.
    pub family: Option<Family>,
    /// Skip TLS verification.
    pub skip_verify: bool,
    /// CA bundle.
    pub ca_file: Option<PathBuf>,
    /// Request timeout in seconds.
    pub timeout_secs: Option<u64>,
}

/// Fully resolved SCM settings.
#[derive(Debug)]
pub struct ScmSettings {
    /// Service-account credentials (not yet validated: the client reports what is missing).
    pub credentials: ScmCredentials,
    /// API base URL override (`None`: the family's documented host).
    pub base_url: Option<String>,
    /// Token endpoint, in full (`None`:
    /// `https://auth.apps.paloaltonetworks.com/oauth2/access_token`); an auth base URL is
    /// resolved into it.
    pub token_url: Option<String>,
    /// Folder for actions that name none (`SCM_FOLDER`, then the profile's `folder`); `None`
    /// when not configured. See [`ScmSettings::default_folder`].
    pub folder: Option<String>,
    /// Default family.
    pub family: Family,
    /// Skip TLS verification.
    pub skip_verify: bool,
    /// CA bundle to trust.
    pub ca_file: Option<PathBuf>,
    /// Request timeout in seconds.
    pub timeout_secs: u64,
}

/// Folder used by actions when neither the action nor the settings name one.
pub const FALLBACK_FOLDER: &str = "Shared";

impl ScmSettings {
    /// The folder for an action that names none: the configured one, else `Shared`.
    pub fn default_folder(&self) -> &str {
        self.folder.as_deref().unwrap_or(FALLBACK_FOLDER)
    }
}

fn parse_family(source: &str, value: &str) -> Result<Family> {
    Family::parse(value).with_context(|| format!("{source} must be sse-v1 or v2, not '{value}'"))
}

/// Loads the profile file and resolves the SCM settings of `profile_name` (or the default
/// profile, or `PANOPS_PROFILE`).
pub fn load(profile_name: Option<&str>, overrides: &ScmOverrides) -> Result<ScmSettings> {
    let env = settings::ProcessEnv;
    let file = settings::load_profiles(&env).map_err(crate::exit::as_usage)?;
    let name = profile_name
        .map(str::to_string)
        .or_else(|| env.get("PANOPS_PROFILE"));
    let profile = settings::select_profile(file, name.as_deref())?;
    let resolved = resolve_scm(overrides, &env, profile)?;
    require_credentials(&resolved.credentials)?;
    Ok(resolved)
}

/// Names every missing credential part once, with where each comes from, before anything is
/// sent (a usage error, as on the PAN-OS side).
fn require_credentials(c: &ScmCredentials) -> Result<()> {
    let missing: Vec<&str> = [
        ("SCM_CLIENT_ID", c.client_id.trim().is_empty()),
        (
            "SCM_CLIENT_SECRET",
            c.client_secret.expose_secret().trim().is_empty(),
        ),
        ("SCM_TSG_ID", c.tsg_id.trim().is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, absent)| absent.then_some(name))
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(anyhow::Error::new(crate::exit::UsageError(format!(
        "no SCM credentials: set {} in the environment (or client_id / tsg_id in a profile \
         with kind = \"scm\"; the secret comes from SCM_CLIENT_SECRET or the profile's \
         client_secret)",
        missing.join(", ")
    ))))
}

/// Resolves SCM settings with flag > environment > profile precedence.
pub fn resolve_scm(
    overrides: &ScmOverrides,
    env: &dyn Env,
    profile: Profile,
) -> Result<ScmSettings> {
    let from_env = ScmCredentials::from_lookup(|n| env.get(n));
    let client_id = if from_env.client_id.is_empty() {
        profile.client_id.clone().unwrap_or_default()
    } else {
        from_env.client_id.clone()
    };
    let client_secret = if from_env.client_secret.expose_secret().is_empty() {
        profile
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .unwrap_or_default()
    } else {
        from_env.client_secret.expose_secret().to_string()
    };
    let tsg_id = if from_env.tsg_id.is_empty() {
        profile.tsg_id.clone().unwrap_or_default()
    } else {
        from_env.tsg_id.clone()
    };
    let family = match (overrides.family, env.get("SCM_FAMILY"), &profile.scm_family) {
        (Some(f), _, _) => f,
        (None, Some(v), _) => parse_family("SCM_FAMILY", &v)?,
        (None, None, Some(v)) => parse_family("the profile's scm_family", v)?,
        (None, None, None) => Family::SseV1,
    };
    let base_url = overrides
        .base_url
        .clone()
        .or_else(|| env.get("SCM_BASE_URL"))
        .or(profile.scm_base_url.clone());
    // In each layer a full token URL beats an auth base URL; a flag beats the environment,
    // which beats the profile.
    let from_base = |base: String| format!("{}{TOKEN_PATH}", base.trim_end_matches('/'));
    let token_url = overrides
        .token_url
        .clone()
        .or_else(|| overrides.auth_base_url.clone().map(from_base))
        .or_else(|| env.get("SCM_TOKEN_URL"))
        .or_else(|| env.get("SCM_AUTH_BASE_URL").map(from_base))
        .or(profile.scm_token_url.clone());
    let folder = env
        .get("SCM_FOLDER")
        .filter(|f| !f.trim().is_empty())
        .or(profile.folder.clone());
    for (what, url) in [("base URL", &base_url), ("token URL", &token_url)] {
        if let Some(u) = url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            bail!("SCM {what} must start with https:// or http://, not '{u}'");
        }
    }
    let skip_verify = if overrides.skip_verify {
        true
    } else if let Some(v) = env.get("SCM_SKIP_VERIFY_CERTIFICATE") {
        match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => bail!("SCM_SKIP_VERIFY_CERTIFICATE must be true or false, not '{v}'"),
        }
    } else {
        profile.skip_verify_certificate.unwrap_or(false)
    };
    Ok(ScmSettings {
        credentials: ScmCredentials::new(client_id, client_secret, tsg_id),
        base_url,
        token_url,
        folder,
        family,
        skip_verify,
        ca_file: overrides.ca_file.clone().or(profile.ca_file),
        timeout_secs: overrides
            .timeout_secs
            .or(profile.timeout_secs)
            .unwrap_or(60),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ConfigFile;

    struct MapEnv(Vec<(&'static str, &'static str)>);
    impl Env for MapEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn profile(text: &str) -> Profile {
        let file: ConfigFile = toml::from_str(text).unwrap();
        settings::select_profile(file, None).unwrap()
    }

    #[test]
    fn env_beats_profile_and_flags_beat_env() {
        let p = profile(
            "default_profile='t'\n[profiles.t]\nclient_id='p-id'\nclient_secret='p-secret'\ntsg_id='111'\nscm_family='v2'\nscm_base_url='https://p.example'\n",
        );
        let env = MapEnv(vec![
            ("SCM_CLIENT_ID", "e-id"),
            ("SCM_BASE_URL", "https://e.example"),
        ]);
        let flags = ScmOverrides {
            base_url: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        let s = resolve_scm(&flags, &env, p).unwrap();
        assert_eq!(s.credentials.client_id, "e-id");
        assert_eq!(s.credentials.client_secret.expose_secret(), "p-secret");
        assert_eq!(s.credentials.tsg_id, "111");
        assert_eq!(s.family, Family::V2);
        assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:1"));
        assert!(!s.skip_verify);
    }

    #[test]
    fn auth_base_url_and_token_url() {
        let none = Profile::default;
        let env = MapEnv(vec![("SCM_AUTH_BASE_URL", "https://auth.eu.example/")]);
        let s = resolve_scm(&ScmOverrides::default(), &env, none()).unwrap();
        assert_eq!(
            s.token_url.as_deref(),
            Some("https://auth.eu.example/oauth2/access_token")
        );
        // A full token URL in the same layer wins; a flag beats the environment.
        let env = MapEnv(vec![
            ("SCM_AUTH_BASE_URL", "https://auth.eu.example"),
            ("SCM_TOKEN_URL", "https://tok.example/custom/token"),
        ]);
        let s = resolve_scm(&ScmOverrides::default(), &env, none()).unwrap();
        assert_eq!(
            s.token_url.as_deref(),
            Some("https://tok.example/custom/token")
        );
        let flags = ScmOverrides {
            auth_base_url: Some("http://127.0.0.1:9443".into()),
            ..Default::default()
        };
        let s = resolve_scm(&flags, &env, none()).unwrap();
        assert_eq!(
            s.token_url.as_deref(),
            Some("http://127.0.0.1:9443/oauth2/access_token")
        );
        let bad = ScmOverrides {
            auth_base_url: Some("auth.example".into()),
            ..Default::default()
        };
        let e = resolve_scm(&bad, &MapEnv(vec![]), none()).unwrap_err();
        assert!(e.to_string().contains("token URL"), "{e}");
    }

    #[test]
    fn default_folder_from_env_then_profile() {
        let p = || profile("default_profile='t'\n[profiles.t]\nfolder='Remote Networks'\n");
        let s = resolve_scm(&ScmOverrides::default(), &MapEnv(vec![]), p()).unwrap();
        assert_eq!(s.folder.as_deref(), Some("Remote Networks"));
        assert_eq!(s.default_folder(), "Remote Networks");
        let env = MapEnv(vec![("SCM_FOLDER", "Mobile Users")]);
        let s = resolve_scm(&ScmOverrides::default(), &env, p()).unwrap();
        assert_eq!(s.default_folder(), "Mobile Users");
        let s = resolve_scm(
            &ScmOverrides::default(),
            &MapEnv(vec![]),
            Profile::default(),
        )
        .unwrap();
        assert_eq!((s.folder.as_deref(), s.default_folder()), (None, "Shared"));
    }

    #[test]
    fn missing_credentials_reported_by_validation() {
        let s = resolve_scm(
            &ScmOverrides::default(),
            &MapEnv(vec![]),
            Profile::default(),
        )
        .unwrap();
        assert_eq!(s.family, Family::SseV1);
        assert_eq!(
            s.credentials.validate().unwrap_err().to_string(),
            "clientId is required"
        );
    }

    #[test]
    fn bad_family_names_the_source() {
        let env = MapEnv(vec![("SCM_FAMILY", "v9")]);
        let e = resolve_scm(&ScmOverrides::default(), &env, Profile::default()).unwrap_err();
        assert!(e.to_string().contains("SCM_FAMILY"), "{e}");
    }

    #[test]
    fn debug_hides_secret() {
        let env = MapEnv(vec![("SCM_CLIENT_SECRET", "very-secret-value")]);
        let s = resolve_scm(&ScmOverrides::default(), &env, Profile::default()).unwrap();
        assert!(!format!("{s:?}").contains("very-secret-value"));
    }
}
