//! Profiles: list, save, delete, activate (rebuilding the client), write-only credentials, connection test.

use std::net::SocketAddr;
use std::sync::Arc;

use balcao_core::api::{AppInfo, Environment, Settings};
use balcao_core::profile::{ApiCredentialsState, CredentialsState, DEMO_PROFILE_ID, Profile, ProfileEntry};
use balcao_core::record::ApiKind;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_gov::{CredentialBinding, CredentialScope, Credentials, GovClient, check_extra_ca_file, store_credentials};
use balcao_platform::SecretStore;
use balcao_sim::SimHandle;

use crate::Active;
use crate::lookup::app_info;
use crate::session::{CredentialSource, build_client};
use crate::shared::{ActiveCell, HistoryCell, SettingsCell, SimCell};
use crate::start::{find_profile, start_sim};

/// The profile use cases. Holds settings.json (where profiles are kept), the keyring (write-only credentials), the
/// active profile and its client, the history (whose counters seed a new client's quota) and the Demonstração
/// simulator.
#[derive(Debug)]
pub struct ProfilesService {
    settings: Arc<SettingsCell>,
    secrets: Arc<dyn SecretStore>,
    active: Arc<ActiveCell>,
    history: Arc<HistoryCell>,
    sim: Arc<SimCell>,
    sim_addr: SocketAddr,
}

impl ProfilesService {
    pub(crate) fn new(
        settings: &Arc<SettingsCell>,
        secrets: &Arc<dyn SecretStore>,
        active: &Arc<ActiveCell>,
        history: &Arc<HistoryCell>,
        sim: &Arc<SimCell>,
        sim_addr: SocketAddr,
    ) -> Self {
        Self {
            settings: settings.clone(),
            secrets: secrets.clone(),
            active: active.clone(),
            history: history.clone(),
            sim: sim.clone(),
            sim_addr,
        }
    }

    /// Demonstração first, then the configured profiles.
    pub async fn list(&self) -> Vec<Profile> {
        let demo_url =
            self.sim.read().await.as_ref().map_or_else(|| format!("http://{}", self.sim_addr), SimHandle::base_url);
        let mut out = vec![Profile::demo(&demo_url)];
        out.extend(self.settings.read().await.profiles.iter().cloned());
        out
    }

    /// [`ProfilesService::list`], each with whether its credentials are in the keyring (asked without reading them out)
    /// and whether it is one of the agency's (managed: not editable here).
    pub async fn entries(&self) -> Vec<ProfileEntry> {
        let profiles = self.list().await;
        let managed: Vec<bool> = profiles.iter().map(|p| self.settings.policy.is_managed_profile(&p.id)).collect();
        let secrets = self.secrets.clone();
        // The agency's profiles' credentials are in the machine store.
        let machine = crate::agency_credentials::machine_store_under(&self.settings.policy);
        let states = tokio::task::spawn_blocking(move || {
            profiles
                .into_iter()
                .zip(managed)
                .map(|(p, managed)| {
                    let store = match (&machine, managed) {
                        (Some(m), true) => m.as_ref(),
                        _ => secrets.as_ref(),
                    };
                    let shared = credentials_state(store, &p, CredentialScope::AllApis);
                    let own = api_credentials_states(store, &p);
                    let credentials = effective_state(shared, &own);
                    ProfileEntry { profile: p, credentials, api_credentials: Some(own), managed }
                })
                .collect::<Vec<_>>()
        })
        .await;
        states.unwrap_or_default()
    }

    /// Saves a profile of the clerk's own (new, or replacing theirs of the same id). Refused for an agency profile
    /// (managed), for a new one where the policy does not let clerks add profiles, and while the policy is broken.
    pub async fn save(&self, profile: Profile) -> Result<(), AppError> {
        if profile.id == DEMO_PROFILE_ID {
            return Err(AppError::new(ErrorCode::Config, "A Demonstração é fixa e não pode ser alterada."));
        }
        {
            let own = self.settings.write().await;
            self.settings.policy.check_profile_save(&profile.id, own.profiles.iter().any(|p| p.id == profile.id))?;
        }
        profile.validate()?;
        if let Some(name) = &profile.quota_time_zone {
            crate::session::quota_zone(name)?;
        }
        let checked = profile.clone();
        tokio::task::spawn_blocking(move || check_extra_ca_file(&checked).map(|_| ()))
            .await
            .map_err(|e| crate::errors::interrupted("A verificação do certificado extra", &e))??;
        let mut file = self.settings.write().await;
        // Checked again under the write lock (nothing else changes the policy, but the clerk's file may have).
        self.settings.policy.check_profile_save(&profile.id, file.profiles.iter().any(|p| p.id == profile.id))?;
        let mut next = file.clone();
        match next.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(p) => *p = profile,
            None => next.profiles.push(profile),
        }
        self.settings.store.save(&next)?;
        *file = next;
        Ok(())
    }

    /// Deletes a profile of the clerk's own and its credentials; an agency profile is refused.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        self.settings.policy.check_profile_delete(id)?;
        if self.active.read().await.profile.id == id {
            return Err(AppError::new(ErrorCode::Config, "Ative outro perfil antes de excluir este."));
        }
        let mut file = self.settings.write().await;
        let mut next = file.clone();
        next.profiles.retain(|p| p.id != id);
        self.settings.store.save(&next)?;
        *file = next;
        let scopes = std::iter::once(CredentialScope::AllApis).chain(crate::session::APIS.map(CredentialScope::Api));
        for key in scopes.flat_map(|scope| balcao_gov::credential_keys(id, scope)) {
            self.secrets.delete(&key).map_err(AppError::from)?;
        }
        Ok(())
    }

    /// Switches the active profile: the new client is built (credentials read) before anything changes.
    pub async fn activate(&self, id: &str) -> Result<AppInfo, AppError> {
        self.settings.policy.check_activate(id)?;
        let settings = self.settings.read().await;
        let profile = match find_profile(&settings.profiles, id) {
            Some(p) => p.clone(),
            None if id == DEMO_PROFILE_ID => {
                let mut sim = self.sim.write().await;
                if sim.is_none() {
                    *sim = Some(start_sim(self.sim_addr).await?);
                }
                Profile::demo(&sim.as_ref().map(|s| s.base_url()).unwrap_or_default())
            }
            None => return Err(AppError::new(ErrorCode::Config, format!("Perfil «{id}» não encontrado."))),
        };
        let client = self.keyring_client(&profile, &settings.settings).await?;
        *self.active.write().await = Active { profile, client, unusable: None };
        let mut own = self.settings.write().await;
        let mut next = own.clone();
        next.settings.active_profile = id.to_owned();
        self.settings.store.save(&next)?;
        *own = next;
        drop(own);
        Ok(app_info(&self.active, &self.settings).await)
    }

    /// Writes a profile's credentials to the OS keyring, bound to the profile's saved address (origin of its
    /// `baseUrl` and token path): they are never read back to the UI, nor sent anywhere else.
    pub async fn set_credentials(
        &self,
        id: &str,
        client_id: String,
        client_secret: Sensitive<String>,
    ) -> Result<(), AppError> {
        self.set_credentials_for(id, None, client_id, client_secret).await
    }

    /// The saved profile `id` whose credential IT is entering: refused for one of the agency's (entered by IT on the
    /// machine store), for a blank key or secret, and for a profile not saved yet.
    async fn profile_for_credentials(
        &self,
        id: &str,
        client_id: &str,
        client_secret: &Sensitive<String>,
    ) -> Result<Profile, AppError> {
        if self.settings.policy.is_managed_profile(id) {
            return Err(crate::agency_credentials::entered_by_it(id));
        }
        if client_id.trim().is_empty() || client_secret.expose().trim().is_empty() {
            return Err(AppError::new(ErrorCode::Config, "Informe a chave (client id) e o segredo."));
        }
        find_profile(&self.settings.read().await.profiles, id).cloned().ok_or_else(|| {
            AppError::new(ErrorCode::Config, format!("Salve o perfil «{id}» antes de gravar as credenciais."))
        })
    }

    /// The own credential of the extra base `base_id` of profile `id` (`credential = "own"`, #19), bound to the
    /// base's origin and token path (its own when it declares them, else the profile's): never sent elsewhere.
    pub async fn set_base_credentials(
        &self,
        id: &str,
        base_id: &str,
        client_id: String,
        client_secret: Sensitive<String>,
    ) -> Result<(), AppError> {
        let profile = self.profile_for_credentials(id, &client_id, &client_secret).await?;
        let base = profile.own_credential_base(base_id)?;
        let binding = CredentialBinding::for_base(&profile, base)?;
        let creds = Credentials::new(client_id.trim(), client_secret.into_inner());
        store_credentials(self.secrets.as_ref(), &binding, &creds)
    }

    /// [`ProfilesService::set_credentials`] for one API's own credential (`api`, the Conecta case) or, with
    /// `None`, the credential shared by the profile's APIs; bound to (profile id, API, origin, token path).
    pub async fn set_credentials_for(
        &self,
        id: &str,
        api: Option<ApiKind>,
        client_id: String,
        client_secret: Sensitive<String>,
    ) -> Result<(), AppError> {
        let profile = self.profile_for_credentials(id, &client_id, &client_secret).await?;
        let scope = api.map_or(CredentialScope::AllApis, CredentialScope::Api);
        let binding = CredentialBinding::for_profile(&profile, scope)?;
        let creds = Credentials::new(client_id.trim(), client_secret.into_inner());
        store_credentials(self.secrets.as_ref(), &binding, &creds)
    }

    /// The client of `profile` with its credentials from the keyring, or the machine store for one of the agency's
    /// (activating and testing a profile).
    async fn keyring_client(&self, profile: &Profile, settings: &Settings) -> Result<GovClient, AppError> {
        build_client(
            profile,
            settings,
            self.secrets.as_ref(),
            CredentialSource::Keyring,
            &self.settings.policy,
            &self.history.handle(),
        )
        .await
    }

    /// Tests a profile's credentials without billing a lookup: a new token for each credential and, where the API
    /// has one, its unbilled health check (`GovClient::check_credentials`); a pt-BR line says what happened.
    pub async fn test(&self, id: &str) -> Result<String, AppError> {
        let settings = self.settings.read().await;
        let profile = if id == DEMO_PROFILE_ID {
            self.list().await.remove(0)
        } else {
            find_profile(&settings.profiles, id)
                .cloned()
                .ok_or_else(|| AppError::new(ErrorCode::Config, format!("Perfil «{id}» não encontrado.")))?
        };
        let client = self.keyring_client(&profile, &settings.settings).await?;
        let checks = client.check_credentials().await?;
        let lines: Vec<String> = checks.iter().map(|c| c.summary()).collect();
        Ok(format!("Credenciais funcionando (nenhuma consulta cobrada): {}", lines.join(" ")))
    }
}

/// Whether `profile`'s credentials are stored: both keys present and not blank (the values go no further), and
/// bound to the address the profile has now.
pub(crate) fn credentials_state(
    secrets: &dyn balcao_platform::SecretStore,
    profile: &Profile,
    scope: CredentialScope,
) -> CredentialsState {
    if profile.environment == Environment::Demonstracao {
        return CredentialsState::NotNeeded;
    }
    let [id_key, secret_key, _] = balcao_gov::credential_keys(&profile.id, scope);
    let keys = [id_key, secret_key];
    let mut defined = true;
    for key in keys {
        match secrets.get(&key) {
            Ok(Some(v)) if !v.expose().trim().is_empty() => {}
            Ok(_) => defined = false,
            Err(_) => return CredentialsState::Unavailable,
        }
    }
    if !defined {
        return CredentialsState::Missing;
    }
    let stored = match balcao_gov::stored_binding(secrets, &profile.id, scope) {
        Ok(b) => b,
        Err(_) => return CredentialsState::Unavailable,
    };
    match CredentialBinding::for_profile(profile, scope) {
        // A profile with no token endpoint (the SERPRO trial's public bearer) never sends them.
        Ok(wanted) if wanted.token_path.is_empty() || stored.as_ref() == Some(&wanted) => CredentialsState::Defined,
        _ => CredentialsState::BoundElsewhere,
    }
}

/// What the profile's lookups would use: each API's own credential where it has one, else the shared one; the
/// worst of them (a profile whose every API has its own credential needs no shared one).
pub(crate) fn effective_state(shared: CredentialsState, own: &[ApiCredentialsState]) -> CredentialsState {
    let rank = |s: CredentialsState| match s {
        CredentialsState::NotNeeded => 0,
        CredentialsState::Defined => 1,
        CredentialsState::Missing => 2,
        CredentialsState::BoundElsewhere => 3,
        CredentialsState::Unavailable => 4,
    };
    let used = own.iter().map(|o| if o.state == CredentialsState::Missing { shared } else { o.state });
    used.max_by_key(|s| rank(*s)).unwrap_or(shared)
}

/// The state of each API's own credential, for the APIs the profile calls (#15).
pub(crate) fn api_credentials_states(
    secrets: &dyn balcao_platform::SecretStore,
    profile: &Profile,
) -> Vec<ApiCredentialsState> {
    balcao_gov::profile_apis(profile)
        .into_iter()
        .map(|api| ApiCredentialsState { api, state: credentials_state(secrets, profile, CredentialScope::Api(api)) })
        .collect()
}

#[cfg(test)]
mod tests {
    use balcao_core::Sensitive;
    use balcao_platform::{MemoryStore, SecretError, SecretFailure, SecretStore};

    use super::*;

    /// A keyring that is there but locked.
    #[derive(Debug)]
    struct Locked;
    impl SecretStore for Locked {
        fn get(&self, _: &str) -> Result<Option<Sensitive<String>>, SecretError> {
            Err(SecretError::new(SecretFailure::Locked, "locked"))
        }
        fn set(&self, _: &str, _: &Sensitive<String>) -> Result<(), SecretError> {
            Err(SecretError::new(SecretFailure::Locked, "locked"))
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Err(SecretError::new(SecretFailure::Locked, "locked"))
        }
    }

    fn credentials_state_shared(secrets: &dyn SecretStore, profile: &Profile) -> CredentialsState {
        credentials_state(secrets, profile, CredentialScope::AllApis)
    }

    fn production() -> Profile {
        let mut p = Profile::demo("https://gateway.apiserpro.serpro.gov.br");
        p.id = "serpro-prod".into();
        p.environment = Environment::Producao;
        p
    }

    #[test]
    fn credentials_state_says_whether_both_keys_are_stored_without_reading_them_out() {
        let store = MemoryStore::new();
        assert_eq!(credentials_state_shared(&store, &Profile::demo("http://127.0.0.1:1")), CredentialsState::NotNeeded);
        let p = production();
        assert_eq!(credentials_state_shared(&store, &p), CredentialsState::Missing);
        store.set(&balcao_gov::client_id_key(&p.id), &Sensitive::new("id".into())).unwrap();
        assert_eq!(credentials_state_shared(&store, &p), CredentialsState::Missing, "the secret is still missing");
        store.set(&balcao_gov::client_secret_key(&p.id), &Sensitive::new("  ".into())).unwrap();
        assert_eq!(credentials_state_shared(&store, &p), CredentialsState::Missing, "a blank secret is no secret");
        store.set(&balcao_gov::client_secret_key(&p.id), &Sensitive::new("s3cr3t".into())).unwrap();
        assert_eq!(
            credentials_state_shared(&store, &p),
            CredentialsState::BoundElsewhere,
            "stored before bindings existed: to be entered again"
        );
        let binding = CredentialBinding::for_profile(&p, CredentialScope::AllApis).unwrap();
        store_credentials(&store, &binding, &Credentials::new("id", "s3cr3t")).unwrap();
        assert_eq!(credentials_state_shared(&store, &p), CredentialsState::Defined);
        let mut moved = p.clone();
        moved.base_url = "https://gateway.example".into();
        assert_eq!(credentials_state_shared(&store, &moved), CredentialsState::BoundElsewhere, "another origin");
        let mut moved = p.clone();
        moved.paths.token = Some("/outro/token".into());
        assert_eq!(credentials_state_shared(&store, &moved), CredentialsState::BoundElsewhere, "another token path");
        let mut prefixed = p.clone();
        prefixed.base_url = "HTTPS://Gateway.ApiSerpro.Serpro.gov.br:443/prefixo".into();
        assert_eq!(
            credentials_state_shared(&store, &prefixed),
            CredentialsState::Defined,
            "same origin, other base path"
        );
        assert_eq!(credentials_state_shared(&Locked, &p), CredentialsState::Unavailable);
        let json = serde_json::to_string(&ProfileEntry {
            profile: p,
            credentials: CredentialsState::Defined,
            api_credentials: None,
            managed: false,
        })
        .unwrap();
        assert!(!json.contains("s3cr3t") && json.contains(r#""credentials":"defined""#), "{json}");
    }
}
