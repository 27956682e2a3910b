//! The OAuth2 client-credentials token of a profile: fetched once (single-flight), cached in memory until shortly
//! before it expires, replaced once when the API answers 401. Never logged, never persisted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use balcao_core::api::Provider;
use balcao_core::profile::{TokenSource, TokenStatus};
use balcao_core::{AppError, ErrorCode, Sensitive};
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::answer::MAX_BODY;
use crate::credentials::{CredentialBinding, Credentials, origin_of};
use crate::failure::{classify, transport_error};
use crate::lifetime::{as_i64, lifetime, renew_after};
use crate::retry::{AttemptFailure, Idempotency, RetryPolicy};

/// The fixed public bearer of the SERPRO trial ("token trial público e documentado na página de demonstração").
pub const SERPRO_TRIAL_BEARER: &str = "06aef429-a981-3ec5-a1f8-71d38d86481e";

/// A bearer token ready for one call, with the generation that identifies it for the 401 refresh.
#[derive(Clone)]
pub(crate) struct Bearer {
    pub value: Sensitive<String>,
    pub generation: u64,
    /// A fixed bearer cannot be refreshed.
    pub fixed: bool,
}

enum Source {
    Fixed(Sensitive<String>),
    Issued(Box<Issuer>),
}

/// Tokens from `url`, which `binding` (checked against the credentials at construction and before every request)
/// says the credentials may be sent to.
struct Issuer {
    url: Url,
    binding: CredentialBinding,
    credentials: Credentials,
    provider: Provider,
}

struct Cached {
    value: Sensitive<String>,
    generation: u64,
    refresh_at: Instant,
}

/// One profile's token cache.
pub(crate) struct TokenManager {
    source: Source,
    cache: tokio::sync::Mutex<Option<Cached>>,
    status: Mutex<Option<TokenStatus>>,
    generations: AtomicU64,
    requests: AtomicU64,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Fixed(_) => "fixed",
            Source::Issued(_) => "issued",
        };
        f.debug_struct("TokenManager").field("source", &source).finish_non_exhaustive()
    }
}

fn token_error(status: u16) -> AppError {
    match status {
        400 | 401 | 403 => AppError::new(
            ErrorCode::Unauthorized,
            format!(
                "{} (o gateway recusou as credenciais ao emitir o token de acesso: HTTP {status})",
                ErrorCode::Unauthorized.default_message()
            ),
        ),
        429 => AppError::from(ErrorCode::RateLimited),
        504 => AppError::new(
            ErrorCode::Timeout,
            format!("{} (HTTP 504 ao pedir o token de acesso)", ErrorCode::Timeout.default_message()),
        ),
        _ => AppError::new(
            ErrorCode::Upstream,
            format!("{} (HTTP {status} ao pedir o token de acesso)", ErrorCode::Upstream.default_message()),
        ),
    }
}

fn token_body_too_large() -> AppError {
    AppError::new(
        ErrorCode::Upstream,
        format!(
            "{} (a resposta do pedido de token é maior que {} MiB e foi descartada)",
            ErrorCode::Upstream.default_message(),
            MAX_BODY / (1024 * 1024)
        ),
    )
}

/// Whether `credentials` may be posted to `url`: checked against the origin of the URL the request really goes
/// to (with the profile id, scope and token path of `binding`), not only against what the profile says.
fn check_destination(url: &Url, binding: &CredentialBinding, credentials: &Credentials) -> Result<(), AppError> {
    credentials.may_go_to(&CredentialBinding { origin: origin_of(url), ..binding.clone() })
}

/// The body of a token answer, at most [`MAX_BODY`] bytes: `None` (and the connection dropped) when it is longer,
/// announced or not, so an endless answer is never buffered.
async fn capped_body(mut resp: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len().saturating_add(chunk.len()) > MAX_BODY {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn bad_token_body() -> AppError {
    AppError::new(
        ErrorCode::Upstream,
        format!("{} (a resposta do pedido de token não trouxe um access_token)", ErrorCode::Upstream.default_message()),
    )
}

impl TokenManager {
    /// A manager that asks `url` for tokens with `credentials`, refused (pt-BR, nothing sent) unless the
    /// credentials may go where `binding` says and `url` is at the binding's origin.
    pub(crate) fn issued(
        url: Url,
        binding: CredentialBinding,
        credentials: Credentials,
        provider: Provider,
    ) -> Result<Self, AppError> {
        check_destination(&url, &binding, &credentials)?;
        Ok(Self::with_source(Source::Issued(Box::new(Issuer { url, binding, credentials, provider }))))
    }

    /// A manager that always uses the SERPRO trial's public bearer (no token call).
    pub(crate) fn fixed_trial() -> Self {
        let m = Self::with_source(Source::Fixed(Sensitive::new(SERPRO_TRIAL_BEARER.to_owned())));
        *m.status.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(TokenStatus { source: TokenSource::FixedTrial, valid_until: None });
        m
    }

    fn with_source(source: Source) -> Self {
        Self {
            source,
            cache: tokio::sync::Mutex::new(None),
            status: Mutex::new(None),
            generations: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// The token's state for the status bar (never the token).
    pub(crate) fn status(&self) -> Option<TokenStatus> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets the cached token, so the next [`TokenManager::bearer`] asks the gateway again (what "Testar" does
    /// to prove the credential now, not an hour ago).
    pub(crate) async fn forget(&self) {
        *self.cache.lock().await = None;
    }

    /// Whether this manager asks a token endpoint (false: the SERPRO trial's fixed public bearer).
    pub(crate) fn issues(&self) -> bool {
        matches!(self.source, Source::Issued(_))
    }

    /// How many token requests this manager has sent.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A usable bearer. `rejected` is the generation an API just refused with 401: a cached token of that
    /// generation is replaced, a newer one (another call already refreshed) is reused. Concurrent callers on a
    /// cold cache wait for the one request in flight.
    pub(crate) async fn bearer(
        &self,
        http: &reqwest::Client,
        retry: &RetryPolicy,
        rejected: Option<u64>,
    ) -> Result<Bearer, AppError> {
        let (url, binding, credentials, provider) = match &self.source {
            Source::Fixed(value) => return Ok(Bearer { value: value.clone(), generation: 0, fixed: true }),
            Source::Issued(i) => (&i.url, &i.binding, &i.credentials, i.provider),
        };
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && Instant::now() < c.refresh_at
            && rejected != Some(c.generation)
        {
            return Ok(Bearer { value: c.value.clone(), generation: c.generation, fixed: false });
        }
        *cache = None;
        check_destination(url, binding, credentials)?;
        let (value, life) = self.request(http, retry, url, credentials, provider).await?;
        let renew = renew_after(life);
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let valid_until = OffsetDateTime::now_utc().checked_add(renew.try_into().unwrap_or(time::Duration::ZERO));
        let valid_until = valid_until.and_then(|t| t.format(&Rfc3339).ok());
        *self.status.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(TokenStatus { source: TokenSource::Issued, valid_until });
        tracing::debug!(provider = ?provider, renew_in_secs = renew.as_secs(), generation, "access token issued");
        let now = Instant::now();
        *cache = Some(Cached { value: value.clone(), generation, refresh_at: now.checked_add(renew).unwrap_or(now) });
        Ok(Bearer { value, generation, fixed: false })
    }

    async fn request(
        &self,
        http: &reqwest::Client,
        retry: &RetryPolicy,
        url: &Url,
        credentials: &Credentials,
        provider: Provider,
    ) -> Result<(Sensitive<String>, Duration), AppError> {
        let mut retries = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = http
                .post(url.clone())
                .basic_auth(&credentials.client_id, Some(credentials.client_secret.expose()))
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials")
                .send()
                .await;
            let (failure, after, error) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let after = crate::retry::retry_after(resp.headers());
                    match capped_body(resp).await {
                        Ok(None) => return Err(token_body_too_large()),
                        Ok(Some(body)) if status == 200 => return Self::read_token(provider, &body),
                        Ok(Some(_)) => (AttemptFailure::Status(status), after, token_error(status)),
                        Err(e) => {
                            let f = classify(&e);
                            (f, None, transport_error(f, &e))
                        }
                    }
                }
                Err(e) => {
                    let f = classify(&e);
                    (f, None, transport_error(f, &e))
                }
            };
            if retries >= retry.max_retries || !failure.retryable(Idempotency::Idempotent) {
                tracing::warn!(code = ?error.code, ?failure, "token request failed");
                return Err(error);
            }
            let wait = match after.map(|a| retry.honour_retry_after(a)) {
                Some(Ok(wait)) => wait,
                Some(Err(_)) => return Err(error),
                None => retry.backoff(retries),
            };
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }

    fn read_token(provider: Provider, body: &[u8]) -> Result<(Sensitive<String>, Duration), AppError> {
        let v: Value = serde_json::from_slice(body).map_err(|_| bad_token_body())?;
        let token = v.get("access_token").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
        let token = token.ok_or_else(bad_token_body)?.to_owned();
        let life = lifetime(provider, &token, as_i64(v.get("expires_in")));
        Ok((Sensitive::new(token), life))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_expires_in_bodies_are_capped() {
        use crate::lifetime::MAX_LIFETIME;
        // `1e20` in JSON is a float: read saturating to i64::MAX.
        let (_, l) = TokenManager::read_token(Provider::Serpro, br#"{"access_token":"x","expires_in":1e20}"#).unwrap();
        assert_eq!(l, MAX_LIFETIME);
        let (_, l) =
            TokenManager::read_token(Provider::Serpro, br#"{"access_token":"x","expires_in":-1e300}"#).unwrap();
        assert_eq!(l, Duration::ZERO);
    }

    #[test]
    fn token_bodies() {
        let (t, l) = TokenManager::read_token(
            Provider::Serpro,
            br#"{"scope":"am_application_scope default","token_type":"Bearer","expires_in":3295,"access_token":"c66a7def"}"#,
        )
        .unwrap();
        assert_eq!(t.expose(), "c66a7def");
        assert_eq!(l, Duration::from_secs(3295));
        let (_, l) = TokenManager::read_token(Provider::Serpro, br#"{"access_token":"x","expires_in":"120"}"#).unwrap();
        assert_eq!(l, Duration::from_secs(120));
        for bad in [&b"<html>"[..], br#"{"token":"x"}"#, br#"{"access_token":""}"#] {
            assert_eq!(TokenManager::read_token(Provider::Serpro, bad).unwrap_err().code, ErrorCode::Upstream);
        }
        assert_eq!(token_error(401).code, ErrorCode::Unauthorized);
        assert_eq!(token_error(400).code, ErrorCode::Unauthorized);
        assert_eq!(token_error(503).code, ErrorCode::Upstream);
    }
}
