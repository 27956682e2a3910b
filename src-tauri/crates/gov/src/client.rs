//! `GovClient`: one profile's lookups (Consulta CPF v1/v2, CPF Light, Consulta CNPJ v2) with tokens, retries,
//! quota and pacing, returning normalized records.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use balcao_core::api::Provider;
use balcao_core::extra_base::{BaseAnswer, BaseMethod, ExtraBase, Place, TemplateValues, expand, expand_json};
use balcao_core::profile::{CpfApi, Profile, QuotaStatus, TokenStatus};
use balcao_core::record::{ApiKind, CallMeta, CnpjView, Lookup};
use balcao_core::{AppError, Cnpj, Cpf, Document, ErrorCode};
use rand::Rng;
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::answer::{
    Answer, Asked, BaseRead, CallState, Found, MAX_BODY, Reading, read_answer, read_base_answer, transport_retry,
};
use crate::credentials::Credentials;
use crate::endpoints::{Endpoints, cnpj_api_kind, cpf_api_kind};
use crate::failure::{CallFailure, classify, deadline_error, transport_error};
use crate::pacing::Pacer;
use crate::per_api::{CredentialCheck, CredentialSet, TokenSet};
use crate::quota::{CentralAsk, CentralQuota, QuotaTracker};
use crate::retry::{Idempotency, RetryPolicy};
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
    /// The clerk signed in for this call, sent as `x-cpf-usuario` instead of the profile's configured CPF.
    clerk: Option<Cpf>,
    /// The agency-wide quota (#18), asked before a call leaves when the managed policy names an agency store.
    central: Option<Arc<dyn CentralQuota>>,
}

struct Inner {
    profile: Profile,
    endpoints: Endpoints,
    http: reqwest::Client,
    tokens: TokenSet,
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
    /// Headers an extra base declared (already expanded and checked).
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Send the clerk's CPF as `x-cpf-usuario` on a Conecta profile (the profile's own APIs; a base declares it).
    clerk_header: bool,
}

impl Req {
    fn new(url: Url, json: Option<Value>, idempotency: Idempotency) -> Self {
        Req { url, json, idempotency, headers: Vec::new(), clerk_header: true }
    }
}

/// The final reading of a call, with what the answer said about itself.
struct Exchanged<T> {
    read: T,
    status: u16,
    latency_ms: u32,
    activity_id: Option<String>,
}

/// One HTTP exchange as received.
struct Raw {
    status: u16,
    activity_id: Option<String>,
    retry_after: Option<Vec<u8>>,
    body: Vec<u8>,
    oversized: bool,
}

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

impl GovClient {
    /// A client for `profile` (validated: HTTPS or loopback URL, paths, Conecta clerk CPF, extra CA file).
    pub fn new(profile: Profile, credentials: Credentials) -> Result<Self, AppError> {
        Self::with_credentials(profile, CredentialSet::shared(credentials))
    }

    /// [`GovClient::new`] with one credential per API where `credentials` has one (Conecta), the shared one for
    /// the others: each credential has its own token cache, single-flight and 401 renewal.
    pub fn with_credentials(profile: Profile, credentials: CredentialSet) -> Result<Self, AppError> {
        profile.validate()?;
        let base = check_base_url(&profile)?;
        let http = build_http(&profile, &base)?;
        let endpoints = Endpoints::new(&profile, &base);
        let tokens = TokenSet::build(&profile, &endpoints, &credentials)?;
        let quota = Arc::new(QuotaTracker::new(profile.quota_limit, profile.quota_warn_percent()));
        let pacer = profile.network.rate_limit_rps.and_then(Pacer::new);
        let retry = RetryPolicy::new(&profile.network);
        let inner = Arc::new(Inner { profile, endpoints, http, tokens, retry, quota, pacer });
        Ok(Self { inner, clerk: None, central: None })
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The same client (token, quota, pacing shared) naming `clerk` on every Conecta call: the signed-in clerk wins
    /// over the profile's (or the settings') configured CPF.
    pub fn for_clerk(&self, clerk: Cpf) -> GovClient {
        GovClient { inner: self.inner.clone(), clerk: Some(clerk), central: self.central.clone() }
    }

    /// This client with every call first reserving a unit of the agency's quota through `central` (after the
    /// profile's own count, before anything is sent); a refusal there stops the call before it leaves.
    pub fn with_central_quota(mut self, central: Arc<dyn CentralQuota>) -> Self {
        self.central = Some(central);
        self
    }

    /// The CPF sent as `x-cpf-usuario` on Conecta calls: the signed-in clerk's, else the profile's.
    pub fn clerk_cpf(&self) -> Option<Cpf> {
        self.clerk.or(self.inner.profile.clerk_cpf)
    }

    /// The access token's state (for the status bar): `None` until the first token is issued.
    pub fn token_status(&self) -> Option<TokenStatus> {
        self.inner.tokens.status()
    }

    /// How many token requests this client has sent, over all its credentials (diagnostics).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests()
    }

    /// Proves each credential of the profile without billing a lookup: a new token from the gateway for each
    /// (none for the SERPRO trial's public bearer) and, where an API of it has one, its unbilled health check
    /// (Consulta CPF v2's `/status`). What "Testar" in Configurações runs; the first refusal is the error.
    pub async fn check_credentials(&self) -> Result<Vec<CredentialCheck>, AppError> {
        let inner = &*self.inner;
        let mut out = Vec::new();
        for (apis, tokens) in inner.tokens.credentials() {
            tokens.forget().await;
            let total = Duration::from_millis(inner.profile.network.total_timeout_ms.into());
            let deadline = Instant::now().checked_add(total).unwrap_or_else(Instant::now);
            let bearer = tokio::time::timeout_at(deadline, tokens.bearer(&inner.http, &inner.retry, None))
                .await
                .map_err(|_| AppError::from(ErrorCode::Timeout))??;
            let mut health_checked = None;
            if apis.contains(&ApiKind::SerproCpfV2)
                && let Some(url) = inner.endpoints.status()
            {
                let req = Req::new(url?, None, Idempotency::Idempotent);
                let raw = match tokio::time::timeout_at(deadline, self.attempt(&req, &bearer)).await {
                    Err(_) => return Err(deadline_error(&req.url)),
                    Ok(Err(e)) => return Err(transport_error(classify(&e), &e)),
                    Ok(Ok(raw)) => raw,
                };
                check_health(raw.status)?;
                health_checked = Some(ApiKind::SerproCpfV2);
            }
            out.push(CredentialCheck { apis, token_issued: tokens.issues(), health_checked });
        }
        Ok(out)
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
        let req = Req::new(url, None, Idempotency::Idempotent);
        Self::first(self.send(kind, req, &Asked::Cpf(*cpf)).await)
    }

    /// Looks up one CNPJ in one Consulta CNPJ v2 view (refused before calling when the view is not contracted).
    pub async fn lookup_cnpj(&self, cnpj: &Cnpj, view: CnpjView) -> Result<Lookup, CallFailure> {
        if !self.inner.profile.has_view(view) {
            return Err(not_contracted(&format!("A visão «{}» da Consulta CNPJ", view.as_str())));
        }
        let kind = cnpj_api_kind(self.inner.profile.provider);
        let url = self.inner.endpoints.cnpj(view, cnpj.as_str())?;
        let req = Req::new(url, None, Idempotency::Idempotent);
        Self::first(self.send(kind, req, &Asked::Cnpj(*cnpj, view)).await)
    }

    /// The one result of a single-number call.
    fn first(sent: Result<Vec<Result<Lookup, CallFailure>>, CallFailure>) -> Result<Lookup, CallFailure> {
        sent?.into_iter().next().unwrap_or_else(|| Err(AppError::from(ErrorCode::Internal).into()))
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
        let req = Req::new(url, Some(json), Idempotency::BilledPost);
        match self.send(ApiKind::ConectaCpfLight, req, &Asked::CpfLight(cpfs.to_vec())).await {
            Ok(results) => results,
            Err(f) => all(f),
        }
    }

    /// Sends one logical call: quota reserved first, a token (refreshed once on 401), retries as
    /// [`read_answer`] decides, the whole of it (token, attempts, waits; not the pacing queue) within
    /// `total_timeout_ms`. One result per asked number, each with the call's meta.
    async fn send(
        &self,
        api: ApiKind,
        req: Req,
        asked: &Asked,
    ) -> Result<Vec<Result<Lookup, CallFailure>>, CallFailure> {
        let inner = &*self.inner;
        let tokens = inner.tokens.for_api(api).map_err(CallFailure::before_call)?;
        let reservation = inner.quota.reserve(api)?;
        let network = &inner.profile.network;
        let done = self
            .exchange(
                api,
                tokens,
                &req,
                CentralAsk { key: api.as_str(), label: api.label(), limit: inner.quota.limit() },
                |state, answer| read_answer(api, asked, network, state, answer),
            )
            .await?;
        let meta = CallMeta {
            api,
            http_status: done.status,
            latency_ms: done.latency_ms,
            activity_id: done.activity_id,
            billable: CallMeta::billable(api, done.status),
        };
        reservation.finish(&meta);
        let consulted_at = now_rfc3339();
        Ok(done
            .read
            .into_iter()
            .map(|r| match r {
                Ok(Found { record, raw, partial }) => {
                    Ok(Lookup { record, meta: meta.clone(), raw, consulted_at: consulted_at.clone(), partial })
                }
                Err(error) => Err(CallFailure { error, meta: Some(meta.clone()) }),
            })
            .collect())
    }

    /// Asks the extra base `id` about the values given (the clerk's CPF fills `{cpf_usuario}` when not given):
    /// its credential's token, its own quota, the profile's retries, pacing and time limit, as every API.
    pub async fn lookup_base(&self, id: &str, values: &TemplateValues) -> Result<BaseAnswer, CallFailure> {
        let inner = &*self.inner;
        let base = inner.profile.base(id).ok_or_else(|| not_contracted(&format!("A base «{id}»")))?;
        let mut values = values.clone();
        if values.cpf_usuario.is_none() {
            values.cpf_usuario = self.clerk_cpf().map(|c| c.as_str().to_owned());
        }
        let req = self.base_request(base, &values)?;
        let tokens = inner.tokens.for_base(base.id).map_err(CallFailure::before_call)?;
        let reservation = inner.quota.reserve_base(base)?;
        let network = &inner.profile.network;
        let key = format!("extraBase:{}", base.id.as_str());
        let ask = CentralAsk { key: &key, label: &base.name, limit: base.quota };
        let done = self
            .exchange(ApiKind::ExtraBase, tokens, &req, ask, |state, answer| {
                read_base_answer(base, network, state, answer)
            })
            .await?;
        let meta = CallMeta {
            api: ApiKind::ExtraBase,
            http_status: done.status,
            latency_ms: done.latency_ms,
            activity_id: done.activity_id,
            billable: base.billable(done.status),
        };
        reservation.finish(&meta);
        match done.read {
            Ok(BaseRead { found, fields, raw }) => Ok(BaseAnswer {
                base_id: base.id,
                name: base.name.clone(),
                found,
                fields,
                meta,
                consulted_at: now_rfc3339(),
                raw,
            }),
            Err(error) => Err(CallFailure { error, meta: Some(meta) }),
        }
    }

    /// The request of a base: its path under the profile's gateway (or its own origin) with each value one
    /// percent-encoded segment, its query values encoded by the URL writer, its headers free of control characters.
    fn base_request(&self, base: &ExtraBase, values: &TemplateValues) -> Result<Req, AppError> {
        let root = base.origin.as_deref().map_or(self.inner.endpoints.base(), |o| o.trim_end_matches('/'));
        let path = expand(&base.path, values, Place::Path)?;
        let mut url = Url::parse(&format!("{root}{path}")).map_err(|_| {
            AppError::new(
                ErrorCode::Config,
                format!("O caminho da base «{}» não forma uma URL válida. Revise a declaração.", base.name),
            )
        })?;
        if let Some(query) = base.query.as_ref().filter(|q| !q.is_empty()) {
            let mut pairs = url.query_pairs_mut();
            for (name, template) in query {
                pairs.append_pair(name, &expand(template, values, Place::Plain)?);
            }
        }
        let mut headers = Vec::new();
        for (name, template) in base.headers.iter().flatten() {
            let refused = || {
                AppError::new(
                    ErrorCode::InvalidDocument,
                    format!(
                        "O valor do cabeçalho «{name}» da base «{}» não é aceito. Confira o que foi digitado.",
                        base.name
                    ),
                )
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| refused())?;
            let value = HeaderValue::from_str(&expand(template, values, Place::Header)?).map_err(|_| refused())?;
            headers.push((name, value));
        }
        let (json, idempotency) = match base.method {
            BaseMethod::Get => (None, Idempotency::Idempotent),
            BaseMethod::Post => {
                let body = match &base.body {
                    Some(template) => expand_json(template, values)?,
                    None => Value::Object(serde_json::Map::new()),
                };
                (Some(body), Idempotency::BilledPost)
            }
        };
        Ok(Req { url, json, idempotency, headers, clerk_header: false })
    }

    /// One logical exchange: a token (refreshed once on 401), retries as `read` decides, the whole of it (token,
    /// attempts, waits; not the pacing queue) within `total_timeout_ms`.
    async fn exchange<T>(
        &self,
        api: ApiKind,
        tokens: &TokenManager,
        req: &Req,
        ask: CentralAsk<'_>,
        mut read: impl FnMut(&CallState, &Answer<'_>) -> Reading<T>,
    ) -> Result<Exchanged<T>, CallFailure> {
        let inner = &*self.inner;
        // The agency's unit is reserved once a token is in hand, just before the first attempt: a call that never
        // gets a token never spends one.
        let mut central = self.central.as_ref();
        let total = Duration::from_millis(inner.profile.network.total_timeout_ms.into());
        let mut deadline = Instant::now().checked_add(total).unwrap_or_else(Instant::now);
        let mut rejected = None;
        let mut refreshed = false;
        let mut retries = 0;
        loop {
            let bearer =
                match tokio::time::timeout_at(deadline, tokens.bearer(&inner.http, &inner.retry, rejected)).await {
                    Ok(bearer) => bearer?,
                    Err(_) => return Err(CallFailure::before_call(deadline_error(&req.url))),
                };
            if let Some(c) = central.take() {
                c.reserve(&inner.profile, ask).await.map_err(CallFailure::before_call)?;
            }
            if let Some(pacer) = &inner.pacer {
                // Waiting for a pacing slot is queueing, not calling: it does not use up the call's time.
                let queued = Instant::now();
                pacer.wait().await;
                deadline = deadline.checked_add(queued.elapsed()).unwrap_or(deadline);
            }
            let state = |fixed: bool| CallState {
                idempotency: req.idempotency,
                retries_done: retries,
                can_refresh_token: !refreshed && !fixed,
                time_left: deadline.saturating_duration_since(Instant::now()),
                jitter: rand::rng().random(),
                now: OffsetDateTime::now_utc(),
            };
            let started = Instant::now();
            let raw = match tokio::time::timeout_at(deadline, self.attempt(req, &bearer)).await {
                Err(_) => return Err(CallFailure::before_call(deadline_error(&req.url))),
                Ok(Ok(raw)) => raw,
                Ok(Err(e)) => {
                    let failure = classify(&e);
                    tracing::debug!(api = api.as_str(), ?failure, retries, "gov call got no answer");
                    if let Some(wait) = transport_retry(failure, &inner.profile.network, &state(bearer.fixed)) {
                        tokio::time::sleep(wait).await;
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
            let answer =
                Answer { status, retry_after: raw.retry_after.as_deref(), body: &raw.body, oversized: raw.oversized };
            let results = match read(&state(bearer.fixed), &answer) {
                Reading::RefreshToken => {
                    refreshed = true;
                    rejected = Some(bearer.generation);
                    continue;
                }
                Reading::Retry(wait) => {
                    tokio::time::sleep(wait).await;
                    retries += 1;
                    continue;
                }
                Reading::Final(results) => results,
            };
            return Ok(Exchanged { read: results, status, latency_ms, activity_id: raw.activity_id });
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
        for (name, value) in &req.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if req.clerk_header
            && inner.profile.provider == Provider::Conecta
            && let Some(clerk) = self.clerk.as_ref().or(inner.profile.clerk_cpf.as_ref())
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
        let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).map(|v| v.as_bytes().to_vec());
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
        Ok(Raw { status, activity_id, retry_after, body: bytes, oversized })
    }
}

/// The health check's status read: 2xx is healthy; 401/403 say the credential is refused; others are the
/// gateway's trouble (the body is not documented, apis.md §8 A9, so it is not read).
fn check_health(status: u16) -> Result<(), AppError> {
    match status {
        200..=299 => Ok(()),
        401 | 403 => Err(AppError::new(
            ErrorCode::Unauthorized,
            format!(
                "{} (o gateway recusou o token na verificação de saúde da API: HTTP {status})",
                ErrorCode::Unauthorized.default_message()
            ),
        )),
        _ => Err(AppError::new(
            ErrorCode::Upstream,
            format!("{} (HTTP {status} na verificação de saúde da API)", ErrorCode::Upstream.default_message()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
