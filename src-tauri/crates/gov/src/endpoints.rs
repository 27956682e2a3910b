//! The URL of every call of a profile: the documented default paths per provider and environment, or the
//! profile's overrides (`{ni}` replaced by the number).

use balcao_core::api::{Environment, Provider};
use balcao_core::profile::{CpfApi, Profile};
use balcao_core::record::{ApiKind, CnpjView};
use balcao_core::{AppError, ErrorCode};
use reqwest::Url;

/// Default path of a profile's token endpoint; `None` for the SERPRO trial (fixed public bearer).
pub(crate) fn default_token_path(provider: Provider, environment: Environment) -> Option<&'static str> {
    match (provider, environment) {
        (Provider::Serpro, Environment::SerproTrial) => None,
        (Provider::Serpro, _) => Some("/token"),
        (Provider::Conecta, _) => Some("/oauth2/jwt-token"),
    }
}

/// Default path of a CPF API (`{ni}` for the number; CPF Light takes the numbers in the body).
pub(crate) fn default_cpf_path(api: CpfApi, environment: Environment) -> &'static str {
    let trial = environment == Environment::SerproTrial;
    match (api, trial) {
        (CpfApi::SerproV1, false) => "/consulta-cpf-df/v1/cpf/{ni}",
        (CpfApi::SerproV1, true) => "/consulta-cpf-df-trial/v1/cpf/{ni}",
        (CpfApi::SerproV2, false) => "/consulta-cpf-df/v2/cpf/{ni}",
        (CpfApi::SerproV2, true) => "/consulta-cpf-df-trial/v2/cpf/{ni}",
        (CpfApi::ConectaLight, _) => "/api-cpf-light/v2/consulta/cpf",
    }
}

/// Default path of a Consulta CNPJ v2 view.
pub(crate) fn default_cnpj_path(provider: Provider, environment: Environment, view: CnpjView) -> String {
    let v = view.as_str();
    match (provider, environment) {
        (Provider::Serpro, Environment::SerproTrial) => format!("/consulta-cnpj-df-trial/v2/{v}/{{ni}}"),
        (Provider::Serpro, _) => format!("/consulta-cnpj-df/v2/{v}/{{ni}}"),
        (Provider::Conecta, _) => format!("/api-cnpj-{v}/v2/{v}/{{ni}}"),
    }
}

/// Which `ApiKind` a call of this profile is (for history, audit and quota).
pub(crate) fn cpf_api_kind(api: CpfApi) -> ApiKind {
    match api {
        CpfApi::SerproV1 => ApiKind::SerproCpfV1,
        CpfApi::SerproV2 => ApiKind::SerproCpfV2,
        CpfApi::ConectaLight => ApiKind::ConectaCpfLight,
    }
}

pub(crate) fn cnpj_api_kind(provider: Provider) -> ApiKind {
    match provider {
        Provider::Serpro => ApiKind::SerproCnpj,
        Provider::Conecta => ApiKind::ConectaCnpj,
    }
}

/// The resolved URLs of a profile.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    base: String,
    token: Option<String>,
    cpf: Option<String>,
    /// Consulta CPF v2's health check (`…/v2/status`, apis.md §8 A9, ◐): the CPF path with `/cpf/{ni}` replaced.
    status: Option<String>,
    cnpj: [String; 3],
}

fn view_index(view: CnpjView) -> usize {
    match view {
        CnpjView::Basica => 0,
        CnpjView::Qsa => 1,
        CnpjView::Empresa => 2,
    }
}

impl Endpoints {
    pub(crate) fn new(profile: &Profile, base: &Url) -> Self {
        let base = base.as_str().trim_end_matches('/').to_owned();
        let token = match profile.paths.token.clone() {
            Some(p) => Some(p),
            None => default_token_path(profile.provider, profile.environment).map(str::to_owned),
        };
        let cpf = profile.cpf_api.map(|api| {
            profile.paths.cpf.clone().unwrap_or_else(|| default_cpf_path(api, profile.environment).to_owned())
        });
        let cnpj = [CnpjView::Basica, CnpjView::Qsa, CnpjView::Empresa].map(|v| {
            profile
                .paths
                .cnpj(v)
                .map(str::to_owned)
                .unwrap_or_else(|| default_cnpj_path(profile.provider, profile.environment, v))
        });
        let status = match (profile.cpf_api, cpf.as_deref()) {
            (Some(CpfApi::SerproV2), Some(path)) => path.strip_suffix("/cpf/{ni}").map(|b| format!("{b}/status")),
            _ => None,
        };
        Self { base, token, cpf, status, cnpj }
    }

    /// The gateway root every path is appended to (no trailing `/`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The unbilled health check of the profile's CPF API, where it has one (only Consulta CPF v2 documents one).
    pub(crate) fn status(&self) -> Option<Result<Url, AppError>> {
        self.status.as_deref().map(|p| self.join(p, ""))
    }

    fn join(&self, path: &str, ni: &str) -> Result<Url, AppError> {
        let full = format!("{}{}", self.base, path.replace("{ni}", ni));
        Url::parse(&full).map_err(|_| {
            AppError::new(
                ErrorCode::Config,
                format!("O caminho configurado «{path}» não forma uma URL válida. Revise o perfil."),
            )
        })
    }

    /// The token endpoint's path relative to the base (the override or the default), `None` for a fixed bearer.
    pub(crate) fn token_path(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The token endpoint, or `None` when the profile uses a fixed bearer.
    pub(crate) fn token(&self) -> Result<Option<Url>, AppError> {
        self.token.as_deref().map(|p| self.join(p, "")).transpose()
    }

    /// The CPF API URL for `ni` (ignored by CPF Light).
    pub(crate) fn cpf(&self, ni: &str) -> Option<Result<Url, AppError>> {
        self.cpf.as_deref().map(|p| self.join(p, ni))
    }

    pub(crate) fn cnpj(&self, view: CnpjView, ni: &str) -> Result<Url, AppError> {
        self.join(&self.cnpj[view_index(view)], ni)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::Cpf;

    #[test]
    fn serpro_production_trial_and_conecta_defaults() {
        let p = Profile::demo("https://gateway.apiserpro.serpro.gov.br/");
        let e = Endpoints::new(&p, &Url::parse(&p.base_url).unwrap());
        assert_eq!(e.token().unwrap().unwrap().as_str(), "https://gateway.apiserpro.serpro.gov.br/token");
        assert_eq!(
            e.cpf("40442820135").unwrap().unwrap().as_str(),
            "https://gateway.apiserpro.serpro.gov.br/consulta-cpf-df/v2/cpf/40442820135"
        );
        // Source: apis.md §8 A9 (Consulta CPF v2 exposes GET /status), one author: unconfirmed elsewhere.
        assert_eq!(
            e.status().unwrap().unwrap().as_str(),
            "https://gateway.apiserpro.serpro.gov.br/consulta-cpf-df/v2/status"
        );
        assert_eq!(
            e.cnpj(CnpjView::Qsa, "34238864000168").unwrap().as_str(),
            "https://gateway.apiserpro.serpro.gov.br/consulta-cnpj-df/v2/qsa/34238864000168"
        );

        let mut t = p.clone();
        t.environment = Environment::SerproTrial;
        t.cpf_api = Some(CpfApi::SerproV1);
        let e = Endpoints::new(&t, &Url::parse(&t.base_url).unwrap());
        assert_eq!(e.token().unwrap(), None);
        assert!(e.status().is_none(), "Consulta CPF v1 has no documented health check");
        assert!(e.cpf("1").unwrap().unwrap().path().starts_with("/consulta-cpf-df-trial/v1/cpf/"));
        assert!(e.cnpj(CnpjView::Basica, "1").unwrap().path().starts_with("/consulta-cnpj-df-trial/v2/basica/"));

        let c = Profile::demo_conecta(
            "https://h-apigateway.conectagov.estaleiro.serpro.gov.br",
            Cpf::parse("00000000191").unwrap(),
        );
        let e = Endpoints::new(&c, &Url::parse(&c.base_url).unwrap());
        assert_eq!(e.token().unwrap().unwrap().path(), "/oauth2/jwt-token");
        assert_eq!(e.cpf("x").unwrap().unwrap().path(), "/api-cpf-light/v2/consulta/cpf");
        assert_eq!(
            e.cnpj(CnpjView::Empresa, "34238864000168").unwrap().path(),
            "/api-cnpj-empresa/v2/empresa/34238864000168"
        );
    }

    #[test]
    fn overrides_and_base_prefix() {
        let mut p = Profile::demo("https://g.example/prefixo");
        p.paths.cnpj_basica = Some("/outra-base/v9/basica/{ni}".into());
        p.paths.token = Some("/auth/token".into());
        let e = Endpoints::new(&p, &Url::parse(&p.base_url).unwrap());
        assert_eq!(e.cnpj(CnpjView::Basica, "X").unwrap().as_str(), "https://g.example/prefixo/outra-base/v9/basica/X");
        assert_eq!(e.token().unwrap().unwrap().as_str(), "https://g.example/prefixo/auth/token");
    }
}
