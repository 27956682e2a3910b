//! `GovClient`: one profile's lookups (Consulta CPF v1/v2, CPF Light, Consulta CNPJ v2) with tokens, retries,
//! quota and pacing, returning normalized records.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao_core::api::Provider;
use balcao_core::profile::{CpfApi, Profile, QuotaStatus, TokenStatus};
use balcao_core::record::{ApiKind, CallMeta, CnpjView, Lookup, Record};
use balcao_core::{AppError, Cnpj, Cpf, Document, ErrorCode};
use reqwest::Url;
use reqwest::header::ACCEPT;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::credentials::{CredentialBinding, CredentialScope, Credentials};
use crate::endpoints::{Endpoints, cnpj_api_kind, cpf_api_kind};
use crate::failure::{CallFailure, classify, parse_error, rate_limited_for, status_error, transport_error};
use crate::pacing::Pacer;
use crate::parse::{ParseError, light_entries, parse_cnpj, parse_serpro_cpf};
use crate::quota::QuotaTracker;
use crate::retry::{AttemptFailure, Idempotency, RetryPolicy, retry_after};
use crate::token::{Bearer, TokenManager};
use crate::transport::{build_http, check_base_url};

/// At most this many CPFs go in one CPF Light call.
pub const CPF_LIGHT_BATCH: usize = 50;

/// The clerk's CPF on every Conecta API call.
const CPF_USUARIO: &str = "x-cpf-usuario";

/// The client of one profile. Cheap to clone (shared state); `Debug` shows no credential.
#[derive(Clone)]
pub struct GovClient {
    inner: Arc<Inner>,
}

struct Inner {
    profile: Profile,
    endpoints: Endpoints,
    http: reqwest::Client,
    tokens: TokenManager,
    retry: RetryPolicy,
    quota: Arc<QuotaTracker>,
    pacer: Option<Pacer>,
}

impl fmt::Debug for GovClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.inner.profile;
        f.debug_struct("GovClient")
            .field("profile", &p.id)
            .field("provider", &p.provider)
            .field("environment", &p.environment)
            .field("base_url", &p.base_url)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// One request: GET (no body) or POST with a JSON body.
struct Req {
    url: Url,
    json: Option<Value>,
    idempotency: Idempotency,
}

/// The final answer of a call (after retries and the token refresh).
struct Answer {
    status: u16,
    body: String,
    meta: CallMeta,
    retry_after: Option<Duration>,
    /// The body exceeded [`MAX_BODY`] and was not read.
    oversized: bool,
}

/// One HTTP exchange as received.
struct Raw {
    status: u16,
    activity_id: Option<String>,
    retry_after: Option<Duration>,
    body: String,
    oversized: bool,
}

/// The largest answer read (CPF Light with 50 records is well under 100 KiB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now).format(&Rfc3339).unwrap_or_default()
}

fn not_contracted(what: &str) -> CallFailure {
    CallFailure::before_call(AppError::new(
        ErrorCode::Forbidden,
        format!("{what} não está contratada neste perfil. Escolha outro perfil ou peça à TI para incluí-la."),
    ))
}

/// The error of an answer that is not a record.
fn answer_error(api: ApiKind, a: &Answer) -> AppError {
    if a.oversized {
        return AppError::new(
            ErrorCode::Upstream,
            format!(
                "{} ({}: resposta maior que {} MiB, descartada).",
                ErrorCode::Upstream.default_message(),
                api.label(),
                MAX_BODY / (1024 * 1024)
            ),
        );
    }
    match (a.status, a.retry_after) {
        (429, _) if gateway_quota_exhausted(&a.body) => AppError::new(
            ErrorCode::QuotaExhausted,
            format!("O gateway informou que a cota de consultas de {} deste perfil acabou. Avise a TI.", api.label()),
        ),
        (429, Some(after)) => rate_limited_for(after.as_secs().max(1)),
        (status, _) => status_error(api, status, &a.body),
    }
}

/// A 429 that says the quota is used up (waiting will not help, so it is not retried).
fn gateway_quota_exhausted(body: &str) -> bool {
    let lower = body.to_lowercase();
    lower.contains("cota") || lower.contains("quota")
}

/// Decodes a body: UTF-8 as the gateways declare, Latin-1 when it is not valid UTF-8.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The error of a CPF Light entry that carries a `mensagem` instead of data.
fn light_message_error(msg: &str) -> AppError {
    let lower = msg.to_lowercase();
    let said = format!(" O serviço informou: «{msg}».");
    if lower.contains("menor") {
        AppError::new(ErrorCode::MinorDataBlocked, format!("{}{said}", ErrorCode::MinorDataBlocked.default_message()))
    } else if lower.contains("inválid") || lower.contains("invalid") {
        AppError::new(ErrorCode::InvalidDocument, format!("O serviço recusou o CPF como inválido.{said}"))
    } else {
        AppError::new(ErrorCode::NotFound, format!("{}{said}", ErrorCode::NotFound.default_message()))
    }
}

impl GovClient {
    /// A client for `profile` (validated: HTTPS or loopback URL, paths, Conecta clerk CPF, extra CA file).
    pub fn new(profile: Profile, credentials: Credentials) -> Result<Self, AppError> {
        profile.validate()?;
        let base = check_base_url(&profile)?;
        let http = build_http(&profile, &base)?;
        let endpoints = Endpoints::new(&profile, &base);
        let tokens = match endpoints.token()? {
            Some(url) => {
                let binding = CredentialBinding::for_profile(&profile, CredentialScope::AllApis)?;
                TokenManager::issued(url, binding, credentials, profile.provider)?
            }
            None => TokenManager::fixed_trial(),
        };
        let quota = Arc::new(QuotaTracker::new(profile.quota_limit, profile.quota_warn_percent()));
        let pacer = profile.network.rate_limit_rps.and_then(Pacer::new);
        let retry = RetryPolicy::new(&profile.network);
        Ok(Self { inner: Arc::new(Inner { profile, endpoints, http, tokens, retry, quota, pacer }) })
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The access token's state (for the status bar): `None` until the first token is issued.
    pub fn token_status(&self) -> Option<TokenStatus> {
        self.inner.tokens.status()
    }

    /// How many token requests this client has sent (diagnostics).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests()
    }

    /// The quota counters: seed them from the history and register the billable-call callback here.
    pub fn quota(&self) -> &Arc<QuotaTracker> {
        &self.inner.quota
    }

    /// Quota use of one API (e.g. `ApiKind` of the last `CallMeta`), with the near-limit warning flag.
    pub fn quota_status(&self, api: ApiKind) -> QuotaStatus {
        self.inner.quota.status(api)
    }

    /// The API a lookup of this kind of document goes to, if contracted.
    pub fn api_for(&self, doc: &Document) -> Option<ApiKind> {
        match doc {
            Document::Cpf(_) => self.inner.profile.cpf_api.map(cpf_api_kind),
            Document::Cnpj(_) => {
                (!self.inner.profile.cnpj_views.is_empty()).then(|| cnpj_api_kind(self.inner.profile.provider))
            }
        }
    }

    /// Looks up a CPF or a CNPJ (in `view`, or the widest contracted view).
    pub async fn lookup(&self, doc: &Document, view: Option<CnpjView>) -> Result<Lookup, CallFailure> {
        match doc {
            Document::Cpf(cpf) => self.lookup_cpf(cpf).await,
            Document::Cnpj(cnpj) => {
                let view = view
                    .or_else(|| self.inner.profile.default_view())
                    .ok_or_else(|| not_contracted("A Consulta CNPJ"))?;
                self.lookup_cnpj(cnpj, view).await
            }
        }
    }

    fn cpf_api(&self) -> Result<CpfApi, CallFailure> {
        self.inner.profile.cpf_api.ok_or_else(|| not_contracted("A consulta de CPF"))
    }

    /// Looks up one CPF through the profile's CPF API (CPF Light: a batch of one).
    pub async fn lookup_cpf(&self, cpf: &Cpf) -> Result<Lookup, CallFailure> {
        let api = self.cpf_api()?;
        if api == CpfApi::ConectaLight {
            let mut results = self.light_batch(std::slice::from_ref(cpf)).await;
            return results.pop().unwrap_or_else(|| Err(AppError::from(ErrorCode::Internal).into()));
        }
        let kind = cpf_api_kind(api);
        let url = self.inner.endpoints.cpf(cpf.as_str()).ok_or_else(|| not_contracted("A consulta de CPF"))??;
        let answer = self.send(kind, Req { url, json: None, idempotency: Idempotency::Idempotent }).await?;
        Self::single(kind, answer, |body| parse_serpro_cpf(cpf, body).map(Record::Cpf))
    }

    /// Looks up one CNPJ in one Consulta CNPJ v2 view (refused before calling when the view is not contracted).
    pub async fn lookup_cnpj(&self, cnpj: &Cnpj, view: CnpjView) -> Result<Lookup, CallFailure> {
        if !self.inner.profile.has_view(view) {
            return Err(not_contracted(&format!("A visão «{}» da Consulta CNPJ", view.as_str())));
        }
        let kind = cnpj_api_kind(self.inner.profile.provider);
        let url = self.inner.endpoints.cnpj(view, cnpj.as_str())?;
        let answer = self.send(kind, Req { url, json: None, idempotency: Idempotency::Idempotent }).await?;
        Self::single(kind, answer, |body| parse_cnpj(cnpj, view, body).map(Record::Cnpj))
    }

    /// Looks up many CPFs, results in input order. CPF Light: batches of up to 50 per call; the other APIs: one
    /// call per CPF. Calls run with at most `network.maxConcurrency` in flight.
    pub async fn lookup_cpfs(&self, cpfs: &[Cpf]) -> Vec<Result<Lookup, CallFailure>> {
        let api = match self.cpf_api() {
            Ok(api) => api,
            Err(f) => return cpfs.iter().map(|_| Err(f.clone())).collect(),
        };
        let light = api == CpfApi::ConectaLight;
        let indices: Vec<usize> = (0..cpfs.len()).collect();
        let groups: Vec<Vec<usize>> = if light {
            indices.chunks(CPF_LIGHT_BATCH).map(<[usize]>::to_vec).collect()
        } else {
            indices.chunks(1).map(<[usize]>::to_vec).collect()
        };
        let permits = Arc::new(Semaphore::new(self.inner.profile.network.max_concurrency.max(1) as usize));
        let mut tasks = JoinSet::new();
        for group in groups {
            let client = self.clone();
            let permits = permits.clone();
            let items: Vec<Cpf> = group.iter().map(|&i| cpfs[i]).collect();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let results =
                    if light { client.light_batch(&items).await } else { vec![client.lookup_cpf(&items[0]).await] };
                group.into_iter().zip(results).collect::<Vec<_>>()
            });
        }
        let mut out: Vec<Option<Result<Lookup, CallFailure>>> = (0..cpfs.len()).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(pairs) => pairs.into_iter().for_each(|(i, r)| out[i] = Some(r)),
                Err(e) => tracing::error!(error = %e, "lookup task failed"),
            }
        }
        out.into_iter().map(|r| r.unwrap_or_else(|| Err(AppError::from(ErrorCode::Internal).into()))).collect()
    }

    /// One CPF Light call for up to 50 CPFs (duplicates sent once); one result per input, in order.
    async fn light_batch(&self, cpfs: &[Cpf]) -> Vec<Result<Lookup, CallFailure>> {
        let all = |f: CallFailure| cpfs.iter().map(|_| Err(f.clone())).collect::<Vec<_>>();
        let api = ApiKind::ConectaCpfLight;
        let mut unique: Vec<&str> = Vec::with_capacity(cpfs.len());
        for c in cpfs {
            if !unique.contains(&c.as_str()) {
                unique.push(c.as_str());
            }
        }
        let url = match self.inner.endpoints.cpf("") {
            Some(Ok(url)) => url,
            Some(Err(e)) => return all(e.into()),
            None => return all(not_contracted("A consulta de CPF")),
        };
        let json = serde_json::json!({ "listaCpf": unique });
        let answer = match self.send(api, Req { url, json: Some(json), idempotency: Idempotency::BilledPost }).await {
            Ok(a) => a,
            Err(f) => return all(f),
        };
        let failed = |error: AppError| CallFailure { error, meta: Some(answer.meta.clone()) };
        if answer.oversized || !matches!(answer.status, 200 | 206) {
            return all(failed(answer_error(api, &answer)));
        }
        let entries = match light_entries(&answer.body) {
            Ok(e) => e,
            Err(e) => return all(failed(parse_error(api, &e))),
        };
        let single = unique.len() == 1;
        let consulted_at = now_rfc3339();
        cpfs.iter()
            .map(|cpf| {
                let entry = entries
                    .iter()
                    .find(|e| e.cpf.as_deref() == Some(cpf.as_str()))
                    .or_else(|| (single && entries.len() == 1 && entries[0].cpf.is_none()).then(|| &entries[0]));
                let Some(entry) = entry else {
                    return Err(failed(parse_error(api, &ParseError::Shape("a resposta não trouxe este CPF".into()))));
                };
                if let Some(msg) = entry.message() {
                    return Err(failed(light_message_error(&msg)));
                }
                let record = entry.record(cpf).map_err(|e| failed(parse_error(api, &e)))?;
                Ok(Lookup {
                    record: Record::Cpf(record),
                    meta: answer.meta.clone(),
                    raw: if single { answer.body.clone() } else { entry.value.to_string() },
                    consulted_at: consulted_at.clone(),
                    partial: answer.status == 206,
                })
            })
            .collect()
    }

    /// A single-record answer: the record (200/206) or the coded failure, with the call's meta either way.
    fn single(
        api: ApiKind,
        answer: Answer,
        parse: impl FnOnce(&str) -> Result<Record, ParseError>,
    ) -> Result<Lookup, CallFailure> {
        if answer.oversized || !matches!(answer.status, 200 | 206) {
            return Err(CallFailure { error: answer_error(api, &answer), meta: Some(answer.meta) });
        }
        match parse(&answer.body) {
            Ok(record) => Ok(Lookup {
                record,
                partial: answer.status == 206,
                meta: answer.meta,
                raw: answer.body,
                consulted_at: now_rfc3339(),
            }),
            Err(e) => Err(CallFailure { error: parse_error(api, &e), meta: Some(answer.meta) }),
        }
    }

    /// Sends one logical call: quota reserved first, a token (refreshed once on 401), retries per the policy.
    async fn send(&self, api: ApiKind, req: Req) -> Result<Answer, CallFailure> {
        let inner = &*self.inner;
        let reservation = inner.quota.reserve(api)?;
        let mut rejected = None;
        let mut refreshed = false;
        let mut retries = 0;
        loop {
            let bearer = inner.tokens.bearer(&inner.http, &inner.retry, rejected).await?;
            if let Some(pacer) = &inner.pacer {
                pacer.wait().await;
            }
            let started = Instant::now();
            let raw = match self.attempt(&req, &bearer).await {
                Ok(raw) => raw,
                Err(e) => {
                    let failure = classify(&e);
                    tracing::debug!(api = api.as_str(), ?failure, retries, "gov call got no answer");
                    if failure.retryable(req.idempotency) && retries < inner.retry.max_retries {
                        tokio::time::sleep(inner.retry.backoff(retries)).await;
                        retries += 1;
                        continue;
                    }
                    return Err(CallFailure::before_call(transport_error(failure, &e)));
                }
            };
            let status = raw.status;
            let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
            tracing::debug!(
                api = api.as_str(),
                status,
                latency_ms,
                activity_id = raw.activity_id.as_deref(),
                retries,
                "gov call answered"
            );
            if status == 401 && !refreshed && !bearer.fixed {
                refreshed = true;
                rejected = Some(bearer.generation);
                continue;
            }
            let quota_gone = status == 429 && gateway_quota_exhausted(&raw.body);
            if retries < inner.retry.max_retries
                && !quota_gone
                && AttemptFailure::Status(status).retryable(req.idempotency)
            {
                let wait = match raw.retry_after {
                    Some(asked) => inner.retry.honour_retry_after(asked).ok(),
                    None => Some(inner.retry.backoff(retries)),
                };
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                    retries += 1;
                    continue;
                }
            }
            let meta = CallMeta {
                api,
                http_status: status,
                latency_ms,
                activity_id: raw.activity_id,
                billable: CallMeta::billable_status(status),
            };
            reservation.finish(&meta);
            return Ok(Answer { status, body: raw.body, meta, retry_after: raw.retry_after, oversized: raw.oversized });
        }
    }

    /// One HTTP exchange: status, `activityid`, `Retry-After` and the body (at most [`MAX_BODY`] bytes).
    async fn attempt(&self, req: &Req, bearer: &Bearer) -> Result<Raw, reqwest::Error> {
        let inner = &*self.inner;
        let mut builder = match &req.json {
            None => inner.http.get(req.url.clone()),
            Some(json) => inner.http.post(req.url.clone()).json(json),
        };
        builder = builder.bearer_auth(bearer.value.expose()).header(ACCEPT, "application/json");
        if inner.profile.provider == Provider::Conecta
            && let Some(clerk) = &inner.profile.clerk_cpf
        {
            builder = builder.header(CPF_USUARIO, clerk.as_str());
        }
        let mut resp = builder.send().await?;
        let status = resp.status().as_u16();
        let activity_id = resp
            .headers()
            .get("activityid")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().chars().take(128).collect::<String>())
            .filter(|s| !s.is_empty());
        let retry_after = retry_after(resp.headers());
        let announced = resp.content_length().and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(announced.min(MAX_BODY));
        let mut oversized = announced > MAX_BODY;
        while !oversized && let Some(chunk) = resp.chunk().await? {
            if bytes.len() + chunk.len() > MAX_BODY {
                oversized = true;
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        if oversized {
            bytes.clear();
        }
        Ok(Raw { status, activity_id, retry_after, body: decode(&bytes), oversized })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_decode_as_utf8_or_latin1() {
        assert_eq!(decode("São Paulo".as_bytes()), "São Paulo");
        assert_eq!(decode(b"S\xe3o Paulo"), "São Paulo");
        assert!(gateway_quota_exhausted(r#"{"mensagem":"Cota de chamadas da API x esgotada"}"#));
        assert!(!gateway_quota_exhausted(r#"{"mensagem":"Limite de requisições por segundo excedido"}"#));
    }

    #[test]
    fn light_messages_map_to_codes() {
        assert_eq!(light_message_error("CPF não encontrado").code, ErrorCode::NotFound);
        assert_eq!(light_message_error("Dados de menor de idade").code, ErrorCode::MinorDataBlocked);
        assert_eq!(light_message_error("CPF inválido").code, ErrorCode::InvalidDocument);
    }

    #[test]
    fn debug_shows_no_secret_and_http_to_remote_hosts_is_refused() {
        let c =
            GovClient::new(Profile::demo("http://127.0.0.1:9"), Credentials::new("id", "top-secret-value")).unwrap();
        let dbg = format!("{c:?}");
        assert!(dbg.contains("demonstracao") && !dbg.contains("top-secret-value"), "{dbg}");
        let e = GovClient::new(Profile::demo("http://gateway.example"), Credentials::demo()).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
    }
}
