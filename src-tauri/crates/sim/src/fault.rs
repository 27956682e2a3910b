//! Injectable faults (`Fault`, `FaultKind`, `FaultScope`) and the queue that decides which call each one hits.

use std::collections::VecDeque;

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// One queued fault. JSON (also the shape `POST /__sim/faults` accepts, alone or in an array):
///
/// ```json
/// {"kind": "status", "status": 503, "times": 2, "scope": "api", "path_prefix": "/consulta-cpf-df", "probability": 0.5}
/// ```
///
/// Only `kind` (and the kind's own fields) is required. `times` (default 1) is how many matching calls it hits;
/// `scope` (default `"api"`) is which calls it may hit; `path_prefix` narrows it to paths starting with that text;
/// `probability` (default 1) makes it hit a matching call only with that seeded probability.
/// Latency and expire-tokens faults are "non-terminal": they apply and the call carries on (possibly into another
/// queued fault); every other kind decides the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub scope: FaultScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

fn one() -> u32 {
    1
}

/// What the fault does. Tagged by `kind` in JSON (snake_case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// `{"kind":"latency","ms":1500}`: waits, then the call proceeds normally.
    Latency { ms: u64 },
    /// `{"kind":"status","status":503,"body":"...","retry_after":30}`: answers this status without reaching the API.
    /// `body` defaults to a JSON `{"mensagem": ...}`; a body that is not JSON is sent as `text/plain`.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// `{"kind":"reset"}`: the TCP connection is reset (RST) before any byte of the response.
    Reset,
    /// `{"kind":"truncated_body"}`: the real response, whose body stops halfway (Content-Length promises more).
    TruncatedBody,
    /// `{"kind":"malformed_json"}`: HTTP 200, `application/json`, but the body is cut JSON.
    MalformedJson,
    /// `{"kind":"html_error","status":502}`: a proxy's HTML error page (status defaults to 502).
    HtmlError {
        #[serde(default = "bad_gateway")]
        status: u16,
    },
    /// `{"kind":"huge_body","bytes":16777216}`: HTTP 200 with a valid JSON body of that many bytes (default 16 MiB).
    HugeBody {
        #[serde(default = "sixteen_mib")]
        bytes: u64,
    },
    /// `{"kind":"expire_tokens"}`: every issued token expires just before this call is handled.
    ExpireTokens,
    /// `{"kind":"retry_after_text","status":429,"value":"1e20"}`: answers this status with this exact
    /// `Retry-After` text (any value a hostile or broken gateway could send: `1e20`, `-1`, a far date).
    RetryAfterText { status: u16, value: String },
    /// `{"kind":"throttled","code":900802,"retry_after":2}`: the API manager's own throttling answer, HTTP 429 with
    /// `{"fault": {"code": 900802, "message": "Message throttled out", "description": ...}}` (the WSO2 API Manager
    /// that runs the gateways: apis.md §8 A5). `code` defaults to 900802; `status` to 429 (older releases: 503).
    Throttled {
        #[serde(default = "throttle_code")]
        code: u32,
        #[serde(default = "too_many")]
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// `{"kind":"token_lifetime","scope":"token","expires_in":1e20,"exp":9223372036854775807,"iat":0}`: a token
    /// call is answered normally (the token works, for the configured lifetime), but the answer states this
    /// lifetime: `expires_in` as given, and in Conecta's JWT these `exp`/`iat` claims (any JSON value; absent:
    /// unchanged).
    TokenLifetime {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_in: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exp: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iat: Option<serde_json::Value>,
    },
}

fn throttle_code() -> u32 {
    900_802
}

fn too_many() -> u16 {
    429
}

fn bad_gateway() -> u16 {
    502
}

fn sixteen_mib() -> u64 {
    16 * 1024 * 1024
}

/// The largest `huge_body` the simulator agrees to build.
pub const MAX_HUGE_BODY: u64 = 512 * 1024 * 1024;

impl FaultKind {
    /// Whether the fault decides the response (as opposed to delaying it or expiring tokens first).
    pub fn is_terminal(&self) -> bool {
        !matches!(self, FaultKind::Latency { .. } | FaultKind::ExpireTokens)
    }

    /// The `kind` tag, as logged in `LoggedRequest::fault`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Status { .. } => "status",
            FaultKind::Reset => "reset",
            FaultKind::TruncatedBody => "truncated_body",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::HtmlError { .. } => "html_error",
            FaultKind::HugeBody { .. } => "huge_body",
            FaultKind::ExpireTokens => "expire_tokens",
            FaultKind::RetryAfterText { .. } => "retry_after_text",
            FaultKind::Throttled { .. } => "throttled",
            FaultKind::TokenLifetime { .. } => "token_lifetime",
        }
    }
}

/// Which calls a fault may hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultScope {
    /// API calls only (CPF, CNPJ, CPF Light, and unknown gateway paths). The default.
    #[default]
    Api,
    /// Token calls only (`POST /token`, `POST /oauth2/jwt-token`).
    Token,
    /// Both.
    All,
}

/// The class of a gateway call, for fault scopes and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    Token,
    Api,
    /// CORS preflight (`OPTIONS`): never faulted, never rate limited.
    Preflight,
}

impl Fault {
    /// A fault of this kind that hits the next matching API call once.
    pub fn new(kind: FaultKind) -> Self {
        Fault { kind, times: 1, scope: FaultScope::Api, path_prefix: None, probability: None }
    }
    pub fn latency(ms: u64) -> Self {
        Fault::new(FaultKind::Latency { ms })
    }
    pub fn status(status: u16) -> Self {
        Fault::new(FaultKind::Status { status, body: None, retry_after: None })
    }
    pub fn reset() -> Self {
        Fault::new(FaultKind::Reset)
    }
    pub fn truncated_body() -> Self {
        Fault::new(FaultKind::TruncatedBody)
    }
    pub fn malformed_json() -> Self {
        Fault::new(FaultKind::MalformedJson)
    }
    pub fn html_error(status: u16) -> Self {
        Fault::new(FaultKind::HtmlError { status })
    }
    pub fn huge_body(bytes: u64) -> Self {
        Fault::new(FaultKind::HugeBody { bytes })
    }
    pub fn expire_tokens() -> Self {
        Fault::new(FaultKind::ExpireTokens)
    }
    /// Hits the next `n` matching calls (0 is read as 1).
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }
    pub fn scope(mut self, scope: FaultScope) -> Self {
        self.scope = scope;
        self
    }
    /// Shorthand for `.scope(FaultScope::Token)`.
    pub fn on_token_calls(self) -> Self {
        self.scope(FaultScope::Token)
    }
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    /// Rejects values that cannot be honoured (message in pt-BR).
    pub fn check(&self) -> Result<(), String> {
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability deve estar entre 0 e 1 (recebido {p})."));
        }
        match &self.kind {
            FaultKind::Status { status, .. }
            | FaultKind::HtmlError { status }
            | FaultKind::RetryAfterText { status, .. }
            | FaultKind::Throttled { status, .. }
                if !(100..=999).contains(status) || axum::http::StatusCode::from_u16(*status).is_err() =>
            {
                Err(format!("status HTTP inválido: {status}."))
            }
            FaultKind::RetryAfterText { value, .. } if axum::http::HeaderValue::from_str(value).is_err() => {
                Err(format!("retry_after_text não é um valor de cabeçalho válido: {value:?}."))
            }
            FaultKind::HugeBody { bytes } if *bytes > MAX_HUGE_BODY => {
                Err(format!("huge_body aceita no máximo {MAX_HUGE_BODY} bytes (recebido {bytes})."))
            }
            _ => Ok(()),
        }
    }

    fn matches(&self, kind: CallKind, path: &str) -> bool {
        let scope_ok = match (self.scope, kind) {
            (_, CallKind::Preflight) => false,
            (FaultScope::All, _) => true,
            (FaultScope::Api, CallKind::Api) | (FaultScope::Token, CallKind::Token) => true,
            _ => false,
        };
        scope_ok && self.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
    }
}

/// The pending faults, in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: VecDeque<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, mut fault: Fault) {
        fault.times = fault.times.max(1);
        self.pending.push_back(fault);
    }

    pub fn pending(&self) -> Vec<Fault> {
        self.pending.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// The faults that hit this call, in order: any number of non-terminal ones, then at most one terminal one.
    pub fn take(&mut self, kind: CallKind, path: &str, rng: &mut StdRng) -> Vec<FaultKind> {
        let mut fired = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            let fault = &mut self.pending[i];
            let hit = fault.matches(kind, path)
                && match fault.probability {
                    Some(p) if p < 1.0 => rng.random_bool(p.max(0.0)),
                    _ => true,
                };
            if !hit {
                i += 1;
                continue;
            }
            let fault_kind = fault.kind.clone();
            fault.times -= 1;
            if fault.times == 0 {
                self.pending.remove(i);
            } else {
                i += 1;
            }
            let terminal = fault_kind.is_terminal();
            fired.push(fault_kind);
            if terminal {
                break;
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn json_shapes_round_trip() {
        let cases = [
            (r#"{"kind":"latency","ms":200}"#, Fault::latency(200)),
            (r#"{"kind":"status","status":503,"times":2}"#, Fault::status(503).times(2)),
            (r#"{"kind":"reset","scope":"token"}"#, Fault::reset().on_token_calls()),
            (r#"{"kind":"truncated_body"}"#, Fault::truncated_body()),
            (
                r#"{"kind":"malformed_json","path_prefix":"/api-cpf-light"}"#,
                Fault::malformed_json().path_prefix("/api-cpf-light"),
            ),
            (r#"{"kind":"html_error"}"#, Fault::html_error(502)),
            (r#"{"kind":"huge_body","bytes":1000}"#, Fault::huge_body(1000)),
            (r#"{"kind":"expire_tokens","scope":"all"}"#, Fault::expire_tokens().scope(FaultScope::All)),
            (
                r#"{"kind":"retry_after_text","status":429,"value":"1e20"}"#,
                Fault::new(FaultKind::RetryAfterText { status: 429, value: "1e20".into() }),
            ),
            (
                r#"{"kind":"token_lifetime","scope":"token","expires_in":1e20}"#,
                Fault::new(FaultKind::TokenLifetime {
                    expires_in: Some(serde_json::json!(1e20)),
                    exp: None,
                    iat: None,
                })
                .on_token_calls(),
            ),
        ];
        for (json, expected) in cases {
            let parsed: Fault =
                serde_json::from_str(json).map_err(|e| format!("{json}: {e}")).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed, expected, "{json}");
            let again: Fault = serde_json::from_value(serde_json::to_value(&parsed).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(again, expected);
        }
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"explode"}"#).is_err());
    }

    #[test]
    fn queue_respects_scope_times_prefix_and_stacking() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut q = FaultQueue::default();
        q.push(Fault::latency(5));
        q.push(Fault::status(500).times(2).path_prefix("/consulta-cpf"));
        q.push(Fault::reset().on_token_calls());

        assert_eq!(q.take(CallKind::Token, "/token", &mut rng), vec![FaultKind::Reset]);
        assert_eq!(q.take(CallKind::Api, "/api-cnpj-qsa/v2/qsa/1", &mut rng), vec![FaultKind::Latency { ms: 5 }]);
        let status = FaultKind::Status { status: 500, body: None, retry_after: None };
        assert_eq!(q.take(CallKind::Api, "/consulta-cpf-df/v1/cpf/1", &mut rng), vec![status.clone()]);
        assert_eq!(q.take(CallKind::Preflight, "/consulta-cpf-df/v1/cpf/1", &mut rng), vec![]);
        assert_eq!(q.take(CallKind::Api, "/consulta-cpf-df/v1/cpf/1", &mut rng), vec![status]);
        assert_eq!(q.take(CallKind::Api, "/consulta-cpf-df/v1/cpf/1", &mut rng), vec![]);
        assert!(q.pending().is_empty());
    }

    #[test]
    fn probability_is_seeded() {
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut q = FaultQueue::default();
            q.push(Fault::status(503).times(1000).probability(0.3));
            (0..100).map(|_| !q.take(CallKind::Api, "/x", &mut rng).is_empty()).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        let hits = run(42).iter().filter(|h| **h).count();
        assert!((10..=50).contains(&hits), "{hits} hits out of 100 at p = 0.3");
        assert!(Fault::status(200).probability(1.5).check().is_err());
        assert!(Fault::status(42).check().is_err());
        assert!(Fault::huge_body(MAX_HUGE_BODY + 1).check().is_err());
    }
}
