//! Client credentials: from the OS keyring (the app), from environment variables (scripts), or the demo pair.

use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::SecretStore;

/// The Demonstração client id, accepted by the embedded simulator.
pub const DEMO_CLIENT_ID: &str = "balcao-demo";
/// The Demonstração client secret, accepted by the embedded simulator (public by design).
pub const DEMO_CLIENT_SECRET: &str = "balcao-demo-secret";

/// Environment variable holding the client id when the CLI is told `--credentials-from-env`.
pub const CLIENT_ID_ENV: &str = "BALCAO_CLIENT_ID";
/// Environment variable holding the client secret when the CLI is told `--credentials-from-env`.
pub const CLIENT_SECRET_ENV: &str = "BALCAO_CLIENT_SECRET";

/// A gateway's consumer key and secret (SERPRO) or client id and secret (Conecta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Sensitive<String>,
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self { client_id: client_id.into(), client_secret: Sensitive::new(client_secret.into()) }
    }

    /// The pair the simulator accepts in Demonstração.
    pub fn demo() -> Self {
        Self::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    }
}

/// The keyring key of a profile's client id.
pub fn client_id_key(profile_id: &str) -> String {
    format!("profile/{profile_id}/client-id")
}

/// The keyring key of a profile's client secret.
pub fn client_secret_key(profile_id: &str) -> String {
    format!("profile/{profile_id}/client-secret")
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

/// Reads a profile's credentials from the secret store (keys `profile/{id}/client-id` and
/// `profile/{id}/client-secret`). A missing entry is `Config`; a keyring failure is `KeychainUnavailable`.
pub fn credentials_from_store(store: &dyn SecretStore, profile_id: &str) -> Result<Credentials, AppError> {
    let id = store.get(&client_id_key(profile_id)).map_err(AppError::from)?;
    let secret = store.get(&client_secret_key(profile_id)).map_err(AppError::from)?;
    let id = id
        .map(Sensitive::into_inner)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| missing(profile_id, "a chave (client id)"))?;
    let secret =
        secret.filter(|s| !s.expose().is_empty()).ok_or_else(|| missing(profile_id, "o segredo (client secret)"))?;
    Ok(Credentials { client_id: id.trim().to_owned(), client_secret: secret })
}

/// Stores a profile's credentials in the secret store (what Configurações does when IT types them).
pub fn store_credentials(store: &dyn SecretStore, profile_id: &str, credentials: &Credentials) -> Result<(), AppError> {
    store.set(&client_id_key(profile_id), &Sensitive::new(credentials.client_id.clone())).map_err(AppError::from)?;
    store.set(&client_secret_key(profile_id), &credentials.client_secret).map_err(AppError::from)?;
    Ok(())
}

/// Reads credentials from `BALCAO_CLIENT_ID` and `BALCAO_CLIENT_SECRET` (for scripts; never from a file).
pub fn credentials_from_env() -> Result<Credentials, AppError> {
    credentials_from_vars(|k| std::env::var(k).ok())
}

fn credentials_from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Credentials, AppError> {
    let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    match (get(CLIENT_ID_ENV), get(CLIENT_SECRET_ENV)) {
        (Some(id), Some(secret)) => {
            Ok(Credentials { client_id: id.trim().to_owned(), client_secret: Sensitive::new(secret) })
        }
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
    use balcao_platform::MemoryStore;

    #[test]
    fn store_round_trip_and_missing_entries() {
        let store = MemoryStore::new();
        let e = credentials_from_store(&store, "serpro-prod").unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("serpro-prod"));
        store_credentials(&store, "serpro-prod", &Credentials::new("key", "s3cr3t")).unwrap();
        assert_eq!(store.get("profile/serpro-prod/client-id").unwrap().unwrap().expose(), "key");
        assert_eq!(store.get("profile/serpro-prod/client-secret").unwrap().unwrap().expose(), "s3cr3t");
        let c = credentials_from_store(&store, "serpro-prod").unwrap();
        assert_eq!(c.client_id, "key");
        assert_eq!(c.client_secret.expose(), "s3cr3t");
        store.delete("profile/serpro-prod/client-secret").unwrap();
        assert!(credentials_from_store(&store, "serpro-prod").unwrap_err().message.contains("segredo"));
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
