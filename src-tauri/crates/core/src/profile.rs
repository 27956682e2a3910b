//! Profiles: which gateway, environment, contracted APIs and clerk a lookup goes through.
//!
//! A profile never holds a credential: the client id and secret live in the OS keyring under
//! `profile/{id}/client-id` and `profile/{id}/client-secret`. Profiles are serialised camelCase for the UI
//! and the same way from TOML (the TOML loader in balcao-gov also accepts snake_case keys).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{Environment, ProfileSummary, Provider};
use crate::doc::Cpf;
use crate::error::{AppError, ErrorCode};
use crate::extra_base::{ExtraBase, MAX_BASES};
use crate::record::CnpjView;

/// Which CPF API the profile has contracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CpfApi {
    /// SERPRO Consulta CPF v1 (`GET …/consulta-cpf-df/v1/cpf/{ni}`).
    SerproV1,
    /// SERPRO Consulta CPF v2 (`GET …/consulta-cpf-df/v2/cpf/{ni}`): adds nome social and data de inscrição.
    SerproV2,
    /// Conecta gov.br API CPF Light (`POST …/api-cpf-light/v2/consulta/cpf`, up to 50 CPFs per call).
    ConectaLight,
}

impl CpfApi {
    /// The gateway that offers this API.
    pub fn provider(self) -> Provider {
        match self {
            CpfApi::SerproV1 | CpfApi::SerproV2 => Provider::Serpro,
            CpfApi::ConectaLight => Provider::Conecta,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CpfApi::SerproV1 => "SERPRO Consulta CPF v1",
            CpfApi::SerproV2 => "SERPRO Consulta CPF v2",
            CpfApi::ConectaLight => "Conecta CPF Light",
        }
    }
}

/// Paths that replace the defaults, for "outras bases" behind the same gateway or a contract whose Swagger
/// names a different path. Each is relative to the profile's `baseUrl` and starts with `/`; `{ni}` stands for
/// the number (not used by CPF Light, whose numbers go in the body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct PathOverrides {
    /// Token endpoint (SERPRO `/token`, Conecta `/oauth2/jwt-token`).
    pub token: Option<String>,
    /// The CPF API of the profile (`cpfApi`).
    pub cpf: Option<String>,
    pub cnpj_basica: Option<String>,
    pub cnpj_qsa: Option<String>,
    pub cnpj_empresa: Option<String>,
}

impl PathOverrides {
    /// The override for one CNPJ view, if any.
    pub fn cnpj(&self, view: CnpjView) -> Option<&str> {
        match view {
            CnpjView::Basica => self.cnpj_basica.as_deref(),
            CnpjView::Qsa => self.cnpj_qsa.as_deref(),
            CnpjView::Empresa => self.cnpj_empresa.as_deref(),
        }
    }
}

/// Timeouts, retries, concurrency and client-side pacing of the calls a profile makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkSettings {
    /// Time allowed to open the connection (TCP + TLS), in milliseconds.
    pub connect_timeout_ms: u32,
    /// Time allowed for a whole call (connection, request, answer), in milliseconds.
    pub total_timeout_ms: u32,
    /// Extra attempts after the first one, for the failures that are safe to retry.
    pub max_retries: u32,
    /// First backoff delay in milliseconds; doubles each attempt, with jitter.
    pub retry_base_ms: u32,
    /// Longest wait before a retry, including a `Retry-After` asked by the gateway; a longer
    /// `Retry-After` ends the call with `RateLimited` instead of waiting.
    pub retry_max_delay_ms: u32,
    /// Lookups in flight at once during a batch (CPF Light batches count as one).
    pub max_concurrency: u32,
    /// Client-side pacing: at most this many calls per second (none when absent).
    pub rate_limit_rps: Option<f64>,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 10_000,
            total_timeout_ms: 30_000,
            max_retries: 2,
            retry_base_ms: 200,
            retry_max_delay_ms: 5_000,
            max_concurrency: 4,
            rate_limit_rps: None,
        }
    }
}

/// Where and how a clerk's lookups go. Never holds a credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Stable identifier: letters, digits, `-`, `_`, `.` (it names the keyring entries).
    pub id: String,
    /// What the clerk sees in the profile picker.
    pub name: String,
    pub provider: Provider,
    pub environment: Environment,
    /// The gateway root, e.g. `https://gateway.apiserpro.serpro.gov.br`. HTTPS only, except loopback.
    pub base_url: String,
    /// The contracted CPF API, if any.
    #[serde(default)]
    pub cpf_api: Option<CpfApi>,
    /// The contracted Consulta CNPJ v2 views.
    #[serde(default)]
    pub cnpj_views: Vec<CnpjView>,
    /// Conecta: the clerk's CPF, sent as `x-cpf-usuario` on every call.
    #[serde(default)]
    pub clerk_cpf: Option<Cpf>,
    #[serde(default)]
    pub paths: PathOverrides,
    /// A PEM file with extra trusted CA certificates (a TLS-inspecting proxy's CA), added to the OS trust store.
    #[serde(default)]
    pub extra_ca_file: Option<String>,
    /// Calls allowed per API (e.g. 1000 in Conecta homologation); none when unlimited.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub quota_limit: Option<u64>,
    /// Warn once this percentage of `quotaLimit` is used (default 90).
    #[serde(default)]
    pub quota_warn_percent: Option<u8>,
    /// The IANA zone of the gateway's day for this profile's quota counters (`America/Sao_Paulo` when absent): an
    /// agency whose contract counts the day elsewhere names it here (#15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub quota_time_zone: Option<String>,
    #[serde(default)]
    pub network: NetworkSettings,
    /// "Outras bases" (#19): further APIs IT declared for this profile (`[[profile.extra_base]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub extra_bases: Option<Vec<ExtraBase>>,
    /// What was wrong with the declarations the profiles file had and that were skipped (pt-BR, naming the line);
    /// set by the profiles file's loader only (the file cannot write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub extra_base_issues: Option<Vec<String>>,
}

/// The Demonstração profile's id.
pub const DEMO_PROFILE_ID: &str = "demonstracao";

fn config_error(profile_id: &str, detail: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!("Perfil «{profile_id}»: {detail} Revise o perfil em Configurações ou peça à TI."),
    )
}

impl Profile {
    /// Demonstração: the embedded simulator at `base_url`, SERPRO, CPF v2 and every CNPJ view.
    pub fn demo(base_url: &str) -> Profile {
        Profile {
            id: DEMO_PROFILE_ID.to_owned(),
            name: "Demonstração".to_owned(),
            provider: Provider::Serpro,
            environment: Environment::Demonstracao,
            base_url: base_url.trim_end_matches('/').to_owned(),
            cpf_api: Some(CpfApi::SerproV2),
            cnpj_views: vec![CnpjView::Basica, CnpjView::Qsa, CnpjView::Empresa],
            clerk_cpf: None,
            paths: PathOverrides::default(),
            extra_ca_file: None,
            quota_limit: None,
            quota_warn_percent: None,
            quota_time_zone: None,
            network: NetworkSettings::default(),
            extra_bases: Some(crate::extra_base::demo_bases()),
            extra_base_issues: None,
        }
    }

    /// Demonstração through the simulated Conecta gateway: CPF Light and every CNPJ view, with `clerk_cpf`
    /// sent as `x-cpf-usuario`.
    pub fn demo_conecta(base_url: &str, clerk_cpf: Cpf) -> Profile {
        Profile {
            id: "demonstracao-conecta".to_owned(),
            name: "Demonstração (Conecta)".to_owned(),
            provider: Provider::Conecta,
            cpf_api: Some(CpfApi::ConectaLight),
            clerk_cpf: Some(clerk_cpf),
            ..Profile::demo(base_url)
        }
    }

    /// What the UI shows of the active profile.
    pub fn summary(&self) -> ProfileSummary {
        ProfileSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            provider: self.provider,
            environment: self.environment,
            is_demo: self.environment == Environment::Demonstracao,
        }
    }

    /// Whether this CNPJ view is contracted.
    pub fn has_view(&self, view: CnpjView) -> bool {
        self.cnpj_views.contains(&view)
    }

    /// The widest contracted CNPJ view (empresa ⊃ qsa ⊃ basica), if any.
    pub fn default_view(&self) -> Option<CnpjView> {
        [CnpjView::Empresa, CnpjView::Qsa, CnpjView::Basica].into_iter().find(|v| self.has_view(*v))
    }

    /// The quota percentage at which the clerk is warned.
    pub fn quota_warn_percent(&self) -> u8 {
        self.quota_warn_percent.unwrap_or(90)
    }

    /// Checks what can be checked without I/O (the URL scheme is checked by the client that connects).
    pub fn validate(&self) -> Result<(), AppError> {
        let id = self.id.as_str();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(config_error(id, "o identificador deve ter só letras, dígitos, «-», «_» ou «.»."));
        }
        if self.name.trim().is_empty() {
            return Err(config_error(id, "falta o nome do perfil."));
        }
        if self.base_url.trim().is_empty() {
            return Err(config_error(id, "falta o endereço do gateway (baseUrl)."));
        }
        if let Some(api) = self.cpf_api
            && api.provider() != self.provider
        {
            return Err(config_error(id, format!("a API de CPF «{}» não é oferecida por este provedor.", api.label())));
        }
        if self.environment == Environment::SerproTrial && self.provider != Provider::Serpro {
            return Err(config_error(id, "o ambiente «SERPRO trial» só existe no provedor SERPRO."));
        }
        if self.provider == Provider::Conecta && self.clerk_cpf.is_none() {
            return Err(config_error(
                id,
                "o Conecta exige o CPF do atendente (clerkCpf), enviado em cada consulta como x-cpf-usuario.",
            ));
        }
        if self.cpf_api.is_none() && self.cnpj_views.is_empty() {
            return Err(config_error(id, "nenhuma API contratada (cpfApi ou cnpjViews)."));
        }
        if let Some(p) = self.quota_warn_percent
            && !(1..=100).contains(&p)
        {
            return Err(config_error(id, "quotaWarnPercent deve estar entre 1 e 100."));
        }
        self.validate_paths()?;
        self.validate_network()?;
        self.validate_extra_bases()
    }

    /// The extra bases declared (none when absent).
    pub fn bases(&self) -> &[ExtraBase] {
        self.extra_bases.as_deref().unwrap_or_default()
    }

    /// The extra base `id`, if declared.
    pub fn base(&self, id: &str) -> Option<&ExtraBase> {
        self.bases().iter().find(|b| b.id.as_str() == id)
    }

    /// The declared base `id` that has a credential of its own (`credential = "own"`), or the pt-BR refusal for a
    /// credential entered for anything else (nothing is stored).
    pub fn own_credential_base(&self, id: &str) -> Result<&ExtraBase, AppError> {
        self.base(id).filter(|b| b.credential == crate::extra_base::BaseCredential::Own).ok_or_else(|| {
            AppError::new(
                ErrorCode::Config,
                format!(
                    "O perfil «{}» não declara a outra base «{id}» com credencial própria (credential = \"own\"). \
                     Nada foi gravado.",
                    self.id
                ),
            )
        })
    }

    fn validate_extra_bases(&self) -> Result<(), AppError> {
        let bases = self.bases();
        if bases.len() > MAX_BASES {
            return Err(config_error(&self.id, format!("no máximo {MAX_BASES} outras bases por perfil.")));
        }
        for (i, b) in bases.iter().enumerate() {
            b.check().map_err(|e| config_error(&self.id, format!("outra base «{}»: {e}.", b.id)))?;
            if bases.iter().take(i).any(|o| o.id == b.id) {
                return Err(config_error(&self.id, format!("a outra base «{}» aparece mais de uma vez.", b.id)));
            }
        }
        Ok(())
    }

    fn validate_paths(&self) -> Result<(), AppError> {
        let p = &self.paths;
        let needs_ni = self.cpf_api != Some(CpfApi::ConectaLight);
        let checks = [
            ("token", p.token.as_deref(), false),
            ("cpf", p.cpf.as_deref(), needs_ni),
            ("cnpjBasica", p.cnpj_basica.as_deref(), true),
            ("cnpjQsa", p.cnpj_qsa.as_deref(), true),
            ("cnpjEmpresa", p.cnpj_empresa.as_deref(), true),
        ];
        for (name, path, ni) in checks {
            let Some(path) = path else { continue };
            if !path.starts_with('/') || path.contains("://") {
                return Err(config_error(
                    &self.id,
                    format!("o caminho «{name}» deve começar com «/» (relativo ao gateway)."),
                ));
            }
            if let Some(why) = path_escape(path) {
                return Err(config_error(&self.id, format!("o caminho «{name}» {why}")));
            }
            if ni && !path.contains("{ni}") {
                return Err(config_error(
                    &self.id,
                    format!("o caminho «{name}» deve conter «{{ni}}» no lugar do número."),
                ));
            }
        }
        Ok(())
    }

    /// The numeric bounds of `network` and `quotaLimit` (see [`crate::bounds`]), named in the error.
    fn validate_network(&self) -> Result<(), AppError> {
        crate::bounds::check_network(&self.network).map_err(|e| config_error(&self.id, e))?;
        crate::bounds::check_quota_limit(self.quota_limit).map_err(|e| config_error(&self.id, e))
    }
}

/// Why a path override could leave the prefix IT wrote, or `None` when it is a plain path: a `.` or `..` segment
/// (also percent-encoded), an empty segment (`//host` reads as another server), a `?query`, a `#fragment`, a
/// backslash, a `%` that is not a complete escape, or a blank or control character.
pub fn path_escape(path: &str) -> Option<&'static str> {
    if path.contains('?') || path.contains('#') {
        return Some("não pode ter «?» nem «#»; informe só o caminho.");
    }
    if path.contains('\\') || path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("não pode ter «\\», espaços nem caracteres de controle.");
    }
    let bytes = path.as_bytes();
    let bad_escape = bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'%' && !bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if bad_escape {
        return Some("tem um «%» que não forma um código válido.");
    }
    let rest = path.strip_prefix('/').unwrap_or(path);
    for segment in rest.split('/') {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Some("não pode ter trechos «.» nem «..» (sairia do prefixo configurado).");
        }
        if segment.is_empty() {
            return Some("não pode ter «//» nem terminar em «/».");
        }
        if segment.to_ascii_lowercase().contains("%2f") || segment.to_ascii_lowercase().contains("%5c") {
            return Some("não pode ter «/» ou «\\» codificados.");
        }
    }
    None
}

/// Where the access token in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TokenSource {
    /// Obtained from the gateway's token endpoint with the profile's credentials.
    Issued,
    /// The fixed public bearer of the SERPRO trial (no token call).
    FixedTrial,
}

/// Whether a profile's credentials are in the OS keyring, for Configurações. Never their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CredentialsState {
    /// Demonstração: the embedded simulator needs none.
    NotNeeded,
    /// Both the client id and the secret are stored.
    Defined,
    /// One of them (or both) is not stored: lookups with this profile will be refused until IT records them.
    Missing,
    /// The keyring could not be asked (locked or absent Secret Service).
    Unavailable,
    /// Both are stored, but for another address (origin of `baseUrl` or token path) than the profile has now, or
    /// by a version before bindings: they are not sent until IT enters them again for this address.
    BoundElsewhere,
}

/// A profile as Configurações lists it: its settings and whether its credentials are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileEntry {
    pub profile: Profile,
    /// The credentials its lookups would use: each API's own where stored, else the shared one (the worst state).
    pub credentials: CredentialsState,
    /// Each API's own credential (one per API, as Conecta issues them, #15); absent where not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_credentials: Option<Vec<ApiCredentialsState>>,
    /// One of the agency's profiles (the managed policy's): shown «Definido pela TI», not editable or removable.
    #[serde(default)]
    pub managed: bool,
}

/// Whether one API of a profile has its own credential in the OS keyring. Never its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiCredentialsState {
    pub api: crate::record::ApiKind,
    pub state: CredentialsState,
}

/// The access token's state, for the status bar. Never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    pub source: TokenSource,
    /// RFC 3339 UTC: when the token stops being used (a little before the gateway's expiry); absent for a fixed bearer.
    pub valid_until: Option<String>,
}

/// Quota use of one API of one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaStatus {
    pub api: crate::record::ApiKind,
    #[ts(type = "number")]
    pub used: u64,
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
    /// At or past the warning percentage of the limit.
    pub near_limit: bool,
    /// No call will be made until the count is reset.
    pub exhausted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_profile_is_valid_and_widest_view_is_empresa() {
        let p = Profile::demo("http://127.0.0.1:9/");
        p.validate().unwrap();
        assert_eq!(p.base_url, "http://127.0.0.1:9");
        assert_eq!(p.default_view(), Some(CnpjView::Empresa));
        assert!(p.summary().is_demo);
        let c = Profile::demo_conecta("http://127.0.0.1:9", Cpf::parse("00000000191").unwrap());
        c.validate().unwrap();
        assert_eq!(c.provider, Provider::Conecta);
    }

    #[test]
    fn conecta_without_clerk_cpf_is_a_config_error() {
        let mut p = Profile::demo_conecta("https://h-apigateway.example", Cpf::parse("00000000191").unwrap());
        p.clerk_cpf = None;
        let e = p.validate().unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("x-cpf-usuario"), "{}", e.message);
    }

    #[test]
    fn mismatched_cpf_api_and_bad_paths_are_rejected() {
        let mut p = Profile::demo("https://x.example");
        p.cpf_api = Some(CpfApi::ConectaLight);
        assert_eq!(p.validate().unwrap_err().code, ErrorCode::Config);
        let mut p = Profile::demo("https://x.example");
        p.paths.cnpj_qsa = Some("/outra-base/v2/qsa".into());
        assert!(p.validate().unwrap_err().message.contains("{ni}"));
        p.paths.cnpj_qsa = Some("https://evil.example/qsa/{ni}".into());
        assert!(p.validate().unwrap_err().message.contains("começar com"));
        let mut p = Profile::demo("https://x.example");
        p.id = "com espaço".into();
        assert_eq!(p.validate().unwrap_err().code, ErrorCode::Config);
    }

    #[test]
    fn paths_that_leave_their_prefix_are_refused() {
        for bad in [
            "/prefixo/../../outra/{ni}",
            "/a/./{ni}",
            "/a/%2E%2e/{ni}",
            "/a/{ni}?x=1",
            "/a/{ni}#f",
            "//outro.example/{ni}",
            "/a\\..\\{ni}",
            "/a/%zz/{ni}",
            "/a/%2f/{ni}",
            "/a/{ni}/",
        ] {
            assert!(path_escape(bad).is_some(), "{bad}");
            let mut p = Profile::demo("https://x.example");
            p.paths.cpf = Some(bad.to_owned());
            assert_eq!(p.validate().unwrap_err().code, ErrorCode::Config, "{bad}");
        }
        for good in ["/consulta-cpf-df/v2/cpf/{ni}", "/outra-base/v2/basica/{ni}", "/a/%C3%A7/{ni}", "/token"] {
            assert_eq!(path_escape(good), None, "{good}");
        }
    }

    #[test]
    fn camel_case_json_round_trip_with_defaults() {
        let p = Profile::demo("https://x.example");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["baseUrl"], "https://x.example");
        assert_eq!(v["cpfApi"], "serproV2");
        assert_eq!(v["network"]["connectTimeoutMs"], 10_000);
        let back: Profile = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
        let minimal: Profile = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "X", "provider": "conecta", "environment": "homologacao",
            "baseUrl": "https://h.example", "cpfApi": "conectaLight", "clerkCpf": "000.000.001-91",
            "cnpjViews": ["qsa"], "paths": {"cnpjQsa": "/q/{ni}"}, "network": {"totalTimeoutMs": 5000}
        }))
        .unwrap();
        assert_eq!(minimal.cpf_api, Some(CpfApi::ConectaLight));
        assert_eq!(minimal.clerk_cpf.unwrap().as_str(), "00000000191");
        assert_eq!(minimal.paths.cnpj(CnpjView::Qsa), Some("/q/{ni}"));
        assert_eq!(minimal.network.total_timeout_ms, 5000);
        assert_eq!(minimal.network.connect_timeout_ms, 10_000);
        minimal.validate().unwrap();
    }
}
