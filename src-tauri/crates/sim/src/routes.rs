//! The gateway's path table: which path is which API, on which gateway, trial or not, and its quota key.

use axum::http::Method;

use crate::data::{CnpjView, CpfVersion};
use crate::state::Gateway;

/// The public SERPRO trial bearer: accepted on `-trial` paths without any token call.
pub const SERPRO_TRIAL_BEARER: &str = "06aef429-a981-3ec5-a1f8-71d38d86481e";

/// SERPRO token endpoint.
pub const SERPRO_TOKEN_PATH: &str = "/token";
/// Conecta token endpoint.
pub const CONECTA_TOKEN_PATH: &str = "/oauth2/jwt-token";

/// SERPRO Consulta CPF bases (production "direto na faixa", standard, and their trials).
const CPF_BASES: [(&str, bool); 4] = [
    ("consulta-cpf-df", false),
    ("consulta-cpf", false),
    ("consulta-cpf-df-trial", true),
    ("consulta-cpf-trial", true),
];
/// SERPRO Consulta CNPJ bases.
const CNPJ_BASES: [(&str, bool); 4] = [
    ("consulta-cnpj-df", false),
    ("consulta-cnpj", false),
    ("consulta-cnpj-df-trial", true),
    ("consulta-cnpj-trial", true),
];

/// What a gateway path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    SerproCpf {
        version: CpfVersion,
        ni: String,
    },
    SerproCnpj {
        view: CnpjView,
        ni: String,
    },
    ConectaCpfLight,
    ConectaCnpj {
        view: CnpjView,
        ni: String,
    },
    /// Consulta CPF v2's health check (`GET …/v2/status`, apis.md §8 A9, ◐): not a lookup, never billed.
    SerproStatus,
    /// One of the extra bases of `data/bases.json` (#19): `key` is the path's last segment.
    Base {
        id: String,
        key: String,
    },
}

/// A recognised API path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub endpoint: Endpoint,
    pub gateway: Gateway,
    pub trial: bool,
    /// The quota counter: the API's base and version, e.g. `consulta-cpf-df/v1`, `api-cnpj-qsa/v2`.
    pub api: String,
    /// The only method the path answers.
    pub method: Method,
}

/// Recognises an API path (token and control paths are not API paths). `None` = a wrong path (403).
pub(crate) fn route(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    match segments.as_slice() {
        [base, "v2", "status"] => {
            let (base, trial) = CPF_BASES.into_iter().find(|(b, _)| b == base)?;
            Some(Route {
                endpoint: Endpoint::SerproStatus,
                gateway: Gateway::Serpro,
                trial,
                api: format!("{base}/v2"),
                method: Method::GET,
            })
        }
        [base, version, "cpf", ni] if !ni.is_empty() => {
            let (base, trial) = CPF_BASES.into_iter().find(|(b, _)| b == base)?;
            let version = match *version {
                "v1" => CpfVersion::V1,
                "1" if base == "consulta-cpf-trial" => CpfVersion::V1,
                "v2" => CpfVersion::V2,
                _ => return None,
            };
            Some(Route {
                endpoint: Endpoint::SerproCpf { version, ni: (*ni).to_owned() },
                gateway: Gateway::Serpro,
                trial,
                api: format!("{base}/{}", segments[1]),
                method: Method::GET,
            })
        }
        [base, "v2", view, ni] if !ni.is_empty() && base.starts_with("consulta-cnpj") => {
            let (base, trial) = CNPJ_BASES.into_iter().find(|(b, _)| b == base)?;
            Some(Route {
                endpoint: Endpoint::SerproCnpj { view: CnpjView::parse(view)?, ni: (*ni).to_owned() },
                gateway: Gateway::Serpro,
                trial,
                api: format!("{base}/v2"),
                method: Method::GET,
            })
        }
        ["api-cpf-light", "v2", "consulta", "cpf"] => Some(Route {
            endpoint: Endpoint::ConectaCpfLight,
            gateway: Gateway::Conecta,
            trial: false,
            api: "api-cpf-light/v2".to_owned(),
            method: Method::POST,
        }),
        [base, "v2", view, ni] if !ni.is_empty() && base.strip_prefix("api-cnpj-") == Some(view) => Some(Route {
            endpoint: Endpoint::ConectaCnpj { view: CnpjView::parse(view)?, ni: (*ni).to_owned() },
            gateway: Gateway::Conecta,
            trial: false,
            api: format!("{base}/v2"),
            method: Method::GET,
        }),
        _ => crate::bases::route(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_paths_route() {
        let r = route("/consulta-cpf-df/v1/cpf/40442820135").unwrap();
        assert_eq!(r.endpoint, Endpoint::SerproCpf { version: CpfVersion::V1, ni: "40442820135".into() });
        assert_eq!((r.gateway, r.trial, r.api.as_str()), (Gateway::Serpro, false, "consulta-cpf-df/v1"));
        let r = route("/consulta-cpf-df-trial/v2/cpf/40442820135").unwrap();
        assert_eq!((r.trial, r.api.as_str()), (true, "consulta-cpf-df-trial/v2"));
        assert!(route("/consulta-cpf-trial/1/cpf/40442820135").is_some_and(|r| r.trial));
        let r = route("/consulta-cnpj-df-trial/v2/empresa/34238864000168").unwrap();
        assert_eq!(r.endpoint, Endpoint::SerproCnpj { view: CnpjView::Empresa, ni: "34238864000168".into() });
        assert!(r.trial);
        let r = route("/api-cnpj-qsa/v2/qsa/12ABC34501DE35").unwrap();
        assert_eq!((r.gateway, r.api.as_str()), (Gateway::Conecta, "api-cnpj-qsa/v2"));
        assert_eq!(route("/api-cpf-light/v2/consulta/cpf").map(|r| r.method), Some(Method::POST));
        let r = route("/consulta-cpf-df/v2/status").unwrap();
        assert_eq!((r.endpoint, r.trial, r.api.as_str()), (Endpoint::SerproStatus, false, "consulta-cpf-df/v2"));
        assert!(route("/consulta-cpf-df-trial/v2/status").is_some_and(|r| r.trial));
        assert_eq!(route("/consulta-cnpj-df/v2/status"), None, "no documented CNPJ health check");
    }

    #[test]
    fn wrong_paths_do_not_route() {
        for p in [
            "/consulta-cpf-df/v3/cpf/40442820135",
            "/consulta-cpf-df/v1/cpf/",
            "/Consulta-CPF-df/v1/cpf/40442820135",
            "/consulta-cnpj-df/v2/socios/34238864000168",
            "/consulta-cnpj-df/v1/basica/34238864000168",
            "/api-cnpj-basica/v2/qsa/34238864000168",
            "/api-cpf-light/v2/consulta/identificacao",
            "/consulta-cpf-df/v1/cpf/40442820135/extra",
            "/",
            "",
        ] {
            assert_eq!(route(p), None, "{p}");
        }
    }
}
