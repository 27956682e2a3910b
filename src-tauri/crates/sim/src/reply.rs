//! `Reply`: a gateway answer before faults and common headers are applied, and its conversion to a response.

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

pub(crate) const JSON: &str = "application/json; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

/// The SERPRO 404 body for a CPF (as the trial sends it).
pub(crate) const CPF_NOT_FOUND: &str = "Nenhum registro encontrado.";
/// The SERPRO 404 body for a CNPJ: the 2023 recording carries a trailing space.
pub(crate) const CNPJ_NOT_FOUND: &str = "Nenhum registro encontrado. ";

/// Headers the real gateway sends on every answer (besides `activityid`, added per call).
const ALLOW_HEADERS: &str = "authorization, Access-Control-Allow-Origin, Content-Type, SOAPAction, apikey, Internal-Key, \
                             x-cpf-usuario, signature, x-signature, x-credencial, X-Request-Trace-Id";

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: Option<&'static str>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// Who the call authenticated as, when the handler knows better than the headers (Conecta form credentials).
    pub identity: Option<String>,
}

impl Reply {
    pub fn new(status: StatusCode, content_type: Option<&'static str>, body: impl Into<Bytes>) -> Self {
        Reply { status, content_type, headers: Vec::new(), body: body.into(), identity: None }
    }

    pub fn json(status: StatusCode, value: &Value) -> Self {
        Reply::new(status, Some(JSON), value.to_string())
    }

    /// `{"mensagem": "..."}` — the error body shape SERPRO clients have been seen to receive.
    pub fn message(status: StatusCode, mensagem: impl Into<String>) -> Self {
        Reply::json(status, &json!({ "mensagem": mensagem.into() }))
    }

    /// An OAuth2 token-endpoint error (`{"error": ..., "error_description": ...}`).
    pub fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Reply::json(status, &json!({ "error": error, "error_description": description.into() }))
    }

    pub fn html(status: StatusCode, text: impl Into<String>) -> Self {
        Reply::new(status, Some(HTML), text.into())
    }

    pub fn empty(status: StatusCode) -> Self {
        Reply::new(status, None, Bytes::new())
    }

    pub fn with_header(mut self, name: HeaderName, value: impl AsRef<str>) -> Self {
        if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
            self.headers.push((name, v));
        }
        self
    }

    /// The full response with the gateway's common headers and `activityid`.
    pub fn into_response(self, activity_id: &str) -> Response {
        let etag = (self.status == StatusCode::OK && !self.body.is_empty()).then(|| weak_etag(&self.body));
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(ct) = self.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            headers.insert(header::ETAG, etag);
        }
        add_common_headers(headers, activity_id);
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// `activityid`, `x-powered-by`, CORS and HSTS, as the 2023 recordings show.
pub(crate) fn add_common_headers(headers: &mut axum::http::HeaderMap, activity_id: &str) {
    if let Ok(v) = HeaderValue::from_str(activity_id) {
        headers.insert(HeaderName::from_static("activityid"), v);
    }
    headers.insert(HeaderName::from_static("x-powered-by"), HeaderValue::from_static("Express"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=15724800; includeSubDomains"));
}

/// An Express-style weak ETag: `W/"<hex length>-<hash>"` (FNV-1a 64, hex).
fn weak_etag(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("W/\"{:x}-{h:016x}\"", body.len())
}

/// A reverse proxy's HTML error page, nginx-style.
pub(crate) fn html_error_page(status: StatusCode) -> String {
    let line = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}
