//! Balcão's use cases without Tauri, as the shell's commands and `balcao-cli` call them, and the one door to the
//! government APIs (`session`). One service per use case, each holding only the shared pieces it uses (`shared`):
//! lookup (`lookup`), batch (`batch_ops`), history (`history_ops`), profiles (`profiles`), settings (`settings`), the
//! lock and clerks (`lock`, `clerks`); start-up (`start`) builds them, `Balcao` holds them with the safe mode
//! (`health`); the agency's managed policy file (`policy`) and its enforcement (`managed`); the agency's managed
//! profiles' credentials in the machine store (`agency_credentials`); the updater's policy (`update_policy`) and the
//! error boundary (`errors`).

pub mod agency_credentials;
pub mod agency_link;
pub mod agency_store;
mod bases;
mod batch_file;
mod batch_ops;
pub mod clerks;
pub mod errors;
mod health;
mod history_ops;
pub mod lock;
pub mod lock_store;
mod lookup;
pub mod managed;
pub mod policy;
mod profiles;
pub mod recovery;
pub mod session;
mod settings;
pub mod settings_store;
mod shared;
mod start;
pub mod update_policy;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use balcao_core::api::Validation;
use balcao_core::doc::{Detection, detect};
use balcao_core::profile::Profile;
use balcao_core::{AppError, DocKind, ErrorCode};
use balcao_gov::GovClient;

use balcao_platform::SecretStore;
use balcao_sim::SimHandle;

pub use batch_file::read_batch_file;
pub use batch_ops::ProgressSink;
pub use start::{SIM_CONTROL_ENV, StartOptions, demo_sim_config};

pub use bases::BasesService;
pub use batch_ops::BatchService;
pub use history_ops::HistoryService;
pub use lock::LockService;
pub use lookup::LookupService;
pub use profiles::ProfilesService;
pub use settings::SettingsService;
use shared::{ActiveCell, HistoryCell, SettingsCell, SimCell};

/// The running app: the services its commands call ([`Balcao::lookup`], [`Balcao::batch`], [`Balcao::history`],
/// [`Balcao::settings`], [`Balcao::profiles`], [`Balcao::lock`]); the safe mode (`health`) stays on `Balcao`, built once at start over the pieces they share. Cheap to share behind an
/// `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Balcao {
    data_dir: PathBuf,
    /// The agency's recovery key from the managed policy: the history key is kept wrapped for it (see `recovery`).
    recovery_key: Option<balcao_history::RecoveryKey>,
    secrets: Arc<dyn SecretStore>,
    settings: Arc<SettingsCell>,
    sim: Arc<SimCell>,
    active: Arc<ActiveCell>,
    /// The history, or why it could not be opened; [`Balcao::retry`] opens it again.
    history: Arc<HistoryCell>,
    /// The idle lock (closed at start when a PIN is set; its back-off survives restarts).
    lock: Arc<lock::IdleLock>,
    /// One «Tentar de novo» at a time.
    retry_turn: tokio::sync::Mutex<()>,
    lookup_service: LookupService,
    profiles_service: ProfilesService,
    lock_service: LockService,
    history_service: HistoryService,
    settings_service: SettingsService,
    batch_service: BatchService,
    bases_service: BasesService,
}

use session::HistorySlot;

/// What the CLI and the tests need of the gov crate besides the client (which never leaves this crate): profiles
/// files and the credentials stored for a profile.
pub mod gov_config {
    pub use balcao_gov::{
        CLIENT_ID_ENV, CLIENT_SECRET_ENV, CredentialBinding, CredentialScope, Credentials, MAX_PROFILES,
        MAX_PROFILES_FILE_BYTES, ProfilesFileError, client_id_key, client_secret_key, credential_keys,
        load_profiles_toml, read_profiles_file, store_credentials,
    };
}

/// The active profile and its client.
#[derive(Debug, Clone)]
struct Active {
    profile: Profile,
    client: GovClient,
    /// Why this profile cannot make calls (its credentials could not be read at start): the client then holds no
    /// credential and no call is made until [`Balcao::retry`] or activating a profile rebuilds it.
    unusable: Option<AppError>,
}

impl Active {
    /// Who and where a lookup through this profile is recorded as; purpose, code, view and "do not record" unset.
    /// `clerk`: the signed-in clerk, who wins over the profile's configured CPF.
    fn context(&self, os_user: &str, clerk: Option<balcao_core::Cpf>) -> balcao_history::LookupContext {
        balcao_history::LookupContext {
            profile_id: self.profile.id.clone(),
            profile_name: self.profile.name.clone(),
            environment: self.profile.environment,
            clerk_cpf: clerk.or(self.client.profile().clerk_cpf),
            os_user: os_user.to_owned(),
            purpose: None,
            authorization_code: None,
            view: None,
            do_not_record: false,
        }
    }
}

impl Balcao {
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The agency's managed policy read at start: none, the policy (its `recovery_public_key`, `agency_store`…), or
    /// why its file was refused.
    pub fn managed_policy(&self) -> &managed::PolicyState {
        &self.settings.policy
    }

    /// The embedded simulator's gateway root, when Demonstração is active.
    pub async fn sim_url(&self) -> Option<String> {
        self.sim.read().await.as_ref().map(SimHandle::base_url)
    }

    /// The embedded simulator's request log, in process (its HTTP route is off in the app), for tests.
    pub async fn sim_requests(&self) -> Option<Vec<balcao_sim::LoggedRequest>> {
        self.sim.read().await.as_ref().map(SimHandle::requests)
    }

    /// «Outras bases» (#19): the extra bases that apply after a lookup, and the call to one.
    pub fn bases(&self) -> &BasesService {
        &self.bases_service
    }

    /// The lookup use case, and what the status bar shows (profile, token, quotas).
    pub fn lookup(&self) -> &LookupService {
        &self.lookup_service
    }

    /// The lock and clerk use cases: PIN, lock, unlock, sign in, the clerks of this PC.
    pub fn lock(&self) -> &LockService {
        &self.lock_service
    }

    /// The idle lock (the shell's gate asks it before every command).
    pub fn idle_lock(&self) -> &lock::IdleLock {
        &self.lock
    }

    /// The profile use cases: list, save, delete, activate, credentials, connection test.
    pub fn profiles(&self) -> &ProfilesService {
        &self.profiles_service
    }

    /// The history use cases: search, open, snapshot, purge, export, statistics.
    pub fn history(&self) -> &HistoryService {
        &self.history_service
    }

    /// The settings use cases: read and save (the retention policy goes to the history).
    pub fn settings(&self) -> &SettingsService {
        &self.settings_service
    }

    /// The batch use cases: preview, start, cancel, resume, export, discard.
    pub fn batch(&self) -> &BatchService {
        &self.batch_service
    }

    /// The history, or the reason it is unavailable.
    fn history_handle(&self) -> HistorySlot {
        self.history.handle()
    }

    /// Runs a closure on the history off the async threads (the tests read the saved batch through it).
    #[cfg(test)]
    async fn with_history<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut balcao_history::History) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.history.with(f).await
    }
}

/// Validates one input locally (no call): what the UI shows as the clerk types.
pub fn validate(input: &str) -> Validation {
    let ok = |kind, canonical: String, formatted| Validation {
        input: input.to_owned(),
        kind: Some(kind),
        valid: true,
        canonical: Some(canonical),
        formatted: Some(formatted),
        error: None,
    };
    match detect(input) {
        Detection::Cpf(c) => ok(DocKind::Cpf, c.to_string(), c.formatted()),
        Detection::Cnpj(c) | Detection::Ambiguous { cnpj: c, .. } => ok(DocKind::Cnpj, c.to_string(), c.formatted()),
        Detection::Invalid { kind, error } => Validation {
            input: input.to_owned(),
            kind,
            valid: false,
            canonical: None,
            formatted: None,
            error: Some(AppError::new(ErrorCode::InvalidDocument, error.to_string())),
        },
    }
}

static UI_READY_MS: OnceLock<f64> = OnceLock::new();

/// The UI reports when its input is focused and ready; the first report is kept and printed for the start-up benchmark.
pub fn report_ui_ready(millis: f64) {
    if UI_READY_MS.set(millis).is_ok() {
        eprintln!("BALCAO_UI_READY_MS={millis:.1}");
    }
}
