//! "Outras bases" (#19): the extra government APIs an agency may declare, served from `data/bases.json` (fictitious
//! answers keyed by the last path segment: the authorisation code, the CEP or the CPF).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::routes::{Endpoint, Route};
use crate::state::Gateway;

const BASES_JSON: &str = include_str!("../data/bases.json");

/// One simulated extra base.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SimBase {
    pub id: String,
    /// The path before the key, one segment each.
    pub path: Vec<String>,
    /// The answer for each key.
    pub answers: HashMap<String, Value>,
}

/// The embedded bases (an unreadable fixture is a build-time mistake caught by the tests: no base then).
pub(crate) fn bases() -> &'static [SimBase] {
    static BASES: OnceLock<Vec<SimBase>> = OnceLock::new();
    BASES.get_or_init(|| serde_json::from_str(BASES_JSON).unwrap_or_default())
}

/// The route of an extra base's path: its segments, then one key segment.
pub(crate) fn route(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let (key, prefix) = segments.split_last()?;
    if key.is_empty() {
        return None;
    }
    let base = bases().iter().find(|b| b.path.iter().map(String::as_str).eq(prefix.iter().copied()))?;
    Some(Route {
        endpoint: Endpoint::Base { id: base.id.clone(), key: (*key).to_owned() },
        gateway: Gateway::Serpro,
        trial: false,
        api: base.path.join("/"),
        method: Method::GET,
    })
}

/// The fixture's answer for `key`, else 404 with a JSON message.
pub(crate) fn answer(id: &str, key: &str) -> Reply {
    let found = bases().iter().find(|b| b.id == id).and_then(|b| b.answers.get(key));
    match found {
        Some(v) => Reply::json(StatusCode::OK, v),
        None => Reply::json(StatusCode::NOT_FOUND, &json!({"mensagem": "Nada consta para o valor informado."})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_parses_and_routes_its_three_bases() {
        let ids: Vec<&str> = bases().iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["renda", "cep", "cadunico"]);
        let r = route("/api-cep/v1/consulta/cep/70355030").unwrap();
        assert_eq!(r.endpoint, Endpoint::Base { id: "cep".into(), key: "70355030".into() });
        assert!(route("/api-cep/v1/consulta/cep/").is_none());
        assert!(route("/api-cep/v1/consulta/70355030").is_none());
        assert_eq!(answer("cep", "00000000").status, StatusCode::NOT_FOUND);
    }
}
