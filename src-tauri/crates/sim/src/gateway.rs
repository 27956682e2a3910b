//! The gateway pipeline every non-control request goes through: latency, faults, rate limit, dispatch to the
//! token endpoints or an API, the request log, and the response (reset, truncated or whole).

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use crate::auth;
use crate::fault::{CallKind, FaultKind};
use crate::log::LoggedRequest;
use crate::lookup;
use crate::reply::{self, JSON, Reply, TEXT};
use crate::routes::{self, CONECTA_TOKEN_PATH, SERPRO_TOKEN_PATH};
use crate::server::ConnInfo;
use crate::state::Sim;

/// Largest request body read (CPF Light with 50 CPFs is under 1 KiB).
const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Most of an API call's body kept in the log.
const LOGGED_BODY: usize = 4096;

/// How the response leaves the simulator.
enum Outcome {
    Whole(Reply),
    /// The reply's headers, then half its body, then the connection drops.
    Truncated(Reply),
    /// No response: the connection is reset.
    Reset,
}

fn classify(method: &Method, path: &str) -> CallKind {
    if method == Method::OPTIONS {
        CallKind::Preflight
    } else if path == SERPRO_TOKEN_PATH || path == CONECTA_TOKEN_PATH {
        CallKind::Token
    } else {
        CallKind::Api
    }
}

/// The fallback handler: everything outside `/__sim/*`.
pub(crate) async fn handle(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let conn = parts.extensions.get::<ConnectInfo<ConnInfo>>().map(|c| c.0.clone());
    let method = parts.method;
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let headers = parts.headers;
    let kind = classify(&method, &path);
    let activity_id = sim.activity_id();
    let at = SystemTime::now();
    let _in_flight = (kind == CallKind::Api).then(|| sim.enter());

    let body = to_bytes(body, MAX_REQUEST_BODY).await;
    if sim.config.latency_ms > 0 && kind != CallKind::Preflight {
        tokio::time::sleep(Duration::from_millis(sim.config.latency_ms)).await;
    }
    let mut terminal = None;
    if kind != CallKind::Preflight {
        for fault in sim.take_faults(kind, &path) {
            match fault {
                FaultKind::Latency { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
                FaultKind::ExpireTokens => sim.expire_tokens(),
                other => terminal = Some(other),
            }
        }
    }
    let fault_name = terminal.as_ref().map(|f| f.name().to_owned());
    let logged_body = match (&body, kind) {
        (Ok(b), CallKind::Api) if !b.is_empty() => {
            Some(String::from_utf8_lossy(&b[..b.len().min(LOGGED_BODY)]).into_owned())
        }
        _ => None,
    };

    let outcome = match (&body, terminal) {
        (Err(_), _) => {
            Outcome::Whole(Reply::message(StatusCode::PAYLOAD_TOO_LARGE, "Corpo da requisição grande demais."))
        }
        (Ok(_), Some(FaultKind::Reset)) => Outcome::Reset,
        (Ok(_), Some(FaultKind::Status { status, body, retry_after })) => {
            Outcome::Whole(status_fault(status, body, retry_after))
        }
        (Ok(_), Some(FaultKind::HtmlError { status })) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            Outcome::Whole(Reply::html(status, reply::html_error_page(status)))
        }
        (Ok(_), Some(FaultKind::HugeBody { bytes })) => Outcome::Whole(huge_body(bytes)),
        (Ok(_), Some(FaultKind::Throttled { code, status, retry_after })) => {
            Outcome::Whole(throttled(code, status, retry_after))
        }
        (Ok(_), Some(FaultKind::RetryAfterText { status, value })) => {
            Outcome::Whole(status_fault(status, None, None).with_header(header::RETRY_AFTER, value))
        }
        (Ok(body), Some(FaultKind::TokenLifetime { expires_in, exp, iat })) if kind == CallKind::Token => {
            let stated = auth::StatedLifetime { expires_in, exp, iat };
            Outcome::Whole(if method != Method::POST {
                method_not_allowed(&Method::POST)
            } else if path == SERPRO_TOKEN_PATH {
                auth::serpro_token_stating(&sim, &headers, body, &stated)
            } else {
                auth::conecta_token_stating(&sim, &headers, body, &stated)
            })
        }
        (Ok(body), Some(FaultKind::TruncatedBody)) => {
            Outcome::Truncated(dispatch(&sim, kind, &method, &path, &headers, body))
        }
        (Ok(body), Some(FaultKind::MalformedJson)) => {
            Outcome::Whole(malformed(dispatch(&sim, kind, &method, &path, &headers, body)))
        }
        (Ok(body), _) => Outcome::Whole(dispatch(&sim, kind, &method, &path, &headers, body)),
    };

    let (status, identity) = match &outcome {
        Outcome::Whole(r) | Outcome::Truncated(r) => (r.status.as_u16(), r.identity.clone()),
        Outcome::Reset => (0, None),
    };
    if kind != CallKind::Preflight {
        sim.record(LoggedRequest {
            method: method.to_string(),
            path,
            query,
            status,
            kind,
            token: identity.or_else(|| who(&headers)),
            cpf_usuario: headers.get("x-cpf-usuario").and_then(|v| v.to_str().ok()).map(str::to_owned),
            activity_id: activity_id.clone(),
            fault: fault_name,
            body: logged_body,
            at,
        });
    }
    respond(outcome, &activity_id, conn)
}

/// The bearer token, else the HTTP Basic user.
fn who(headers: &HeaderMap) -> Option<String> {
    auth::bearer(headers).or_else(|| auth::basic(headers).map(|(user, _)| user))
}

/// Rate limit, then the token endpoint or API the path names.
fn dispatch(sim: &Sim, kind: CallKind, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
    match kind {
        CallKind::Preflight => Reply::empty(StatusCode::NO_CONTENT)
            .with_header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
            .with_header(header::ACCESS_CONTROL_MAX_AGE, "600"),
        CallKind::Token if method != Method::POST => method_not_allowed(&Method::POST),
        CallKind::Token if path == SERPRO_TOKEN_PATH => auth::serpro_token(sim, headers, body),
        CallKind::Token => auth::conecta_token(sim, headers, body),
        CallKind::Api => {
            if let Err(seconds) = sim.rate_limit() {
                return Reply::message(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Limite de requisições por segundo excedido. Tente novamente em instantes.",
                )
                .with_header(header::RETRY_AFTER, seconds.to_string());
            }
            match routes::route(path) {
                None => Reply::message(StatusCode::FORBIDDEN, format!("Caminho errado na requisição: {path}.")),
                Some(route) if route.method != method => method_not_allowed(&route.method),
                Some(route) => lookup::handle(sim, path, &route, headers, body),
            }
        }
    }
}

fn method_not_allowed(allowed: &Method) -> Reply {
    Reply::message(StatusCode::METHOD_NOT_ALLOWED, format!("Método não permitido; use {allowed}."))
        .with_header(header::ALLOW, allowed.as_str())
}

fn status_fault(status: u16, body: Option<String>, retry_after: Option<u64>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reply = match body {
        Some(text) if serde_json::from_str::<serde_json::Value>(&text).is_ok() => Reply::new(status, Some(JSON), text),
        Some(text) => Reply::new(status, Some(TEXT), text),
        None => Reply::message(status, format!("Falha simulada: HTTP {}.", status.as_u16())),
    };
    match retry_after {
        Some(secs) => reply.with_header(header::RETRY_AFTER, secs.to_string()),
        None => reply,
    }
}

/// The WSO2 API Manager's throttling answer (apis.md §8 A5): a JSON `fault` object with the throttling code, the
/// manager's English message and description; `Retry-After` only when the test asks for one.
fn throttled(code: u32, status: u16, retry_after: Option<u64>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let (message, description) = match code {
        900_801 => ("API Limit Reached", "Hard throttle limit has been reached"),
        900_803 => ("Message throttled out", "You have exceeded your quota (application level)"),
        900_804 => ("Message throttled out", "You have exceeded your quota (subscription level)"),
        900_805 => ("Message blocked", "You have been blocked from accessing the resource"),
        _ => ("Message throttled out", "You have exceeded your quota"),
    };
    let fault = serde_json::json!({ "code": code, "message": message, "description": description });
    let reply = Reply::json(status, &serde_json::json!({ "fault": fault }));
    match retry_after {
        Some(secs) => reply.with_header(header::RETRY_AFTER, secs.to_string()),
        None => reply,
    }
}

/// HTTP 200 with valid JSON of (about) `bytes` bytes.
fn huge_body(bytes: u64) -> Reply {
    let head = br#"{"ni":"00000000000","preenchimento":""#;
    let tail = br#""}"#;
    let total = usize::try_from(bytes.min(crate::fault::MAX_HUGE_BODY)).unwrap_or(usize::MAX);
    let fill = total.saturating_sub(head.len() + tail.len());
    let mut body = Vec::with_capacity(head.len() + fill + tail.len());
    body.extend_from_slice(head);
    body.resize(head.len() + fill, b'x');
    body.extend_from_slice(tail);
    Reply::new(StatusCode::OK, Some(JSON), body)
}

/// The real answer cut in half (at a character boundary), sent whole as `200 application/json`.
fn malformed(real: Reply) -> Reply {
    let text = String::from_utf8_lossy(&real.body).into_owned();
    let cut = if text.len() < 4 {
        "{\"ni\":\"".to_owned()
    } else {
        let mut at = text.len() / 2;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text[..at].to_owned()
    };
    Reply::new(StatusCode::OK, Some(JSON), cut)
}

fn respond(outcome: Outcome, activity_id: &str, conn: Option<ConnInfo>) -> Response {
    match outcome {
        Outcome::Whole(reply) => reply.into_response(activity_id),
        Outcome::Truncated(reply) => {
            let full = reply.body.clone();
            let (mut parts, _) = reply.into_response(activity_id).into_parts();
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            let half = full.slice(..full.len() / 2);
            // Yield half, give hyper time to flush it, then fail: hyper closes the connection mid-body.
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let half = half.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, io::Error>(half), 1)),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Some((Err(io::Error::other("corpo truncado (falha simulada)")), 2))
                        }
                        _ => None,
                    }
                }
            });
            Response::from_parts(parts, Body::from_stream(stream))
        }
        Outcome::Reset => {
            if let Some(conn) = conn {
                conn.reset.store(true, Ordering::SeqCst);
            }
            let stream = futures_util::stream::once(async {
                Err::<Bytes, io::Error>(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "conexão reiniciada (falha simulada)",
                ))
            });
            Response::new(Body::from_stream(stream))
        }
    }
}
