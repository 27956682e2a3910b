//! `CallFailure` and the mapping of transport errors and HTTP statuses to coded pt-BR errors.

#[cfg(feature = "http")]
use std::error::Error as _;
use std::fmt;

use balcao_core::record::{ApiKind, CallMeta};
use balcao_core::{AppError, ErrorCode};

use crate::parse::{ParseError, api_message};
#[cfg(feature = "http")]
use crate::retry::AttemptFailure;

/// A lookup that did not produce a record. `meta` is present when an answer arrived (a 404 is billed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub error: AppError,
    pub meta: Option<CallMeta>,
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for CallFailure {}

impl CallFailure {
    /// A failure before any answer (nothing billed).
    pub fn before_call(error: AppError) -> Self {
        Self { error, meta: None }
    }

    pub fn code(&self) -> ErrorCode {
        self.error.code
    }
}

impl From<AppError> for CallFailure {
    fn from(error: AppError) -> Self {
        Self::before_call(error)
    }
}

fn with_detail(code: ErrorCode, detail: impl fmt::Display) -> AppError {
    AppError::new(code, format!("{} ({detail})", code.default_message()))
}

/// Whether `e` is a rustls error, possibly wrapped in `io::Error`s (whose `source()` skips the wrapped error).
#[cfg(feature = "http")]
fn is_rustls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
        Some(inner) => is_rustls(inner),
        None => false,
    }
}

/// Whether any error in the chain is a TLS failure (untrusted certificate, handshake refused, not TLS at all).
#[cfg(feature = "http")]
fn is_tls(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        if is_rustls(s) || text.contains("certificate") || text.contains("handshake") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Classifies a transport error for the retry policy.
#[cfg(feature = "http")]
pub(crate) fn classify(e: &reqwest::Error) -> AttemptFailure {
    if is_tls(e) {
        AttemptFailure::Tls
    } else if e.is_connect() {
        AttemptFailure::Connect
    } else if e.is_timeout() {
        AttemptFailure::TotalTimeout
    } else {
        AttemptFailure::Transfer
    }
}

/// The clerk-facing error for a transport failure (no answer arrived).
#[cfg(feature = "http")]
pub(crate) fn transport_error(failure: AttemptFailure, e: &reqwest::Error) -> AppError {
    let host = e.url().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| "o gateway".to_owned());
    match failure {
        AttemptFailure::Tls => with_detail(ErrorCode::Tls, format!("servidor {host}")),
        AttemptFailure::TotalTimeout => with_detail(ErrorCode::Timeout, format!("servidor {host}")),
        AttemptFailure::Connect if e.is_timeout() => {
            with_detail(ErrorCode::Timeout, format!("sem conexão com {host} no tempo limite"))
        }
        AttemptFailure::Connect => with_detail(ErrorCode::Network, format!("não foi possível conectar a {host}")),
        AttemptFailure::Transfer | AttemptFailure::Status(_) => {
            with_detail(ErrorCode::Network, format!("a conexão com {host} caiu durante a consulta"))
        }
    }
}

/// The clerk-facing error when the whole call (token, attempts and retry waits) outlasted `total_timeout_ms`.
#[cfg(feature = "http")]
pub(crate) fn deadline_error(url: &reqwest::Url) -> AppError {
    let host = url.host_str().unwrap_or("o gateway");
    with_detail(
        ErrorCode::Timeout,
        format!("servidor {host}: a consulta, com as novas tentativas, passou do tempo total"),
    )
}

/// The clerk-facing error for an API answer that is not a record.
pub(crate) fn status_error(api: ApiKind, status: u16, body: &str) -> AppError {
    let said = api_message(body);
    let said_suffix = said.as_deref().map(|m| format!(" O serviço informou: «{m}».")).unwrap_or_default();
    match status {
        400 => AppError::new(
            ErrorCode::InvalidDocument,
            format!("O serviço recusou o número como inválido (HTTP 400). Confira os dígitos.{said_suffix}"),
        ),
        401 => AppError::new(
            ErrorCode::Unauthorized,
            format!(
                "{} O acesso a {} foi recusado mesmo com um token novo (HTTP 401).",
                ErrorCode::Unauthorized.default_message(),
                api.label()
            ),
        ),
        403 => AppError::new(
            ErrorCode::Forbidden,
            format!("{} ({}: HTTP 403)", ErrorCode::Forbidden.default_message(), api.label()),
        ),
        404 => AppError::from(ErrorCode::NotFound),
        // apis.md §1.2 (S14) and §8 A1: the minor's data is withheld (LGPD), and the call is billed.
        422 => AppError::from(ErrorCode::MinorDataBlocked),
        // apis.md §8 A2 (one source): a minor under 16 (Lei 15.211), billed.
        451 => AppError::new(
            ErrorCode::MinorDataBlocked,
            format!(
                "{} O titular tem menos de 16 anos (HTTP 451); a consulta foi cobrada.",
                ErrorCode::MinorDataBlocked.default_message()
            ),
        ),
        // apis.md §8 A2 (one source): the `Accept` header was refused. Balcão always asks for JSON, so something
        // between it and the gateway (a proxy, a wrong address) changed the call: a setting for IT, not the clerk.
        406 => AppError::new(
            ErrorCode::Config,
            format!(
                "{} recusou o formato de resposta pedido (HTTP 406, cabeçalho Accept). O Balcão pede \
                 application/json: peça à TI para conferir o endereço do perfil e o proxy da rede.{said_suffix}",
                api.label()
            ),
        ),
        429 => AppError::from(ErrorCode::RateLimited),
        504 => with_detail(ErrorCode::Timeout, "HTTP 504: o gateway não obteve resposta da base a tempo"),
        _ => AppError::new(
            ErrorCode::Upstream,
            format!("{} ({}: HTTP {status}).{said_suffix}", ErrorCode::Upstream.default_message(), api.label()),
        ),
    }
}

/// What a throttling answer says: slow down, the quota is used up, or the gateway blocks this caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Throttle {
    Rate,
    Quota,
    Blocked,
}

/// Reads a throttling answer (429, or 503 in the API manager's older releases).
///
/// The gateways run the WSO2 API Manager (the SERPRO token's `scope: "am_application_scope default"`), whose
/// throttling body is `{"fault": {"code": 900802, "message": "Message throttled out", "description": ...}}`
/// (newer releases: the same keys at the top level; the code as a number or a string): apis.md §8 A5, ⚑ for
/// SERPRO/Conecta. Codes 900800–900807 are its throttling codes: 900804 (the subscription's, i.e. the contract
/// plan's, limit) is read as the quota used up, 900805 (message blocked) as a refusal, the others as "slow down"
/// (unconfirmed: which code each gateway sends is not public). A 429 without a fault code whose text says "cota" or
/// "quota" is the quota (the simulator's `{"mensagem": "Cota ... esgotada"}`; no public source).
pub(crate) fn throttle(status: u16, body: &str) -> Option<Throttle> {
    if !matches!(status, 429 | 503) {
        return None;
    }
    match manager_fault_code(body) {
        Some(900_804) => Some(Throttle::Quota),
        Some(900_805) => Some(Throttle::Blocked),
        Some(900_800..=900_807) => Some(Throttle::Rate),
        _ if status != 429 => None,
        Some(_) => Some(Throttle::Rate),
        None => {
            let lower = body.to_lowercase();
            Some(if lower.contains("cota") || lower.contains("quota") { Throttle::Quota } else { Throttle::Rate })
        }
    }
}

/// The API manager's fault code: `{"fault": {"code": ...}}` or `{"code": ...}`, as a number or digits.
fn manager_fault_code(body: &str) -> Option<u32> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let fault = v.get("fault").filter(|f| f.is_object()).unwrap_or(&v);
    match fault.get("code")? {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A 429 whose `Retry-After` is longer than Balcão waits on its own.
pub(crate) fn rate_limited_for(secs: u64) -> AppError {
    AppError::new(
        ErrorCode::RateLimited,
        format!("O serviço pediu uma pausa de {secs} s antes de novas consultas. Aguarde e tente de novo."),
    )
}

/// The clerk-facing error for a 200 whose body is not the expected record.
pub(crate) fn parse_error(api: ApiKind, e: &ParseError) -> AppError {
    AppError::new(
        ErrorCode::Upstream,
        format!("{} ({}: {e}). Nenhum dado foi exibido.", ErrorCode::Upstream.default_message(), api.label()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_codes() {
        let api = ApiKind::SerproCpfV2;
        for (status, code) in [
            (400, ErrorCode::InvalidDocument),
            (401, ErrorCode::Unauthorized),
            (403, ErrorCode::Forbidden),
            (404, ErrorCode::NotFound),
            (422, ErrorCode::MinorDataBlocked),
            (429, ErrorCode::RateLimited),
            (500, ErrorCode::Upstream),
            (502, ErrorCode::Upstream),
            (503, ErrorCode::Upstream),
            (504, ErrorCode::Timeout),
            (415, ErrorCode::Upstream),
            (406, ErrorCode::Config),
            (451, ErrorCode::MinorDataBlocked),
            (302, ErrorCode::Upstream),
        ] {
            assert_eq!(status_error(api, status, "").code, code, "{status}");
        }
        let e = status_error(api, 400, r#"{"mensagem":"CPF <63017285991> inválido!"}"#);
        assert!(e.message.contains("CPF <63017285991> inválido!"), "{}", e.message);
        let e = status_error(api, 406, "");
        assert!(e.message.contains("HTTP 406") && e.message.contains("Accept"), "{}", e.message);
        let e = status_error(api, 451, "");
        assert!(e.message.contains("16 anos"), "{}", e.message);
        let e = status_error(api, 500, "<html>boom</html>");
        assert!(e.message.contains("HTTP 500") && !e.message.contains("html"), "{}", e.message);
    }
}
