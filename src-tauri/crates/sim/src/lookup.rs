//! API calls: the gateway checks (token, contract, `x-cpf-usuario`, quota) and the SERPRO CPF/CNPJ and Conecta
//! CPF Light/CNPJ answers, with each API's status codes and body shapes.

use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use balcao_core::{Cnpj, Cpf};
use serde_json::{Value, json};

use crate::auth;
use crate::data::{CnpjView, CpfVersion};
use crate::reply::{CNPJ_NOT_FOUND, CPF_NOT_FOUND, Reply};
use crate::routes::{Endpoint, Route};
use crate::state::{Gateway, QuotaCheck, Sim};

/// CPF Light's documented maximum of CPFs per call.
pub const CPF_LIGHT_MAX: usize = 50;

/// A CPF exactly as the APIs take it: 11 digits, no mask, valid check digits.
pub(crate) fn valid_cpf(ni: &str) -> bool {
    ni.len() == 11 && ni.bytes().all(|b| b.is_ascii_digit()) && Cpf::parse(ni).is_ok()
}

/// A CNPJ exactly as the APIs take it: 14 characters, `[0-9A-Z]{12}[0-9]{2}`, valid check digits.
pub(crate) fn valid_cnpj(ni: &str) -> bool {
    ni.len() == 14
        && ni.bytes().take(12).all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && ni.bytes().skip(12).all(|b| b.is_ascii_digit())
        && Cnpj::parse(ni).is_ok()
}

/// An API call after routing: token → contract → `x-cpf-usuario` (Conecta) → quota → the API itself.
pub(crate) fn handle(sim: &Sim, path: &str, route: &Route, headers: &HeaderMap, body: &[u8]) -> Reply {
    if let Err(reply) = auth::authorize(sim, route, headers) {
        return reply;
    }
    if !route.trial && !sim.config.contracted.allows(path) {
        return Reply::message(
            StatusCode::FORBIDDEN,
            format!("Caminho não contratado: {path}. Verifique o contrato da API."),
        );
    }
    if route.gateway == Gateway::Conecta {
        let user = headers.get("x-cpf-usuario").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !valid_cpf(user) {
            return Reply::message(
                StatusCode::BAD_REQUEST,
                "Cabeçalho x-cpf-usuario ausente ou inválido: informe o CPF do usuário (11 dígitos, sem máscara).",
            );
        }
    }
    if route.endpoint == Endpoint::SerproStatus {
        return status_up();
    }
    if let QuotaCheck::Exhausted { limit } = sim.count_quota(&route.api) {
        return Reply::json(
            StatusCode::TOO_MANY_REQUESTS,
            &json!({
                "mensagem": format!("Cota de chamadas da API {} esgotada ({limit} chamadas).", route.api),
                "api": route.api,
                "limite": limit,
            }),
        );
    }
    match &route.endpoint {
        Endpoint::SerproCpf { version, ni } => serpro_cpf(sim, *version, route.trial, ni, headers),
        Endpoint::SerproCnpj { view, ni } => cnpj(sim, Gateway::Serpro, *view, route.trial, ni, headers),
        Endpoint::ConectaCnpj { view, ni } => cnpj(sim, Gateway::Conecta, *view, false, ni, headers),
        Endpoint::ConectaCpfLight => cpf_light(sim, headers, body),
        Endpoint::SerproStatus => status_up(),
        Endpoint::Base { id, key } => crate::bases::answer(id, key),
    }
}

/// The health check's answer: counted in no quota, billed never (apis.md §8 A9, ◐; the body is not documented).
fn status_up() -> Reply {
    Reply::json(StatusCode::OK, &json!({"status": "UP"}))
}

/// `x-signature: 1` asks SERPRO for a time stamp, returned in the `stamp` header.
fn with_stamp(reply: Reply, sim: &Sim, headers: &HeaderMap) -> Reply {
    let wants = headers.get("x-signature").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() == "1");
    if wants && reply.status.is_success() {
        use base64::Engine;
        let stamp = base64::engine::general_purpose::STANDARD.encode(sim.random_bytes(48));
        reply.with_header(HeaderName::from_static("stamp"), stamp)
    } else {
        reply
    }
}

/// Whether the `Accept` header takes JSON (absent: anything goes).
fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else { return true };
    let Ok(accept) = accept.to_str() else { return false };
    accept
        .split(',')
        .filter_map(|range| range.split(';').next())
        .map(str::trim)
        .any(|media| media.eq_ignore_ascii_case("application/json") || media == "application/*" || media == "*/*")
}

/// SERPRO Consulta CPF v1/v2: 200 (206 for a partial v2 record), 400, 404 text/html, 406 for an `Accept` without
/// JSON, 422 for a minor and 451 for a minor under 16 (both versions).
fn serpro_cpf(sim: &Sim, version: CpfVersion, trial: bool, ni: &str, headers: &HeaderMap) -> Reply {
    // apis.md §8 A2 (one source): 406 = invalid `Accept`.
    if !accepts_json(headers) {
        return Reply::message(StatusCode::NOT_ACCEPTABLE, "Cabeçalho Accept inválido: use application/json.");
    }
    if !valid_cpf(ni) {
        return Reply::message(StatusCode::BAD_REQUEST, format!("CPF <{ni}> inválido!"));
    }
    let Some(person) = sim.data.person(ni).filter(|p| !trial || p.trial) else {
        return Reply::html(StatusCode::NOT_FOUND, CPF_NOT_FOUND);
    };
    // apis.md §8 A2 (one source): 451 for a minor under 16.
    if person.under16 {
        return Reply::message(
            StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
            "Dados de menor de 16 anos: consulta bloqueada conforme a Lei 15.211/2025.",
        );
    }
    // apis.md §8 A1: 422 is not tied to v2 on the return-code page.
    if person.minor {
        return Reply::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dados de menor de idade: consulta bloqueada conforme a LGPD (Lei 13.709/2018).",
        );
    }
    let lookup = sim.next_lookup(ni);
    let status = if version == CpfVersion::V2 && person.partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    with_stamp(Reply::json(status, &person.serpro_view(version, lookup)), sim, headers)
}

/// CNPJ v2 on either gateway: 200, 400, 404 (SERPRO: text/html; Conecta: JSON).
fn cnpj(sim: &Sim, gateway: Gateway, view: CnpjView, trial: bool, ni: &str, headers: &HeaderMap) -> Reply {
    if !valid_cnpj(ni) {
        return match gateway {
            Gateway::Serpro => Reply::message(StatusCode::BAD_REQUEST, format!("CNPJ <{ni}> inválido!")),
            Gateway::Conecta => Reply::message(StatusCode::BAD_REQUEST, format!("CNPJ inválido: {ni}.")),
        };
    }
    let Some(company) = sim.data.company(ni).filter(|c| !trial || c.trial) else {
        return match gateway {
            Gateway::Serpro => Reply::html(StatusCode::NOT_FOUND, CNPJ_NOT_FOUND),
            Gateway::Conecta => Reply::message(StatusCode::NOT_FOUND, format!("CNPJ não encontrado: {ni}.")),
        };
    };
    let lookup = sim.next_lookup(ni);
    let reply = Reply::json(StatusCode::OK, &company.view(view, lookup));
    match gateway {
        Gateway::Serpro => with_stamp(reply, sim, headers),
        Gateway::Conecta => reply,
    }
}

/// Conecta CPF Light: `{"listaCpf": [...]}` (1 to 50 valid CPFs) → an array of PascalCase records in request order;
/// a CPF without a record gets `{"CPF": ..., "mensagem": ...}`.
fn cpf_light(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Reply {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !is_json {
        return Reply::message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Envie o corpo como application/json: {\"listaCpf\": [...]}.",
        );
    }
    let bad = |msg: String| Reply::message(StatusCode::BAD_REQUEST, msg);
    let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
        return bad("Corpo JSON inválido. Envie {\"listaCpf\": [\"CPF\", ...]}.".to_owned());
    };
    let Some(list) = parsed.get("listaCpf").and_then(Value::as_array) else {
        return bad("Campo listaCpf ausente. Envie {\"listaCpf\": [\"CPF\", ...]}.".to_owned());
    };
    if list.is_empty() {
        return bad("A lista listaCpf está vazia.".to_owned());
    }
    if list.len() > CPF_LIGHT_MAX {
        return bad(format!("A lista listaCpf tem {} CPFs; o máximo por chamada é {CPF_LIGHT_MAX}.", list.len()));
    }
    let mut cpfs = Vec::with_capacity(list.len());
    for item in list {
        match item.as_str() {
            Some(cpf) if valid_cpf(cpf) => cpfs.push(cpf),
            Some(cpf) => return bad(format!("CPF <{cpf}> inválido!")),
            None => return bad(format!("CPF <{item}> inválido! Envie cada CPF como texto de 11 dígitos.")),
        }
    }
    let entries: Vec<Value> = cpfs
        .into_iter()
        .map(|cpf| match sim.data.person(cpf).filter(|p| p.conecta.is_some()) {
            Some(person) => person.conecta_view(sim.next_lookup(cpf)).unwrap_or(Value::Null),
            None => json!({"CPF": cpf, "mensagem": "CPF não encontrado na base de dados."}),
        })
        .collect();
    Reply::json(StatusCode::OK, &Value::Array(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_validation_is_strict() {
        assert!(valid_cpf("40442820135"));
        assert!(!valid_cpf("404.428.201-35"));
        assert!(!valid_cpf("40442820136"));
        assert!(!valid_cpf("11111111111"));
        assert!(valid_cnpj("34238864000168"));
        assert!(valid_cnpj("12ABC34501DE35"));
        assert!(!valid_cnpj("12abc34501de35"));
        assert!(!valid_cnpj("34.238.864/0001-68"));
        assert!(!valid_cnpj("34238864000169"));
    }
}
