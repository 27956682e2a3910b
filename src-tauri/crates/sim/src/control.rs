//! The `/__sim/*` control endpoints (request log, faults, token expiry, usage, reset, health) for tests in any
//! language, served only when `SimConfig::control_routes` is on. Control calls are never logged, faulted or rate
//! limited.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::fault::Fault;
use crate::state::Sim;

type Shared = State<Arc<Sim>>;

/// Routes under `/__sim`.
pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/__sim/health", get(health))
        .route("/__sim/requests", get(requests).delete(clear_requests))
        .route("/__sim/faults", get(faults).post(add_faults).delete(clear_faults))
        .route("/__sim/expire-tokens", post(expire_tokens))
        .route("/__sim/usage", get(usage))
        .route("/__sim/reset", post(reset))
}

/// Routes under `/__sim` when the control routes are off: every one is 404 (and, not being a gateway path, unlogged).
pub(crate) fn disabled() -> Router<Arc<Sim>> {
    Router::new().route("/__sim", any(not_found)).route("/__sim/{*rest}", any(not_found))
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Removes every `Access-Control-*` header (the simulator's CORS off): no web page may read an answer.
pub(crate) async fn strip_cors(mut r: Response) -> Response {
    let names: Vec<_> = r.headers().keys().filter(|n| n.as_str().starts_with("access-control-")).cloned().collect();
    for name in names {
        r.headers_mut().remove(name);
    }
    r
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    with_json_headers((status, value.to_string()).into_response())
}

fn with_json_headers(mut r: Response) -> Response {
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(crate::reply::JSON));
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    r
}

async fn health(State(sim): Shared) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "requests": sim.request_count(),
            "pending_faults": sim.pending_faults().len(),
            "usage": sim.usage(),
        }),
    )
}

async fn requests(State(sim): Shared) -> Response {
    serialized(&sim.requests())
}

async fn clear_requests(State(sim): Shared) -> StatusCode {
    sim.clear_requests();
    StatusCode::NO_CONTENT
}

async fn faults(State(sim): Shared) -> Response {
    serialized(&sim.pending_faults())
}

/// 200 with the value serialized directly (struct field order kept).
fn serialized<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => with_json_headers((StatusCode::OK, text).into_response()),
        Err(e) => json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "error": e.to_string() })),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Fault>),
    One(Box<Fault>),
}

/// `POST /__sim/faults` with one Fault object or an array → 201 `{"queued": n, "pending": total}`.
async fn add_faults(State(sim): Shared, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| serde_json::from_value::<OneOrMany>(v.clone()).map_err(|_| describe_fault_error(&v)));
    let list = match parsed {
        Ok(OneOrMany::Many(list)) => list,
        Ok(OneOrMany::One(fault)) => vec![*fault],
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &json!({ "error": e })),
    };
    if let Some(problem) = list.iter().find_map(|f| f.check().err()) {
        return json_response(StatusCode::BAD_REQUEST, &json!({ "error": problem }));
    }
    let queued = list.len();
    for fault in list {
        sim.push_fault(fault);
    }
    json_response(StatusCode::CREATED, &json!({ "queued": queued, "pending": sim.pending_faults().len() }))
}

/// The precise serde error of the first element that does not parse as a Fault.
fn describe_fault_error(value: &Value) -> String {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .find_map(|v| serde_json::from_value::<Fault>(v.clone()).err())
        .map_or_else(|| "falha inválida".to_owned(), |e| format!("falha inválida: {e}"))
}

async fn clear_faults(State(sim): Shared) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(sim): Shared) -> StatusCode {
    sim.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn usage(State(sim): Shared) -> Response {
    json_response(StatusCode::OK, &json!(sim.usage()))
}

async fn reset(State(sim): Shared) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}
