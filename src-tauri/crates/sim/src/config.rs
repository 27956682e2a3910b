//! The simulator's configuration (`SimConfig`, `Contracted`) and loading it from a TOML or JSON file.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fault::Fault;

/// How the simulator behaves. `Default` is the Demonstração profile: demo credentials, real token lifetimes,
/// no quota, no rate limit, no latency, every API contracted, and nothing for other local processes or web pages:
/// no `/__sim/*` control or request-log routes, no CORS headers.
///
/// In a config file (TOML or JSON) every key is optional and named like the field, e.g.
/// `quota = 1000`, `serpro_credentials = [["key", "secret"]]`, `contracted = ["consulta-cpf-df", "api-cpf-light"]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of every "random" value (tokens, activity ids, fault probabilities): same seed, same sequence.
    pub seed: u64,
    /// Accepted SERPRO consumer key/secret pairs (`POST /token`, HTTP Basic).
    pub serpro_credentials: Vec<(String, String)>,
    /// Accepted Conecta client id/secret pairs (`POST /oauth2/jwt-token`) whose tokens cover every Conecta API.
    pub conecta_credentials: Vec<(String, String)>,
    /// Conecta credentials of one API each, as agencies hold them (apis.md §8 A4): `[id, secret, scope]`, e.g.
    /// `["cpf-id", "cpf-secret", "api-cpf-light-v1"]`. Their tokens carry that scope only, and an API whose scope
    /// the token does not carry answers 403.
    pub conecta_scoped_credentials: Vec<(String, String, String)>,
    /// SERPRO token lifetime; `expires_in` equals it.
    pub serpro_token_ttl_secs: u64,
    /// Conecta token lifetime; the JWT's `exp - iat` equals it.
    pub conecta_token_ttl_secs: u64,
    /// Calls allowed per API (keyed by base and version: `consulta-cpf-df/v1`, `api-cnpj-qsa/v2`…); `None` =
    /// unlimited. Past it: 429 with a JSON message.
    pub quota: Option<u64>,
    /// API calls per second (token bucket, burst = max(1, rps)); `None` = unlimited. Past it: 429 + `Retry-After`.
    pub rate_limit_rps: Option<f64>,
    /// Latency added to every gateway request (API and token calls).
    pub latency_ms: u64,
    /// Which APIs/paths are contracted; other API paths answer 403. Trial paths are always open.
    pub contracted: Contracted,
    /// Faults queued at start, as if posted to `/__sim/faults` in this order.
    pub faults: Vec<Fault>,
    /// Serves the `/__sim/*` control and request-log routes (tests, the bench, `balcao-cli sim`). Off: they answer
    /// 404, so no local process can read the app's calls or inject faults.
    pub control_routes: bool,
    /// Sends the gateway's recorded CORS headers (`Access-Control-Allow-Origin: *`…) on every answer, for tests
    /// driven from a browser. Off: no `Access-Control-*` header at all, so no web page may read an answer.
    pub cors: bool,
}

/// The demo credentials accepted by default on both gateways.
pub const DEMO_CLIENT_ID: &str = "balcao-demo";
/// The secret paired with [`DEMO_CLIENT_ID`].
pub const DEMO_CLIENT_SECRET: &str = "balcao-demo-secret";

impl Default for SimConfig {
    fn default() -> Self {
        let demo = vec![(DEMO_CLIENT_ID.to_owned(), DEMO_CLIENT_SECRET.to_owned())];
        SimConfig {
            seed: 0x00ba_1ca0,
            serpro_credentials: demo.clone(),
            conecta_credentials: demo,
            conecta_scoped_credentials: Vec::new(),
            serpro_token_ttl_secs: 3600,
            conecta_token_ttl_secs: 7200,
            quota: None,
            rate_limit_rps: None,
            latency_ms: 0,
            contracted: Contracted::All,
            faults: Vec::new(),
            control_routes: false,
            cors: false,
        }
    }
}

impl SimConfig {
    /// The homologation profile: like `Default` but with the 1,000-calls-per-API quota.
    pub fn homologation() -> Self {
        SimConfig { quota: Some(1000), ..SimConfig::default() }
    }

    /// The same configuration with the test surface on: control and request-log routes, CORS headers.
    pub fn with_test_routes(self) -> Self {
        SimConfig { control_routes: true, cors: true, ..self }
    }

    /// Parses a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// Parses a JSON document.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// Reads a config file: JSON when the name ends in `.json`, TOML otherwise.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.display().to_string(), reason: e.to_string() })?;
        let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json { Self::from_json_str(&text) } else { Self::from_toml_str(&text) };
        parsed.and_then(Self::validated)
    }

    /// Rejects values the simulator cannot honour.
    pub fn validated(self) -> Result<Self, ConfigError> {
        if let Some(rps) = self.rate_limit_rps
            && !(rps.is_finite() && rps > 0.0)
        {
            return Err(ConfigError::Invalid(format!(
                "rate_limit_rps deve ser um número maior que zero (recebido {rps})."
            )));
        }
        for fault in &self.faults {
            fault.check().map_err(ConfigError::Invalid)?;
        }
        Ok(self)
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact =
            |v: &Vec<(String, String)>| v.iter().map(|(k, _)| format!("({k}, <redacted>)")).collect::<Vec<_>>();
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("serpro_credentials", &redact(&self.serpro_credentials))
            .field("conecta_credentials", &redact(&self.conecta_credentials))
            .field(
                "conecta_scoped_credentials",
                &self
                    .conecta_scoped_credentials
                    .iter()
                    .map(|(k, _, s)| format!("({k}, <redacted>, {s})"))
                    .collect::<Vec<_>>(),
            )
            .field("serpro_token_ttl_secs", &self.serpro_token_ttl_secs)
            .field("conecta_token_ttl_secs", &self.conecta_token_ttl_secs)
            .field("quota", &self.quota)
            .field("rate_limit_rps", &self.rate_limit_rps)
            .field("latency_ms", &self.latency_ms)
            .field("contracted", &self.contracted)
            .field("faults", &self.faults)
            .field("control_routes", &self.control_routes)
            .field("cors", &self.cors)
            .finish()
    }
}

/// Why a config file was not accepted (messages in pt-BR: the CLI prints them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Read { path: String, reason: String },
    Parse(String),
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, reason } => {
                write!(f, "Não foi possível ler o arquivo de configuração {path}: {reason}")
            }
            ConfigError::Parse(reason) => write!(f, "Arquivo de configuração inválido: {reason}"),
            ConfigError::Invalid(reason) => write!(f, "Configuração inválida: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Which API paths the simulated contract covers.
///
/// Serialized as the string `"all"` or as a list of path prefixes without the leading slash, matched on whole
/// segments: `"consulta-cpf-df"` covers v1 and v2, `"consulta-cnpj-df/v2/qsa"` covers only QSA,
/// `"api-cnpj-empresa"` covers Conecta's Empresa.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Contracted {
    #[default]
    All,
    Only(Vec<String>),
}

impl Contracted {
    /// Whether a request path (with its leading slash) is covered.
    pub fn allows(&self, path: &str) -> bool {
        match self {
            Contracted::All => true,
            Contracted::Only(prefixes) => {
                let path = path.trim_start_matches('/');
                prefixes.iter().any(|p| {
                    let p = p.trim_matches('/');
                    !p.is_empty() && path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
            }
        }
    }
}

impl Serialize for Contracted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Contracted::All => s.serialize_str("all"),
            Contracted::Only(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Contracted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            List(Vec<String>),
        }
        match Repr::deserialize(d)? {
            Repr::Word(w) if w.eq_ignore_ascii_case("all") => Ok(Contracted::All),
            Repr::Word(w) => Err(serde::de::Error::custom(format!(
                "contracted: use \"all\" ou uma lista de caminhos (recebido \"{w}\")"
            ))),
            Repr::List(list) => Ok(Contracted::Only(list)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracted_matches_whole_segments() {
        let c = Contracted::Only(vec![
            "consulta-cpf-df".into(),
            "/api-cnpj-qsa/".into(),
            "consulta-cnpj-df/v2/basica".into(),
        ]);
        assert!(c.allows("/consulta-cpf-df/v1/cpf/40442820135"));
        assert!(c.allows("/consulta-cpf-df/v2/cpf/40442820135"));
        assert!(!c.allows("/consulta-cpf-df-trial/v1/cpf/40442820135"));
        assert!(c.allows("/api-cnpj-qsa/v2/qsa/34238864000168"));
        assert!(!c.allows("/api-cnpj-empresa/v2/empresa/34238864000168"));
        assert!(c.allows("/consulta-cnpj-df/v2/basica/34238864000168"));
        assert!(!c.allows("/consulta-cnpj-df/v2/qsa/34238864000168"));
        assert!(Contracted::All.allows("/anything"));
    }

    #[test]
    fn toml_and_json_configs_parse() {
        let toml = r#"
            seed = 7
            quota = 5
            rate_limit_rps = 2.5
            serpro_credentials = [["k", "s"]]
            contracted = ["consulta-cpf-df"]
            [[faults]]
            kind = "status"
            status = 503
            times = 2
        "#;
        let c = SimConfig::from_toml_str(toml).and_then(SimConfig::validated).map_err(|e| e.to_string());
        let c = c.as_ref().map(|c| (c.seed, c.quota, c.serpro_credentials.len(), c.faults.len(), c.contracted.clone()));
        assert_eq!(c, Ok((7, Some(5), 1, 1, Contracted::Only(vec!["consulta-cpf-df".into()]))));

        let json = r#"{"contracted": "all", "latency_ms": 10, "faults": [{"kind": "reset", "scope": "token"}]}"#;
        let c = SimConfig::from_json_str(json).map_err(|e| e.to_string());
        assert_eq!(
            c.as_ref().map(|c| (c.latency_ms, c.contracted.clone(), c.faults.len())),
            Ok((10, Contracted::All, 1))
        );

        assert!(SimConfig::from_json_str(r#"{"unknown_key": 1}"#).is_err());
        assert!(SimConfig::from_json_str(r#"{"rate_limit_rps": -1}"#).and_then(SimConfig::validated).is_err());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let text = format!("{:?}", SimConfig::default());
        assert!(text.contains("balcao-demo"));
        assert!(!text.contains(DEMO_CLIENT_SECRET));
    }
}
