//! OAuth2 client-credentials token manager: one cached token per credential, one fetch in
//! flight however many workers ask, refreshed ahead of expiry, dropped on a 401.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use panops_scm::ScmError;
use panops_scm::TokenResponse;
use secrecy::{ExposeSecret, SecretString};

use super::clock::Clock;
use super::credentials::ScmCredentials;

/// Lifetime assumed when the token service does not say (SCM tokens live 15 minutes).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(panops_scm::auth::TOKEN_LIFETIME_SECS);
/// Longest lifetime believed from a token service's `expires_in`.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// When a token of `lifetime` fetched at `now` is refreshed: `refresh_before` ahead of its
/// expiry, or at half its life when it is shorter than that. Saturating, because the
/// lifetime comes from the network.
fn refresh_at(now: Duration, lifetime: Duration, refresh_before: Duration) -> Duration {
    let lifetime = lifetime.min(MAX_LIFETIME);
    let margin = if lifetime > refresh_before {
        refresh_before
    } else {
        lifetime / 2
    };
    now.saturating_add(lifetime.saturating_sub(margin))
}

/// Largest token-service answer read (a real one is about 2 KB).
const MAX_TOKEN_BODY: usize = 1024 * 1024;

/// Longest token-service body quoted in an error.
const MAX_ERROR_BODY: usize = 1024;

/// A bearer token handed to one request. `Debug` never shows it.
#[derive(Clone)]
pub struct AccessToken {
    value: SecretString,
    generation: u64,
}

impl AccessToken {
    /// The token text, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    /// Which fetch produced this token (1 for the first).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"***")
            .field("generation", &self.generation)
            .finish()
    }
}

struct Cached {
    token: AccessToken,
    refresh_at: Duration,
}

/// Fetches and caches the access token of one credential.
///
/// Callers share it through an `Arc`; [`TokenManager::token`] is cheap while the cached token
/// is fresh and single-flight when it is not.
pub struct TokenManager {
    http: reqwest::Client,
    token_url: String,
    credentials: ScmCredentials,
    clock: Arc<dyn Clock>,
    refresh_before: Duration,
    cached: Mutex<Option<Cached>>,
    gate: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("token_url", &self.token_url)
            .field("credentials", &self.credentials)
            .field("refresh_before", &self.refresh_before)
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for one credential against one token URL.
    pub fn new(
        http: reqwest::Client,
        token_url: impl Into<String>,
        credentials: ScmCredentials,
        clock: Arc<dyn Clock>,
        refresh_before: Duration,
    ) -> Self {
        TokenManager {
            http,
            token_url: token_url.into(),
            credentials,
            clock,
            refresh_before,
            cached: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// The credentials this manager fetches tokens for.
    pub fn credentials(&self) -> &ScmCredentials {
        &self.credentials
    }

    /// How many token requests this manager has sent.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A token valid for at least the refresh margin, fetching one if needed.
    pub async fn token(&self) -> Result<AccessToken, ScmError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // Single flight: the first caller fetches, the others wait here and then find the
        // token it stored.
        let _gate = self.gate.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        self.credentials.validate()?;
        let (value, lifetime) = self.fetch().await?;
        let now = self.clock.now();
        let generation = self.fetches.load(Ordering::SeqCst);
        let token = AccessToken { value, generation };
        let mut cached = self.lock_cached();
        *cached = Some(Cached {
            token: token.clone(),
            refresh_at: refresh_at(now, lifetime, self.refresh_before),
        });
        Ok(token)
    }

    /// Forgets `token` after the API rejected it with 401, unless a newer one already
    /// replaced it (so 64 workers hitting the same 401 cause one re-fetch).
    pub fn invalidate(&self, token: &AccessToken) {
        let mut cached = self.lock_cached();
        if cached
            .as_ref()
            .is_some_and(|c| c.token.generation == token.generation)
        {
            *cached = None;
        }
    }

    fn lock_cached(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // A panic while holding this lock cannot leave the Option half-written.
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self) -> Option<AccessToken> {
        let now = self.clock.now();
        let cached = self.lock_cached();
        cached
            .as_ref()
            .filter(|c| now < c.refresh_at)
            .map(|c| c.token.clone())
    }

    async fn fetch(&self) -> Result<(SecretString, Duration), ScmError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(token_url = %self.token_url, client_id = %self.credentials.client_id,
            tsg_id = %self.credentials.tsg_id, "fetching SCM access token");
        let scope = format!("tsg_id:{}", self.credentials.tsg_id);
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(
                &self.credentials.client_id,
                Some(self.credentials.client_secret.expose_secret()),
            )
            .form(&form)
            .send()
            .await
            .map_err(|e| ScmError::TokenUnavailable {
                source: Some(Box::new(e.without_url())),
            })?;
        let status = response.status().as_u16();
        // A token answer is a few kilobytes; anything past this is not one.
        let body = crate::http::read_body(response, MAX_TOKEN_BODY)
            .await
            .map_err(|e| ScmError::TokenUnavailable {
                source: Some(match e {
                    crate::http::BodyError::Transport(e) => Box::new(e.without_url()),
                    crate::http::BodyError::TooLarge { limit } => {
                        format!("the token service's answer is larger than {limit} bytes").into()
                    }
                }),
            })?;
        let parsed = TokenResponse::decode(status, &body).map_err(|e| match e {
            ScmError::TokenFetchFailed { status, body } => {
                // Never quote the secret back, even if a broken server echoes it.
                let mut text = body;
                let secret = self.credentials.client_secret.expose_secret();
                if !secret.is_empty() {
                    text = text.replace(secret, "***");
                }
                truncate(&mut text, MAX_ERROR_BODY);
                ScmError::TokenFetchFailed { status, body: text }
            }
            other => other,
        })?;
        let lifetime = if parsed.expires_in == 0 {
            DEFAULT_LIFETIME
        } else {
            // A token service claiming years is still asked again within a day.
            Duration::from_secs(parsed.expires_in).min(MAX_LIFETIME)
        };
        let token = parsed.access_token.clone();
        tracing::debug!(expires_in = lifetime.as_secs(), "SCM access token obtained");
        Ok((SecretString::from(token), lifetime))
    }
}

/// Token managers shared by credential: clients built with the same cache and the same
/// credential (client id, secret, TSG, token URL) share one token.
#[derive(Clone, Default)]
pub struct TokenCache {
    managers: Arc<Mutex<HashMap<String, Arc<TokenManager>>>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.managers.lock().map(|m| m.len()).unwrap_or_default();
        f.debug_struct("TokenCache")
            .field("credentials", &n)
            .finish()
    }
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The manager of this credential, created by `make` on first use.
    pub(crate) fn manager_for(
        &self,
        credentials: &ScmCredentials,
        token_url: &str,
        make: impl FnOnce() -> TokenManager,
    ) -> Arc<TokenManager> {
        let key = credentials.cache_key(token_url);
        let mut managers = self
            .managers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        managers
            .entry(key)
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn refresh_time_never_overflows_and_is_before_expiry(
            now in proptest::num::u64::ANY,
            life in proptest::num::u64::ANY,
            before in 0u64..100_000,
        ) {
            let now = Duration::from_millis(now);
            let life = Duration::from_secs(life);
            let at = refresh_at(now, life, Duration::from_secs(before));
            proptest::prop_assert!(at >= now);
            proptest::prop_assert!(at <= now.saturating_add(life.min(MAX_LIFETIME)));
        }
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = AccessToken {
            value: SecretString::from("eyJ.secret.jwt".to_string()),
            generation: 1,
        };
        assert!(!format!("{t:?}").contains("eyJ"));
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        let mut s = "ééééé".to_string();
        truncate(&mut s, 3);
        assert_eq!(s, "é…");
    }
}
