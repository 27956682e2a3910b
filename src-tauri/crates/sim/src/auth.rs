//! Credentials: the SERPRO (`POST /token`) and Conecta (`POST /oauth2/jwt-token`) token endpoints, HTTP Basic and
//! form parsing, the Conecta JWT, and the bearer check on API calls.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::routes::{Endpoint, Route, SERPRO_TRIAL_BEARER};
use crate::state::{Gateway, Sim, TokenProblem};

const FORM: &str = "application/x-www-form-urlencoded";

/// The scope of Conecta's API CPF Light (the `scopes` claim of a real production JWT: apis.md §2.1, S8).
pub(crate) const CPF_LIGHT_SCOPE: &str = "api-cpf-light-v1";
/// The scope of Conecta's CNPJ APIs (the CNPJ v2 OpenAPI's scope: apis.md §2.1, S5, ◐).
pub(crate) const CNPJ_SCOPE: &str = "api-cnpj-v1";
/// Every Conecta scope the simulator serves.
const ALL_CONECTA_SCOPES: [&str; 2] = [CPF_LIGHT_SCOPE, CNPJ_SCOPE];

/// The `Authorization: Bearer` value, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The `Authorization: Basic` user and password, if any.
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `application/x-www-form-urlencoded` pairs.
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(FORM)))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn accepted(list: &[(String, String)], id: &str, secret: &str) -> bool {
    list.iter().any(|(k, s)| k == id && s == secret)
}

/// Checks what both token endpoints share: form content type, `grant_type=client_credentials`.
fn check_token_request(headers: &HeaderMap, pairs: &[(String, String)]) -> Result<(), Reply> {
    if !is_form(headers) {
        return Err(Reply::oauth_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Envie o corpo como application/x-www-form-urlencoded (grant_type=client_credentials).",
        ));
    }
    match field(pairs, "grant_type") {
        Some("client_credentials") => Ok(()),
        Some(other) => Err(Reply::oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type não suportado: {other}. Use client_credentials."),
        )),
        None => Err(Reply::oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Parâmetro grant_type ausente.")),
    }
}

fn invalid_client(realm: &str) -> Reply {
    Reply::oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Credenciais do cliente inválidas ou ausentes.")
        .with_header(header::WWW_AUTHENTICATE, format!("Basic realm=\"{realm}\""))
}

/// The lifetime a token answer states instead of the real one (the `token_lifetime` fault); `None`: the real one.
#[derive(Debug, Default)]
pub(crate) struct StatedLifetime {
    pub expires_in: Option<Value>,
    pub exp: Option<Value>,
    pub iat: Option<Value>,
}

/// `POST /token`: HTTP Basic consumer key/secret, form `grant_type=client_credentials`, an opaque 32-hex token.
pub(crate) fn serpro_token(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Reply {
    serpro_token_stating(sim, headers, body, &StatedLifetime::default())
}

/// [`serpro_token`] whose answer states `stated.expires_in` (the token still lives the configured lifetime).
pub(crate) fn serpro_token_stating(sim: &Sim, headers: &HeaderMap, body: &[u8], stated: &StatedLifetime) -> Reply {
    let pairs = form_pairs(body);
    if let Err(reply) = check_token_request(headers, &pairs) {
        return reply;
    }
    let Some((key, secret)) = basic(headers) else { return invalid_client("SERPRO") };
    if !accepted(&sim.config.serpro_credentials, &key, &secret) {
        return invalid_client("SERPRO");
    }
    let token = crate::state::hex(&sim.random_bytes(16));
    let ttl = sim.config.serpro_token_ttl_secs;
    sim.issue_token(token.clone(), Gateway::Serpro, Duration::from_secs(ttl), None);
    let mut reply = Reply::json(
        StatusCode::OK,
        &json!({"scope": "am_application_scope default", "token_type": "Bearer",
            "expires_in": stated.expires_in.clone().unwrap_or_else(|| json!(ttl)), "access_token": token}),
    );
    reply.identity = Some(key);
    reply
}

/// `POST /oauth2/jwt-token`: client id/secret by HTTP Basic (or repeated as `client_id`/`client_secret` form
/// fields), form `grant_type=client_credentials`; answers a JWT whose `exp - iat` is the configured lifetime.
pub(crate) fn conecta_token(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Reply {
    conecta_token_stating(sim, headers, body, &StatedLifetime::default())
}

/// [`conecta_token`] whose answer and JWT state `stated` (the token still lives the configured lifetime).
pub(crate) fn conecta_token_stating(sim: &Sim, headers: &HeaderMap, body: &[u8], stated: &StatedLifetime) -> Reply {
    let pairs = form_pairs(body);
    if let Err(reply) = check_token_request(headers, &pairs) {
        return reply;
    }
    let credentials = basic(headers)
        .or_else(|| Some((field(&pairs, "client_id")?.to_owned(), field(&pairs, "client_secret")?.to_owned())));
    let Some((id, secret)) = credentials else { return invalid_client("Conecta") };
    // What the credential may have: every API (the demo pair), or the one API it was issued for (apis.md §8 A4).
    let allowed: Vec<String> = if accepted(&sim.config.conecta_credentials, &id, &secret) {
        ALL_CONECTA_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else if let Some((_, _, scope)) =
        sim.config.conecta_scoped_credentials.iter().find(|(k, s, _)| *k == id && *s == secret)
    {
        vec![scope.clone()]
    } else {
        let mut reply = invalid_client("Conecta");
        reply.identity = Some(id);
        return reply;
    };
    // An optional `scope` narrows the token (apis.md §2.1, ◐); one the credential lacks is refused as OAuth2 does.
    let scopes = match field(&pairs, "scope").map(str::split_whitespace) {
        None => allowed,
        Some(asked) => {
            let asked: Vec<String> = asked.map(str::to_owned).collect();
            if asked.is_empty() || asked.iter().any(|s| !allowed.contains(s)) {
                let mut reply = Reply::oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "Escopo pedido não autorizado para esta credencial.",
                );
                reply.identity = Some(id);
                return reply;
            }
            asked
        }
    };
    let ttl = sim.config.conecta_token_ttl_secs;
    let scope_text = scopes.join(" ");
    let jwt = conecta_jwt(sim, &id, &scope_text, ttl, stated);
    sim.issue_token(jwt.clone(), Gateway::Conecta, Duration::from_secs(ttl), Some(scopes));
    let scopes = scope_text;
    let mut reply = Reply::json(
        StatusCode::OK,
        &json!({"access_token": jwt, "token_type": "Bearer",
            "expires_in": stated.expires_in.clone().unwrap_or_else(|| json!(ttl)), "scope": scopes}),
    );
    reply.identity = Some(id);
    reply
}

/// A JWT shaped like Conecta's (header RS512; claims `sub{id,userId,type,scopes}`, `iat`, `exp`, `aud`, `iss`, `jti`).
/// The signature is random bytes: the simulator recognises its tokens by value, clients only read the claims.
fn conecta_jwt(sim: &Sim, client_id: &str, scopes: &str, ttl: u64, stated: &StatedLifetime) -> String {
    let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let header = json!({"alg": "RS512", "typ": "JWT"});
    let claims = json!({
        "sub": {"id": client_id, "userId": client_id, "type": "application", "scopes": scopes},
        "iat": stated.iat.clone().unwrap_or_else(|| json!(iat)),
        "exp": stated.exp.clone().unwrap_or_else(|| json!(iat.saturating_add(ttl))),
        "aud": "conectagov-aud",
        "iss": "conectagov-iss",
        "jti": crate::state::hex(&sim.random_bytes(8)),
    });
    let signature = sim.random_bytes(256);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The bearer check of an API call: 401 with a JSON message when missing, unknown, expired or from the other
/// gateway. `-trial` paths also take the public trial bearer.
pub(crate) fn authorize(sim: &Sim, route: &Route, headers: &HeaderMap) -> Result<(), Reply> {
    let unauthorized = |msg: &str| {
        Reply::message(StatusCode::UNAUTHORIZED, msg)
            .with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
    };
    let Some(token) = bearer(headers) else {
        return Err(unauthorized("Token de acesso ausente. Envie o cabeçalho Authorization: Bearer <token>."));
    };
    if route.trial && token == SERPRO_TRIAL_BEARER {
        return Ok(());
    }
    // An extra base takes a token of either gateway (the agency declares which credential it uses).
    let checked = match (&route.endpoint, sim.check_token(&token, route.gateway)) {
        (Endpoint::Base { .. }, Err(TokenProblem::WrongGateway)) => sim.check_token(&token, Gateway::Conecta),
        (_, checked) => checked,
    };
    match checked {
        Ok(Some(scopes)) => match route_scope(route) {
            Some(needed) if !scopes.iter().any(|s| s == needed) => Err(Reply::message(
                StatusCode::FORBIDDEN,
                format!(
                    "O token de acesso não dá acesso a esta API (escopo {needed} ausente). Use a credencial desta API."
                ),
            )),
            _ => Ok(()),
        },
        Ok(None) => Ok(()),
        Err(TokenProblem::Expired) => Err(unauthorized("Token de acesso expirado. Solicite um novo token.")),
        Err(TokenProblem::Unknown | TokenProblem::WrongGateway) => {
            Err(unauthorized("Token de acesso inválido. Verifique as credenciais e solicite um novo token."))
        }
    }
}

/// The scope a Conecta API call needs (a production token carries the scope of one API: apis.md §8 A4);
/// `None` for SERPRO, whose token covers the contract (`am_application_scope default`, apis.md §1.1).
fn route_scope(route: &Route) -> Option<&'static str> {
    match route.endpoint {
        Endpoint::ConectaCpfLight => Some(CPF_LIGHT_SCOPE),
        Endpoint::ConectaCnpj { .. } => Some(CNPJ_SCOPE),
        Endpoint::SerproCpf { .. } | Endpoint::SerproCnpj { .. } | Endpoint::SerproStatus | Endpoint::Base { .. } => {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn basic_and_bearer_parse() {
        let mut h = HeaderMap::new();
        let encoded = STANDARD.encode("key:se:cret");
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {encoded}")).unwrap());
        assert_eq!(basic(&h), Some(("key".into(), "se:cret".into())));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer(&h), Some("abc".into()));
        assert_eq!(basic(&h), None);
    }

    #[test]
    fn form_decoding() {
        let pairs = form_pairs(b"grant_type=client_credentials&scope=a+b%20c&x=%zz&flag");
        assert_eq!(field(&pairs, "grant_type"), Some("client_credentials"));
        assert_eq!(field(&pairs, "scope"), Some("a b c"));
        assert_eq!(field(&pairs, "x"), Some("%zz"));
        assert_eq!(field(&pairs, "flag"), Some(""));
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
