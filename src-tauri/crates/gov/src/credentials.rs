//! Client credentials and where they may go: keyring (with their binding), environment (scripts) or the demo pair.

use balcao_core::extra_base::{BaseCredential, BaseId, ExtraBase};
use balcao_core::profile::Profile;
use balcao_core::record::ApiKind;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::{SecretError, SecretStore};
use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::endpoints::Endpoints;
use crate::transport::check_base_url;

/// The Demonstração client id, accepted by the embedded simulator.
pub const DEMO_CLIENT_ID: &str = "balcao-demo";
/// The Demonstração client secret, accepted by the embedded simulator (public by design).
pub const DEMO_CLIENT_SECRET: &str = "balcao-demo-secret";

/// Environment variable holding the client id when the CLI is told `--credentials-from-env`.
pub const CLIENT_ID_ENV: &str = "BALCAO_CLIENT_ID";
/// Environment variable holding the client secret when the CLI is told `--credentials-from-env`.
pub const CLIENT_SECRET_ENV: &str = "BALCAO_CLIENT_SECRET";

/// Which APIs of a profile a credential is for: the part of the binding key that lets a profile hold one
/// credential shared by every API (SERPRO) or one per API (Conecta, #15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CredentialScope {
    /// One credential for every API the profile calls.
    AllApis,
    /// The credential of one API.
    Api(ApiKind),
    /// The own credential of one extra base (#19), bound to the base's origin and token endpoint.
    Base(BaseId),
}

impl CredentialScope {
    /// The keyring key prefix of this scope's entries: `profile/{id}` or `profile/{id}/api/{api}`.
    fn key_prefix(self, profile_id: &str) -> String {
        match self {
            CredentialScope::AllApis => format!("profile/{profile_id}"),
            CredentialScope::Api(api) => format!("profile/{profile_id}/api/{}", api.as_str()),
            CredentialScope::Base(id) => format!("profile/{profile_id}/base/{id}"),
        }
    }
}

/// Where a stored credential may be sent: the binding key (profile id, API scope, origin of `baseUrl`, token
/// path). Stored beside the credential when IT enters it; the client refuses to send the secret anywhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialBinding {
    pub profile_id: String,
    pub scope: CredentialScope,
    /// Scheme, host and port as the `url` crate serialises an origin (host case-folded and IDNA-encoded,
    /// default port left out), e.g. `https://gateway.apiserpro.serpro.gov.br`.
    pub origin: String,
    /// The token endpoint's path relative to `baseUrl` (`/token`, `/oauth2/jwt-token` or the profile's
    /// override); empty for a profile with no token endpoint (the SERPRO trial's public bearer).
    pub token_path: String,
}

/// Version tag of the binding entry's JSON in the keyring.
const BINDING_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StoredBinding {
    version: u32,
    #[serde(flatten)]
    binding: CredentialBinding,
}

/// The origin of a URL, normalised as the `url` crate does (`https://host[:port]`).
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl CredentialBinding {
    /// The binding a credential of `scope` would need to be sent by a client of `profile` as it is configured
    /// now (the URL is checked as the client checks it).
    pub fn for_profile(profile: &Profile, scope: CredentialScope) -> Result<Self, AppError> {
        let base = check_base_url(profile)?;
        let endpoints = Endpoints::new(profile, &base);
        Ok(Self {
            profile_id: profile.id.clone(),
            scope,
            origin: origin_of(&base),
            token_path: endpoints.token_path().unwrap_or_default().to_owned(),
        })
    }

    /// The binding an extra base's credential needs: the base's own origin and token path when it declares them
    /// (its own credential), else the profile's (the shared credential's binding, or its own scope's).
    pub fn for_base(profile: &Profile, base: &ExtraBase) -> Result<Self, AppError> {
        let scope = match base.credential {
            BaseCredential::Own => CredentialScope::Base(base.id),
            BaseCredential::Profile => CredentialScope::AllApis,
        };
        let mut binding = Self::for_profile(profile, scope)?;
        if let (Some(origin), Some(token)) = (&base.origin, &base.token_path) {
            let url = Url::parse(origin).map_err(|_| {
                AppError::new(
                    ErrorCode::Config,
                    format!("Perfil «{}», outra base «{}»: o endereço «{origin}» não é válido.", profile.id, base.id),
                )
            })?;
            binding.origin = origin_of(&url);
            binding.token_path = token.clone();
        }
        Ok(binding)
    }

    /// Where this binding lets the secret go, for messages: origin and token path.
    fn address(&self) -> String {
        format!("{}{}", self.origin, self.token_path)
    }
}

/// Where a [`Credentials`] value came from, which decides where it may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    /// Given for this run by whoever runs it (environment variables of a script, the public Demonstração pair):
    /// it goes to the profile that run names.
    Supplied,
    /// Read from the keyring with the binding stored beside it (`None`: stored before bindings existed, or the
    /// binding entry is missing or unreadable).
    Stored(Option<CredentialBinding>),
}

/// A gateway's consumer key and secret (SERPRO) or client id and secret (Conecta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Sensitive<String>,
    destination: Destination,
}

impl Credentials {
    /// Credentials given for this run (typed, from the environment): not bound to a stored address.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: Sensitive::new(client_secret.into()),
            destination: Destination::Supplied,
        }
    }

    /// The pair the simulator accepts in Demonstração.
    pub fn demo() -> Self {
        Self::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    }

    /// The binding read from the keyring with these credentials (`None` when they were not read from it, or
    /// were stored without one).
    pub fn binding(&self) -> Option<&CredentialBinding> {
        match &self.destination {
            Destination::Stored(b) => b.as_ref(),
            Destination::Supplied => None,
        }
    }

    /// Whether these credentials may be sent where `wanted` says; a pt-BR refusal asking IT to enter them again
    /// for the new address when they were stored for another one (or before bindings existed). Nothing is deleted.
    pub fn may_go_to(&self, wanted: &CredentialBinding) -> Result<(), AppError> {
        match &self.destination {
            Destination::Supplied => Ok(()),
            Destination::Stored(Some(bound)) if bound == wanted => Ok(()),
            Destination::Stored(Some(bound)) => Err(rebind_error(
                wanted,
                &format!(
                    "foi gravada para outro endereço ({}) e o perfil agora aponta para {}",
                    bound.address(),
                    wanted.address()
                ),
            )),
            Destination::Stored(None) => Err(rebind_error(
                wanted,
                &format!(
                    "foi gravada sem o endereço a que pertence (por uma versão anterior do Balcão) e o perfil aponta para {}",
                    wanted.address()
                ),
            )),
        }
    }
}

fn rebind_error(wanted: &CredentialBinding, why: &str) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "A credencial do perfil «{}» {why}. Por segurança, o segredo não foi enviado. Se a TI mudou o endereço do \
             gateway, informe de novo a chave e o segredo em Configurações para o novo endereço (a credencial \
             gravada continua no cofre de senhas).",
            wanted.profile_id
        ),
    )
}

/// The keyring key of a profile's client id (the credential shared by all its APIs).
pub fn client_id_key(profile_id: &str) -> String {
    scoped_key(profile_id, CredentialScope::AllApis, "client-id")
}

/// The keyring key of a profile's client secret (the credential shared by all its APIs).
pub fn client_secret_key(profile_id: &str) -> String {
    scoped_key(profile_id, CredentialScope::AllApis, "client-secret")
}

/// The keyring key of the binding stored with a profile's shared credential.
pub fn binding_key(profile_id: &str) -> String {
    scoped_key(profile_id, CredentialScope::AllApis, "binding")
}

fn scoped_key(profile_id: &str, scope: CredentialScope, entry: &str) -> String {
    format!("{}/{entry}", scope.key_prefix(profile_id))
}

/// Every keyring key of one credential (client id, secret, binding), e.g. to delete them with the profile.
pub fn credential_keys(profile_id: &str, scope: CredentialScope) -> [String; 3] {
    ["client-id", "client-secret", "binding"].map(|entry| scoped_key(profile_id, scope, entry))
}

fn missing(profile_id: &str, what: &str) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "O perfil «{profile_id}» não tem {what} gravado no cofre de senhas deste computador. Peça à TI para \
             cadastrar a chave e o segredo em Configurações."
        ),
    )
}

/// Reads a profile's shared credentials from the secret store (keys `profile/{id}/client-id`,
/// `profile/{id}/client-secret` and the binding `profile/{id}/binding`). A missing entry is `Config`; a keyring
/// failure is `KeychainUnavailable`. Where they may be sent is checked when a client is built with them.
pub fn credentials_from_store(store: &dyn SecretStore, profile_id: &str) -> Result<Credentials, AppError> {
    scoped_credentials_from_store(store, profile_id, CredentialScope::AllApis)
}

/// [`credentials_from_store`] for a credential of one scope.
pub fn scoped_credentials_from_store(
    store: &dyn SecretStore,
    profile_id: &str,
    scope: CredentialScope,
) -> Result<Credentials, AppError> {
    try_scoped_credentials_from_store(store, profile_id, scope)?
        .ok_or_else(|| missing(profile_id, "a chave (client id)"))
}

/// [`scoped_credentials_from_store`], with `None` when no client id is stored for `scope` (the caller then falls
/// back to another credential); the client id is read once.
pub fn try_scoped_credentials_from_store(
    store: &dyn SecretStore,
    profile_id: &str,
    scope: CredentialScope,
) -> Result<Option<Credentials>, AppError> {
    let id = store.get(&scoped_key(profile_id, scope, "client-id")).map_err(AppError::from)?;
    let Some(id) = id.map(Sensitive::into_inner).filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let secret = store.get(&scoped_key(profile_id, scope, "client-secret")).map_err(AppError::from)?;
    let secret =
        secret.filter(|s| !s.expose().is_empty()).ok_or_else(|| missing(profile_id, "o segredo (client secret)"))?;
    let binding = stored_binding(store, profile_id, scope).map_err(AppError::from)?;
    Ok(Some(Credentials {
        client_id: id.trim().to_owned(),
        client_secret: secret,
        destination: Destination::Stored(binding),
    }))
}

/// The binding stored with a credential: `None` when there is none or it cannot be read (an entry written by a
/// version before bindings, or damaged), which the client refuses as it refuses another address.
pub fn stored_binding(
    store: &dyn SecretStore,
    profile_id: &str,
    scope: CredentialScope,
) -> Result<Option<CredentialBinding>, SecretError> {
    let raw = store.get(&scoped_key(profile_id, scope, "binding"))?;
    Ok(raw
        .and_then(|v| serde_json::from_str::<StoredBinding>(v.expose()).ok())
        .filter(|s| s.version == BINDING_VERSION)
        .map(|s| s.binding)
        .filter(|b| b.profile_id == profile_id && b.scope == scope))
}

/// Stores a credential with the binding of where it may be sent (what Configurações does when IT types them).
/// The old binding goes first and the new one last, so an interrupted write leaves a credential that is refused
/// (and entered again), never a new secret bound to an old address.
pub fn store_credentials(
    store: &dyn SecretStore,
    binding: &CredentialBinding,
    credentials: &Credentials,
) -> Result<(), AppError> {
    let [id_key, secret_key, binding_key] = credential_keys(&binding.profile_id, binding.scope);
    let stored = StoredBinding { version: BINDING_VERSION, binding: binding.clone() };
    let json = serde_json::to_string(&stored).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
    store.delete(&binding_key).map_err(AppError::from)?;
    store.set(&id_key, &Sensitive::new(credentials.client_id.clone())).map_err(AppError::from)?;
    store.set(&secret_key, &credentials.client_secret).map_err(AppError::from)?;
    store.set(&binding_key, &Sensitive::new(json)).map_err(AppError::from)?;
    Ok(())
}

/// Reads credentials from `BALCAO_CLIENT_ID` and `BALCAO_CLIENT_SECRET` (for scripts; never from a file).
pub fn credentials_from_env() -> Result<Credentials, AppError> {
    credentials_from_vars(|k| std::env::var(k).ok())
}

fn credentials_from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Credentials, AppError> {
    let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    match (get(CLIENT_ID_ENV), get(CLIENT_SECRET_ENV)) {
        (Some(id), Some(secret)) => Ok(Credentials::new(id.trim(), secret)),
        _ => Err(AppError::new(
            ErrorCode::Config,
            format!(
                "Defina as variáveis de ambiente {CLIENT_ID_ENV} e {CLIENT_SECRET_ENV} com a chave e o segredo do perfil."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::profile::PathOverrides;
    use balcao_platform::MemoryStore;

    fn production(base_url: &str) -> Profile {
        let mut p = Profile::demo(base_url);
        p.id = "serpro-prod".into();
        p.environment = balcao_core::api::Environment::Producao;
        p
    }

    fn shared(p: &Profile) -> CredentialBinding {
        CredentialBinding::for_profile(p, CredentialScope::AllApis).unwrap()
    }

    #[test]
    fn store_round_trip_and_missing_entries() {
        let store = MemoryStore::new();
        let e = credentials_from_store(&store, "serpro-prod").unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("serpro-prod"));
        let p = production("https://gateway.apiserpro.serpro.gov.br");
        store_credentials(&store, &shared(&p), &Credentials::new("key", "s3cr3t")).unwrap();
        assert_eq!(store.get("profile/serpro-prod/client-id").unwrap().unwrap().expose(), "key");
        assert_eq!(store.get("profile/serpro-prod/client-secret").unwrap().unwrap().expose(), "s3cr3t");
        let binding = store.get("profile/serpro-prod/binding").unwrap().unwrap();
        assert!(!binding.expose().contains("s3cr3t"), "the binding entry holds no secret");
        let c = credentials_from_store(&store, "serpro-prod").unwrap();
        assert_eq!(c.client_id, "key");
        assert_eq!(c.client_secret.expose(), "s3cr3t");
        assert_eq!(c.binding(), Some(&shared(&p)));
        c.may_go_to(&shared(&p)).unwrap();
        store.delete("profile/serpro-prod/client-secret").unwrap();
        assert!(credentials_from_store(&store, "serpro-prod").unwrap_err().message.contains("segredo"));
    }

    #[test]
    fn origin_is_scheme_host_and_port_normalised_as_the_url_crate_does() {
        let origin = |u: &str| origin_of(&Url::parse(u).unwrap());
        assert_eq!(origin("https://Gateway.Example:443/a/b"), "https://gateway.example");
        assert_eq!(origin("HTTPS://gateway.example/"), "https://gateway.example");
        assert_eq!(origin("https://gateway.example:8443"), "https://gateway.example:8443");
        assert_eq!(origin("http://127.0.0.1:80/x"), "http://127.0.0.1");
        assert_eq!(origin("https://bücher.example"), "https://xn--bcher-kva.example");
        assert_ne!(origin("http://localhost:1"), origin("http://127.0.0.1:1"), "another host name is another origin");
    }

    #[test]
    fn another_origin_or_token_path_is_refused_but_another_base_path_is_not() {
        let p = production("https://gateway.apiserpro.serpro.gov.br");
        let store = MemoryStore::new();
        store_credentials(&store, &shared(&p), &Credentials::new("key", "s3cr3t")).unwrap();
        let c = credentials_from_store(&store, &p.id).unwrap();
        let mut prefixed = p.clone();
        prefixed.base_url = "https://GATEWAY.apiserpro.serpro.gov.br:443/outra-base".into();
        c.may_go_to(&shared(&prefixed)).unwrap();
        for moved in [
            production("https://gateway.example"),
            production("https://gateway.apiserpro.serpro.gov.br:8443"),
            production("http://127.0.0.1:8080"),
            Profile { paths: PathOverrides { token: Some("/token2".into()), ..Default::default() }, ..p.clone() },
        ] {
            let e = c.may_go_to(&shared(&moved)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config);
            assert!(e.message.contains("informe de novo") && e.message.contains("outro endereço"), "{}", e.message);
            assert!(!e.message.contains("s3cr3t"));
        }
        let mut other_id = p.clone();
        other_id.id = "outro".into();
        assert!(c.may_go_to(&shared(&other_id)).is_err(), "another profile id");
        let per_api = CredentialBinding::for_profile(&p, CredentialScope::Api(ApiKind::SerproCnpj)).unwrap();
        assert!(c.may_go_to(&per_api).is_err(), "a shared credential is not one API's credential");
    }

    #[test]
    fn credentials_stored_before_bindings_are_refused_with_the_re_enter_message() {
        let store = MemoryStore::new();
        store.set(&client_id_key("serpro-prod"), &Sensitive::new("key".into())).unwrap();
        store.set(&client_secret_key("serpro-prod"), &Sensitive::new("s3cr3t".into())).unwrap();
        let c = credentials_from_store(&store, "serpro-prod").unwrap();
        assert_eq!(c.binding(), None);
        let e = c.may_go_to(&shared(&production("https://gateway.apiserpro.serpro.gov.br"))).unwrap_err();
        assert!(e.message.contains("versão anterior") && e.message.contains("informe de novo"), "{}", e.message);
        store.set(&binding_key("serpro-prod"), &Sensitive::new("{not json".into())).unwrap();
        assert_eq!(credentials_from_store(&store, "serpro-prod").unwrap().binding(), None, "unreadable binding");
        assert!(store.get(&client_secret_key("serpro-prod")).unwrap().is_some(), "refused, never deleted");
    }

    #[test]
    fn per_api_credentials_have_their_own_keys_and_binding() {
        let store = MemoryStore::new();
        let p = production("https://gateway.apiserpro.serpro.gov.br");
        let scope = CredentialScope::Api(ApiKind::SerproCnpj);
        let b = CredentialBinding::for_profile(&p, scope).unwrap();
        store_credentials(&store, &b, &Credentials::new("cnpj-key", "cnpj-secret")).unwrap();
        assert_eq!(
            credential_keys("serpro-prod", scope),
            [
                "profile/serpro-prod/api/serproCnpj/client-id",
                "profile/serpro-prod/api/serproCnpj/client-secret",
                "profile/serpro-prod/api/serproCnpj/binding"
            ]
        );
        assert!(credentials_from_store(&store, "serpro-prod").is_err(), "not the shared credential");
        let c = scoped_credentials_from_store(&store, "serpro-prod", scope).unwrap();
        assert_eq!(c.client_id, "cnpj-key");
        c.may_go_to(&b).unwrap();
    }

    #[test]
    fn supplied_credentials_carry_no_binding() {
        let c = Credentials::new("id", "secret");
        assert_eq!(c.binding(), None);
        c.may_go_to(&shared(&production("https://gateway.example"))).unwrap();
    }

    #[test]
    fn unavailable_keyring_is_keychain_unavailable() {
        let e = credentials_from_store(&MemoryStore::unavailable(), "p").unwrap_err();
        assert_eq!(e.code, ErrorCode::KeychainUnavailable);
    }

    #[test]
    fn env_vars_and_debug_never_shows_the_secret() {
        let vars = |k: &str| match k {
            CLIENT_ID_ENV => Some("id".to_owned()),
            CLIENT_SECRET_ENV => Some("very-secret".to_owned()),
            _ => None,
        };
        let c = credentials_from_vars(vars).unwrap();
        assert_eq!(c.client_secret.expose(), "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
        assert_eq!(credentials_from_vars(|_| None).unwrap_err().code, ErrorCode::Config);
    }
}
