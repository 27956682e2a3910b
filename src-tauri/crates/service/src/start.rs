//! Start-up: the data folder, the keyring, settings, the lock's state, the history, the active profile and (in
//! Demonstração) the simulator. What cannot be had (the history, the active profile's credentials, the PIN) leaves
//! Balcão in its safe mode (see `health`) instead of failing the start.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use balcao_core::history_api::RetentionPolicy;
use balcao_core::profile::{DEMO_PROFILE_ID, Profile};
use balcao_core::{AppError, ErrorCode};
use balcao_platform::{KeyringStore, SecretStore};
use balcao_sim::{SimConfig, SimHandle, Simulator};
use tokio::sync::RwLock;

use crate::lock::{IdleLock, stored_pin_hash};
use crate::lock_store::LockStore;
use crate::managed::PolicyState;
use crate::session::{CredentialSource, build_client, credential_free_client, open_history};
use crate::settings_store::SettingsStore;
use crate::shared::{HistoryCell, SettingsCell, Who};
use crate::{
    Active, Balcao, BasesService, BatchService, HistoryService, LockService, LookupService, ProfilesService,
    SettingsService,
};

/// Where and how to start; `from_env` reads the redirects tests use.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub data_dir: PathBuf,
    /// The managed policy's folder (`policy.toml`): the platform's system folder, or `BALCAO_POLICY_DIR` (tests
    /// always point it at a folder of their own).
    pub policy_dir: PathBuf,
    /// Where the Demonstração simulator listens (`BALCAO_SIM_ADDR`, default a random loopback port).
    pub sim_addr: SocketAddr,
    pub secrets: Option<Arc<dyn SecretStore>>,
}

impl StartOptions {
    /// The data folder from `BALCAO_DATA_DIR` (or the OS default), the keyring service from `BALCAO_KEYRING_SERVICE`,
    /// the policy folder from `BALCAO_POLICY_DIR` (or the platform's system folder).
    pub fn from_env() -> Self {
        let sim_addr = std::env::var("BALCAO_SIM_ADDR")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        Self {
            data_dir: balcao_platform::data_dir(),
            policy_dir: crate::policy::current_policy_dir(),
            sim_addr,
            secrets: None,
        }
    }
}

impl Balcao {
    /// Starts the services. Only a data folder that cannot be created or a settings file that cannot be read fail
    /// it; without the history, the active profile's credentials or the keyring it starts in the safe mode, and
    /// with a broken managed policy too (Demonstração only, nothing changeable: see `managed`).
    pub async fn start(opts: StartOptions) -> Result<Self, AppError> {
        // Private to the user (0700, files 0600), also when an older version left it open.
        balcao_platform::secure_data_dir(&opts.data_dir)?;
        let secrets: Arc<dyn SecretStore> = opts.secrets.clone().unwrap_or_else(|| Arc::new(KeyringStore::new()));
        let settings_store = SettingsStore::new(&opts.data_dir);
        let own = settings_store.load()?;
        let policy = PolicyState::load(&opts.policy_dir);
        let file = policy.effective(&own);
        // The agency's recovery key: the history key is also kept wrapped for it (see `recovery`).
        let recovery_key = crate::recovery::recovery_key_of(policy.policy());
        let (history, pin_set) = tokio::join!(
            open_history(opts.data_dir.clone(), secrets.clone(), recovery_key.clone()),
            read_pin_set(secrets.clone())
        );
        let lock = IdleLock::restore(LockStore::new(&opts.data_dir), pin_set, Instant::now(), SystemTime::now());
        let (profile, sim) = match find_profile(&file.profiles, &file.settings.active_profile) {
            Some(p) => (p.clone(), None),
            None => {
                let sim = start_sim(opts.sim_addr).await?;
                (Profile::demo(&sim.base_url()), Some(sim))
            }
        };
        let active = match build_client(
            &profile,
            &file.settings,
            secrets.as_ref(),
            CredentialSource::Keyring,
            &policy,
            &history,
        )
        .await
        {
            Ok(client) => Active { profile, client, unusable: None },
            Err(e) => {
                tracing::warn!(code = ?e.code, "active profile unusable at start");
                Active { client: credential_free_client(&profile, opts.sim_addr)?, profile, unusable: Some(e) }
            }
        };
        // The agency store's drain runs in the background: start-up never waits on the network.
        if let Some(link) = crate::agency_link::attach(&policy, &history) {
            link.run_in_background();
        }
        if let Some(retention) = policy.policy().and_then(|p| p.retention) {
            apply_managed_retention(&history, retention).await;
        }
        let settings = Arc::new(SettingsCell::new(settings_store, policy, own));
        let active = Arc::new(RwLock::new(active));
        let history = Arc::new(HistoryCell::new(history));
        let lock = Arc::new(lock);
        let sim = Arc::new(RwLock::new(sim));
        let who = Arc::new(Who { lock: lock.clone(), os_user: balcao_platform::os_user_name() });
        let balcao = Balcao {
            lookup_service: LookupService::new(&settings, &active, &history, &who),
            lock_service: LockService::new(&lock, &secrets, &settings),
            profiles_service: ProfilesService::new(&settings, &secrets, &active, &history, &sim, opts.sim_addr),
            history_service: HistoryService::new(&history, &settings, &active, &who),
            settings_service: SettingsService::new(&settings, &history, &who),
            batch_service: BatchService::new(&opts.data_dir, &settings, &active, &history, &who),
            bases_service: BasesService::new(&settings, &active, &history, &who),
            data_dir: opts.data_dir,
            recovery_key,
            secrets,
            settings,
            sim,
            active,
            history,
            lock,
            retry_turn: Default::default(),
        };
        balcao.lock_service.refresh_clerk_mode().await;
        if balcao.lock.clerk_mode() {
            // Nobody is signed in after a start: the window opens on «Quem está atendendo?».
            balcao.lock.lock();
        }
        balcao.batch_service.import_legacy_state().await;
        Ok(balcao)
    }
}

/// Stores the managed policy's retention in the history (where the CLI reads it too) and applies it, recorded as
/// the OS user; a history that did not open gets it when the policy is read again at the next start.
async fn apply_managed_retention(history: &crate::session::HistorySlot, retention: RetentionPolicy) {
    let Ok(h) = history.clone() else { return };
    let actor = balcao_history::Actor { clerk_cpf: None, os_user: balcao_platform::os_user_name() };
    let applied = crate::session::on_history(h, move |h| {
        if h.retention()? != retention {
            h.set_retention(&retention)?;
            h.apply_retention(&actor)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = applied {
        tracing::warn!(code = ?e.code, "managed retention not applied at start");
    }
}

/// Whether a PIN is set, read from the keyring off the async threads; `None` when the keyring cannot say.
async fn read_pin_set(secrets: Arc<dyn SecretStore>) -> Option<bool> {
    match tokio::task::spawn_blocking(move || stored_pin_hash(secrets.as_ref())).await {
        Ok(Ok(stored)) => Some(stored.is_some()),
        Ok(Err(e)) => {
            tracing::warn!(code = ?e.code, "lock PIN unreadable at start");
            None
        }
        Err(_) => None,
    }
}

/// The profile with this id among the configured ones (Demonstração is never stored).
pub(crate) fn find_profile<'a>(profiles: &'a [Profile], id: &str) -> Option<&'a Profile> {
    if id == DEMO_PROFILE_ID { None } else { profiles.iter().find(|p| p.id == id) }
}

/// Set to `1` when Balcão starts, turns on the Demonstração simulator's `/__sim/*` control and request-log routes
/// (the e2e tests, the package smoke test and the bench read the app's calls through them). Unset in the field.
pub const SIM_CONTROL_ENV: &str = "BALCAO_SIM_CONTROL";

/// The Demonstração simulator's configuration: no control routes unless `BALCAO_SIM_CONTROL` is `1`, and never
/// CORS, so no other local process or web page can read the clerk's calls or steer the answers.
pub fn demo_sim_config(control: Option<&OsStr>) -> SimConfig {
    SimConfig { control_routes: control == Some(OsStr::new("1")), cors: false, ..SimConfig::default() }
}

pub(crate) async fn start_sim(addr: SocketAddr) -> Result<SimHandle, AppError> {
    let config = demo_sim_config(std::env::var_os(SIM_CONTROL_ENV).as_deref());
    Simulator::start(addr, config).await.map_err(|e| {
        tracing::error!(%addr, error = %crate::errors::cause_chain(&e), "demo simulator did not start");
        AppError::new(
            ErrorCode::Internal,
            format!(
                "Não foi possível iniciar o simulador da Demonstração em {addr}: {}.",
                balcao_core::error::io_reason(&e)
            ),
        )
    })
}
