//! Which credential each API of a profile uses: its own (one per API, as Conecta agencies hold them) or the
//! profile's shared one (SERPRO), read from the keyring or the environment.
//!
//! Conecta issues one client id/secret per API and a production token carries the scope of one API only
//! (`docs/profiles.md`, apis.md §8 A4, ⚑). So each API a profile calls uses the credential stored for that API
//! when there is one, else the profile's shared credential (which keeps every profile stored before #15 working).

use std::sync::Arc;

use balcao_core::extra_base::{BaseCredential, BaseId, ExtraBase};
use balcao_core::profile::{Profile, TokenStatus};
use balcao_core::record::ApiKind;
use balcao_core::{AppError, ErrorCode};
use balcao_platform::SecretStore;
use reqwest::Url;

use crate::credentials::{
    CLIENT_ID_ENV, CLIENT_SECRET_ENV, CredentialBinding, CredentialScope, Credentials,
    try_scoped_credentials_from_store,
};
use crate::endpoints::{Endpoints, cnpj_api_kind, cpf_api_kind};
use crate::token::TokenManager;

/// The APIs `profile` calls: its CPF API, then its CNPJ API when it has a view.
pub fn profile_apis(profile: &Profile) -> Vec<ApiKind> {
    let mut apis: Vec<ApiKind> = profile.cpf_api.map(cpf_api_kind).into_iter().collect();
    if !profile.cnpj_views.is_empty() {
        apis.push(cnpj_api_kind(profile.provider));
    }
    apis
}

/// The word of an API in its environment variables: `CPF` or `CNPJ` (`BALCAO_CPF_CLIENT_ID`…).
pub fn env_word(api: ApiKind) -> &'static str {
    match api {
        ApiKind::SerproCpfV1 | ApiKind::SerproCpfV2 | ApiKind::ConectaCpfLight => "CPF",
        ApiKind::SerproCnpj | ApiKind::ConectaCnpj => "CNPJ",
        ApiKind::ExtraBase => "BASE",
    }
}

/// The environment variables of one API's credential: `(BALCAO_CPF_CLIENT_ID, BALCAO_CPF_CLIENT_SECRET)`.
pub fn api_env_vars(api: ApiKind) -> (String, String) {
    let word = env_word(api);
    (format!("BALCAO_{word}_CLIENT_ID"), format!("BALCAO_{word}_CLIENT_SECRET"))
}

/// The credentials of one client: the profile's shared one and any API's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialSet {
    shared: Option<Credentials>,
    per_api: Vec<(ApiKind, Credentials)>,
    /// The own credentials of extra bases (`credential = "own"`).
    per_base: Vec<(BaseId, Credentials)>,
}

impl CredentialSet {
    /// One credential for every API (the SERPRO case, Demonstração, a script's shared variables).
    pub fn shared(credentials: Credentials) -> Self {
        Self { shared: Some(credentials), per_api: Vec::new(), per_base: Vec::new() }
    }

    /// No credential yet: add them with [`CredentialSet::with_api`] (and [`CredentialSet::with_shared`]).
    pub fn empty() -> Self {
        Self::default()
    }

    /// This set with `credentials` as the shared one.
    pub fn with_shared(mut self, credentials: Credentials) -> Self {
        self.shared = Some(credentials);
        self
    }

    /// This set with `credentials` as `api`'s own (replacing any earlier one for it).
    pub fn with_api(mut self, api: ApiKind, credentials: Credentials) -> Self {
        self.per_api.retain(|(a, _)| *a != api);
        self.per_api.push((api, credentials));
        self
    }

    /// This set with `credentials` as the extra base `id`'s own.
    pub fn with_base(mut self, id: BaseId, credentials: Credentials) -> Self {
        self.per_base.retain(|(b, _)| *b != id);
        self.per_base.push((id, credentials));
        self
    }

    /// The credential an extra base uses: its own (never another) when it declares one, else the shared one.
    pub fn for_base(&self, base: &ExtraBase) -> Option<(CredentialScope, &Credentials)> {
        match base.credential {
            BaseCredential::Own => {
                self.per_base.iter().find(|(b, _)| *b == base.id).map(|(_, c)| (CredentialScope::Base(base.id), c))
            }
            BaseCredential::Profile => self.shared.as_ref().map(|c| (CredentialScope::AllApis, c)),
        }
    }

    /// The credential `api` uses, with the scope it is stored under: its own, else the shared one.
    pub fn for_api(&self, api: ApiKind) -> Option<(CredentialScope, &Credentials)> {
        match self.per_api.iter().find(|(a, _)| *a == api) {
            Some((_, c)) => Some((CredentialScope::Api(api), c)),
            None => self.shared.as_ref().map(|c| (CredentialScope::AllApis, c)),
        }
    }
}

/// One token manager per credential of a client: APIs that share a credential share its manager (one cache, one
/// request in flight, one renewal on 401); an API with its own credential has its own.
#[derive(Debug)]
pub(crate) struct TokenSet {
    by_api: Vec<(ApiKind, Arc<TokenManager>)>,
    managers: Vec<(CredentialScope, Arc<TokenManager>)>,
    /// Each extra base's manager, or why it has none (its calls are refused with that reason; the profile's
    /// own lookups are not affected).
    by_base: Vec<(BaseId, Result<Arc<TokenManager>, AppError>)>,
}

impl TokenSet {
    /// The managers of `profile`'s APIs, each refused (nothing sent) unless its credential may go to the
    /// profile's token endpoint under the binding (profile id, API scope, origin, token path).
    pub(crate) fn build(profile: &Profile, endpoints: &Endpoints, set: &CredentialSet) -> Result<Self, AppError> {
        let apis = profile_apis(profile);
        let Some(url) = endpoints.token()? else {
            let fixed = Arc::new(TokenManager::fixed_trial());
            let mut tokens = Self {
                by_api: apis.into_iter().map(|a| (a, fixed.clone())).collect(),
                managers: vec![(CredentialScope::AllApis, fixed)],
                by_base: Vec::new(),
            };
            tokens.build_bases(profile, None, set);
            return Ok(tokens);
        };
        let mut by_api = Vec::with_capacity(apis.len());
        let mut managers: Vec<(CredentialScope, Arc<TokenManager>)> = Vec::new();
        for api in apis {
            let (scope, credentials) = set.for_api(api).ok_or_else(|| none_for(profile, api))?;
            let manager = match managers.iter().find(|(s, _)| *s == scope) {
                Some((_, m)) => m.clone(),
                None => {
                    let binding = CredentialBinding::for_profile(profile, scope)?;
                    let m =
                        Arc::new(TokenManager::issued(url.clone(), binding, credentials.clone(), profile.provider)?);
                    managers.push((scope, m.clone()));
                    m
                }
            };
            by_api.push((api, manager));
        }
        let mut tokens = Self { by_api, managers, by_base: Vec::new() };
        tokens.build_bases(profile, Some(&url), set);
        Ok(tokens)
    }

    /// The managers of the profile's extra bases: one sharing the profile's shared credential's manager (and its
    /// token endpoint), or one per base with its own credential, sent only to its own token endpoint.
    fn build_bases(&mut self, profile: &Profile, profile_token: Option<&Url>, set: &CredentialSet) {
        for base in profile.bases() {
            let manager = self.base_manager(profile, base, profile_token, set);
            self.by_base.push((base.id, manager));
        }
    }

    fn base_manager(
        &mut self,
        profile: &Profile,
        base: &ExtraBase,
        profile_token: Option<&Url>,
        set: &CredentialSet,
    ) -> Result<Arc<TokenManager>, AppError> {
        let own = match (&base.origin, &base.token_path) {
            (Some(origin), Some(path)) => Some(join_origin(profile, base, origin, path)?),
            _ => None,
        };
        let url = match (own, profile_token) {
            (Some(url), _) => url,
            (None, Some(url)) => url.clone(),
            // The SERPRO trial: its public bearer, for the bases on its gateway.
            (None, None) => {
                return self
                    .managers
                    .iter()
                    .find(|(s, _)| *s == CredentialScope::AllApis)
                    .map(|(_, m)| m.clone())
                    .ok_or_else(|| AppError::from(ErrorCode::Internal));
            }
        };
        let (scope, credentials) = set.for_base(base).ok_or_else(|| base_without_credential(profile, base))?;
        if let Some((_, m)) = self.managers.iter().find(|(s, _)| *s == scope) {
            return Ok(m.clone());
        }
        let binding = CredentialBinding::for_base(profile, base)?;
        let m = Arc::new(TokenManager::issued(url, binding, credentials.clone(), profile.provider)?);
        self.managers.push((scope, m.clone()));
        Ok(m)
    }

    /// The manager of the extra base `id`'s credential, or why it has none.
    pub(crate) fn for_base(&self, id: BaseId) -> Result<&TokenManager, AppError> {
        match self.by_base.iter().find(|(b, _)| *b == id) {
            Some((_, Ok(m))) => Ok(m.as_ref()),
            Some((_, Err(e))) => Err(e.clone()),
            None => Err(AppError::new(
                ErrorCode::Forbidden,
                format!("A base «{id}» não está declarada neste perfil. Peça à TI para incluí-la."),
            )),
        }
    }

    /// The manager of `api`'s credential.
    pub(crate) fn for_api(&self, api: ApiKind) -> Result<&TokenManager, AppError> {
        self.by_api.iter().find(|(a, _)| *a == api).map(|(_, m)| m.as_ref()).ok_or_else(|| {
            AppError::new(
                ErrorCode::Config,
                format!("A API {} não está contratada neste perfil. Revise o perfil em Configurações.", api.label()),
            )
        })
    }

    /// Each credential once, with the APIs that use it.
    pub(crate) fn credentials(&self) -> Vec<(Vec<ApiKind>, &TokenManager)> {
        self.managers
            .iter()
            .map(|(_, m)| {
                let apis = self.by_api.iter().filter(|(_, b)| Arc::ptr_eq(b, m)).map(|(a, _)| *a).collect();
                (apis, m.as_ref())
            })
            .collect()
    }

    /// The state of the token that stops being used first (what the status bar shows); `None` before any.
    pub(crate) fn status(&self) -> Option<TokenStatus> {
        let states = self.managers.iter().filter_map(|(_, m)| m.status());
        states.min_by(|a, b| match (&a.valid_until, &b.valid_until) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    }

    /// Token requests sent, over every credential.
    pub(crate) fn requests(&self) -> u64 {
        self.managers.iter().map(|(_, m)| m.requests()).fold(0, u64::saturating_add)
    }
}

/// What "Testar" proved of one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCheck {
    /// The APIs that use this credential.
    pub apis: Vec<ApiKind>,
    /// A token was obtained from the gateway with it (false: the SERPRO trial's public bearer, no token call).
    pub token_issued: bool,
    /// The API whose unbilled health check accepted this credential's token, where the API has one.
    pub health_checked: Option<ApiKind>,
}

impl CredentialCheck {
    /// One pt-BR line for Configurações.
    pub fn summary(&self) -> String {
        let apis = self.apis.iter().map(|a| a.label()).collect::<Vec<_>>().join(", ");
        let token = if self.token_issued {
            "token de acesso obtido"
        } else {
            "token público do trial (nenhum pedido de token)"
        };
        match self.health_checked {
            Some(api) => format!("{apis}: {token}; verificação de saúde da {} respondeu.", api.label()),
            None => format!("{apis}: {token}."),
        }
    }
}

/// The token endpoint of a base with its own gateway.
fn join_origin(profile: &Profile, base: &ExtraBase, origin: &str, path: &str) -> Result<Url, AppError> {
    Url::parse(&format!("{}{path}", origin.trim_end_matches('/'))).map_err(|_| {
        AppError::new(
            ErrorCode::Config,
            format!(
                "Perfil «{}», outra base «{}»: o endereço do token «{origin}{path}» não é válido. Revise a declaração.",
                profile.id, base.id
            ),
        )
    })
}

fn base_without_credential(profile: &Profile, base: &ExtraBase) -> AppError {
    let which = match base.credential {
        BaseCredential::Own => "a credencial própria desta base",
        BaseCredential::Profile => "a credencial comum do perfil",
    };
    AppError::new(
        ErrorCode::Config,
        format!(
            "A base «{}» do perfil «{}» precisa de {which}, que não está gravada no cofre de senhas deste computador. \
             Peça à TI para cadastrá-la em Configurações.",
            base.name, profile.id
        ),
    )
}

fn none_for(profile: &Profile, api: ApiKind) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "O perfil «{}» não tem credencial para a API {} gravada no cofre de senhas deste computador (nem a \
             credencial comum do perfil). Peça à TI para cadastrar a chave e o segredo em Configurações.",
            profile.id,
            api.label()
        ),
    )
}

/// Reads every credential `profile` needs from the keyring: each API's own where stored, the shared one for the
/// others. A missing credential is `Config`; a keyring failure `KeychainUnavailable`. Where each may be sent is
/// checked when the client is built (their bindings are read with them).
pub fn credential_set_from_store(store: &dyn SecretStore, profile: &Profile) -> Result<CredentialSet, AppError> {
    let mut set = CredentialSet::empty();
    let mut needs_shared = None;
    for api in profile_apis(profile) {
        match try_scoped_credentials_from_store(store, &profile.id, CredentialScope::Api(api))? {
            Some(own) => set = set.with_api(api, own),
            None => needs_shared = needs_shared.or(Some(api)),
        }
    }
    if let Some(api) = needs_shared {
        let shared = try_scoped_credentials_from_store(store, &profile.id, CredentialScope::AllApis)?
            .ok_or_else(|| none_for(profile, api))?;
        set = set.with_shared(shared);
    } else if profile.bases().iter().any(|b| b.credential == BaseCredential::Profile)
        && let Some(shared) = try_scoped_credentials_from_store(store, &profile.id, CredentialScope::AllApis)?
    {
        set = set.with_shared(shared);
    }
    for base in profile.bases().iter().filter(|b| b.credential == BaseCredential::Own) {
        // A base whose credential is missing is refused when called; the profile's lookups still work.
        if let Some(own) = try_scoped_credentials_from_store(store, &profile.id, CredentialScope::Base(base.id))? {
            set = set.with_base(base.id, own);
        }
    }
    Ok(set)
}

/// Reads `profile`'s credentials from the environment (for scripts; never from a file): `BALCAO_CPF_CLIENT_ID`
/// and `BALCAO_CPF_CLIENT_SECRET` for the CPF API, `BALCAO_CNPJ_…` for the CNPJ API, and `BALCAO_CLIENT_ID` /
/// `BALCAO_CLIENT_SECRET` for every API without its own.
pub fn credential_set_from_env(profile: &Profile) -> Result<CredentialSet, AppError> {
    credential_set_from_vars(profile, |k| std::env::var(k).ok())
}

pub(crate) fn credential_set_from_vars(
    profile: &Profile,
    var: impl Fn(&str) -> Option<String>,
) -> Result<CredentialSet, AppError> {
    let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    let pair = |id: &str, secret: &str| -> Result<Option<Credentials>, AppError> {
        match (get(id), get(secret)) {
            (Some(i), Some(s)) => Ok(Some(Credentials::new(i.trim(), s))),
            (None, None) => Ok(None),
            _ => Err(AppError::new(
                ErrorCode::Config,
                format!("Defina as duas variáveis de ambiente {id} e {secret} (falta uma delas)."),
            )),
        }
    };
    let mut set = CredentialSet::empty();
    if let Some(shared) = pair(CLIENT_ID_ENV, CLIENT_SECRET_ENV)? {
        set = set.with_shared(shared);
    }
    for api in profile_apis(profile) {
        let (id, secret) = api_env_vars(api);
        if let Some(own) = pair(&id, &secret)? {
            set = set.with_api(api, own);
        } else if set.shared.is_none() {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "Defina as variáveis de ambiente {id} e {secret} (credencial da API {}) ou {CLIENT_ID_ENV} e \
                     {CLIENT_SECRET_ENV} (credencial comum a todas as APIs do perfil).",
                    api.label()
                ),
            ));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use balcao_core::Cpf;
    use balcao_platform::MemoryStore;

    use super::*;
    use crate::credentials::{CredentialBinding, store_credentials};

    fn conecta() -> Profile {
        let mut p = Profile::demo_conecta(
            "https://h-apigateway.conectagov.np.estaleiro.serpro.gov.br",
            Cpf::parse("00000000191").unwrap(),
        );
        p.id = "conecta-h".into();
        p.environment = balcao_core::api::Environment::Homologacao;
        p
    }

    #[test]
    fn apis_of_a_profile() {
        assert_eq!(profile_apis(&conecta()), [ApiKind::ConectaCpfLight, ApiKind::ConectaCnpj]);
        let mut cnpj_only = conecta();
        cnpj_only.cpf_api = None;
        assert_eq!(profile_apis(&cnpj_only), [ApiKind::ConectaCnpj]);
        assert_eq!(api_env_vars(ApiKind::ConectaCpfLight).0, "BALCAO_CPF_CLIENT_ID");
        assert_eq!(api_env_vars(ApiKind::SerproCnpj).1, "BALCAO_CNPJ_CLIENT_SECRET");
    }

    // Source: apis.md §8 A4 (one Conecta credential per API).
    #[test]
    fn each_api_reads_its_own_credential_and_falls_back_to_the_shared_one() {
        // Without «outras bases»: a base on the profile's credential needs the shared one (checked at the end).
        let p = Profile { extra_bases: None, ..conecta() };
        let store = MemoryStore::new();
        let e = credential_set_from_store(&store, &p).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("Conecta CPF Light"), "{}", e.message);
        let cpf = CredentialScope::Api(ApiKind::ConectaCpfLight);
        let b = CredentialBinding::for_profile(&p, cpf).unwrap();
        store_credentials(&store, &b, &Credentials::new("cpf-id", "cpf-secret")).unwrap();
        let e = credential_set_from_store(&store, &p).unwrap_err();
        assert!(e.message.contains("Conecta Consulta CNPJ"), "the CNPJ API has none: {}", e.message);
        let shared = CredentialBinding::for_profile(&p, CredentialScope::AllApis).unwrap();
        store_credentials(&store, &shared, &Credentials::new("shared-id", "shared-secret")).unwrap();
        let set = credential_set_from_store(&store, &p).unwrap();
        let (scope, c) = set.for_api(ApiKind::ConectaCpfLight).unwrap();
        assert_eq!((scope, c.client_id.as_str()), (cpf, "cpf-id"));
        let (scope, c) = set.for_api(ApiKind::ConectaCnpj).unwrap();
        assert_eq!((scope, c.client_id.as_str()), (CredentialScope::AllApis, "shared-id"));
        let cnpj = CredentialScope::Api(ApiKind::ConectaCnpj);
        let b = CredentialBinding::for_profile(&p, cnpj).unwrap();
        store_credentials(&store, &b, &Credentials::new("cnpj-id", "cnpj-secret")).unwrap();
        let set = credential_set_from_store(&store, &p).unwrap();
        assert_eq!(set.for_api(ApiKind::ConectaCnpj).unwrap().1.client_id, "cnpj-id");
        assert!(set.shared.is_none(), "the shared credential is not read when every API has its own");
        let with_bases = conecta();
        assert!(
            credential_set_from_store(&store, &with_bases).unwrap().shared.is_some(),
            "a base declared on the profile's credential reads the shared one"
        );
        assert_eq!(
            credential_set_from_store(&MemoryStore::unavailable(), &p).unwrap_err().code,
            ErrorCode::KeychainUnavailable
        );
    }

    // Source: apis.md §8 A7 (◐, a 2025+ client): the current Conecta homologation host is `….np.…`; §2.1 (S5, S7,
    // S9) the older one. The example file follows the current one and either stays a plain, configurable baseUrl.
    #[test]
    fn the_example_conecta_homologation_address_is_the_current_one_and_stays_configurable() {
        let text = include_str!("../../../../docs/examples/profiles.toml");
        let profiles = crate::profiles::load_profiles_toml(text).unwrap();
        let h = profiles
            .iter()
            .find(|p| {
                p.provider == balcao_core::api::Provider::Conecta
                    && p.environment == balcao_core::api::Environment::Homologacao
            })
            .unwrap();
        assert_eq!(h.base_url, "https://h-apigateway.conectagov.np.estaleiro.serpro.gov.br");
        let old = Profile { base_url: "https://h-apigateway.conectagov.estaleiro.serpro.gov.br".into(), ..h.clone() };
        crate::GovClient::new(old, Credentials::new("id", "secret")).expect("the older address is still accepted");
    }

    #[test]
    fn environment_variables_per_api_and_shared() {
        let p = conecta();
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        let set = credential_set_from_vars(
            &p,
            vars(&[
                ("BALCAO_CPF_CLIENT_ID", "cpf-id"),
                ("BALCAO_CPF_CLIENT_SECRET", "cpf-secret"),
                ("BALCAO_CNPJ_CLIENT_ID", "cnpj-id"),
                ("BALCAO_CNPJ_CLIENT_SECRET", "cnpj-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(set.for_api(ApiKind::ConectaCpfLight).unwrap().1.client_id, "cpf-id");
        assert_eq!(set.for_api(ApiKind::ConectaCnpj).unwrap().1.client_secret.expose(), "cnpj-secret");
        let set = credential_set_from_vars(
            &p,
            vars(&[
                ("BALCAO_CLIENT_ID", "shared"),
                ("BALCAO_CLIENT_SECRET", "s"),
                ("BALCAO_CNPJ_CLIENT_ID", "cnpj-id"),
                ("BALCAO_CNPJ_CLIENT_SECRET", "cnpj-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(set.for_api(ApiKind::ConectaCpfLight).unwrap().1.client_id, "shared");
        assert_eq!(set.for_api(ApiKind::ConectaCnpj).unwrap().1.client_id, "cnpj-id");
        let e = credential_set_from_vars(&p, vars(&[("BALCAO_CPF_CLIENT_ID", "x"), ("BALCAO_CPF_CLIENT_SECRET", "y")]))
            .unwrap_err();
        assert!(e.message.contains("BALCAO_CNPJ_CLIENT_ID"), "{}", e.message);
        let e = credential_set_from_vars(&p, vars(&[("BALCAO_CPF_CLIENT_ID", "x")])).unwrap_err();
        assert!(e.message.contains("falta uma"), "{}", e.message);
    }
}
