//! The one door to the government APIs: a session (profile, client, history, actor) is built here, for the app's
//! active profile ([`build_client`]) and for each CLI command ([`Session::open`]); every lookup through it applies the
//! purpose rule, is refused before any call without a history, is counted and writes its audit line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use balcao_batch::{Batch, Cancel};
use balcao_core::api::{Environment, LookupRequest, LookupResponse, Settings};
use balcao_core::batch_api::{BatchPreview, BatchProgress};
use balcao_core::history_api::AuditOrigin;
use balcao_core::profile::Profile;
use balcao_core::record::ApiKind;
use balcao_core::{AppError, Cpf, ErrorCode};
use balcao_gov::{CredentialSet, Credentials, GovClient, credential_set_from_env, credential_set_from_store};
use balcao_history::{Actor, History, LookupContext, RecoveryKey};
use balcao_platform::SecretStore;
use balcao_sim::SimHandle;

use crate::lookup::{audited_call, checked_request};
use crate::managed::PolicyState;

/// Where a profile's credentials come from (Demonstração always uses the simulator's public pair, and the public
/// SERPRO trial, with no token endpoint, needs none).
#[derive(Debug, Clone)]
pub enum CredentialSource {
    /// The OS keyring, bound to the profile's address (the app; the CLI by default).
    Keyring,
    /// `BALCAO_CLIENT_ID` and `BALCAO_CLIENT_SECRET`, and each API's own `BALCAO_CPF_…` / `BALCAO_CNPJ_…` (the CLI's
    /// `--credentials-from-env`, for scripts).
    Environment,
    /// The machine-wide store IT fills (`balcao-cli admin set-credentials`), bound to the profile's address like the
    /// keyring's: the agency's managed profiles ([`crate::managed`]).
    Machine(Arc<dyn SecretStore>),
}

/// The history, or why it could not be opened.
pub(crate) type HistorySlot = Result<Arc<Mutex<History>>, AppError>;

/// Every API a client may count calls against (and a profile may hold its own credential for).
pub(crate) const APIS: [ApiKind; 5] =
    [ApiKind::SerproCpfV1, ApiKind::SerproCpfV2, ApiKind::SerproCnpj, ApiKind::ConectaCpfLight, ApiKind::ConectaCnpj];

/// The client of `profile`, with its credentials from `source` (the machine store instead of the keyring for one of
/// the agency's profiles under `policy`) and the clerk's CPF from settings when the profile
/// has none; its quota counters start from what the history already counted. The only place a client is built
/// for calls.
pub(crate) async fn build_client(
    profile: &Profile,
    settings: &Settings,
    secrets: &dyn SecretStore,
    source: CredentialSource,
    policy: &PolicyState,
    history: &HistorySlot,
) -> Result<GovClient, AppError> {
    // The agency's profiles read the machine store IT fills, not the clerk's keyring.
    let source = crate::agency_credentials::source_under(source, profile, policy);
    let mut profile = profile.clone();
    if profile.clerk_cpf.is_none() {
        profile.clerk_cpf = settings.clerk_cpf.as_deref().and_then(|c| Cpf::parse(c).ok());
    }
    // Each API's own credential where one is stored or given, the profile's shared one for the others.
    let credentials = if profile.environment == Environment::Demonstracao {
        CredentialSet::shared(Credentials::demo())
    } else if profile.environment == Environment::SerproTrial && profile.paths.token.is_none() {
        // The public trial bearer needs no credential.
        CredentialSet::shared(Credentials::new("", ""))
    } else {
        match source {
            CredentialSource::Keyring => credential_set_from_store(secrets, &profile)?,
            CredentialSource::Environment => credential_set_from_env(&profile)?,
            CredentialSource::Machine(machine) => credential_set_from_store(machine.as_ref(), &profile)?,
        }
    };
    let quota_zone = profile.quota_time_zone.as_deref().map(quota_zone).transpose()?;
    let mut client = GovClient::with_credentials(profile.clone(), credentials)?;
    // Under an agency store every real call first reserves a unit of the agency's quota (Demonstração never).
    if profile.environment != Environment::Demonstracao
        && let Some(link) = crate::agency_link::attach(policy, history)
    {
        client = client.with_central_quota(link);
    }
    if let Ok(h) = history {
        let h = h.clone();
        let id = profile.id.clone();
        let bases: Vec<(String, balcao_core::extra_base::BaseId)> =
            profile.bases().iter().map(|b| (profile.id.clone(), b.id)).collect();
        let used = tokio::task::spawn_blocking(move || {
            let mut guard = h.lock().ok()?;
            // The quota day of this profile's calls: the gateway's zone, or the one the profile names.
            guard.set_quota_zone(&id, quota_zone);
            let apis = APIS
                .into_iter()
                .filter_map(|api| guard.quota_for(&id, api).ok().map(|q| (api, q.used_total)))
                .collect::<Vec<_>>();
            Some((apis, crate::bases::billed_so_far(&guard, &bases)))
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        for (api, n) in used.0 {
            client.quota().seed(api, n);
        }
        for (base, n) in used.1 {
            client.quota().seed_base(base, n);
        }
    }
    Ok(client)
}

/// A profile's `quotaTimeZone`, checked: an IANA name from the bundled database (at most 64 characters, so that a
/// hostile file cannot fill the message), or a pt-BR `Config` error naming the field.
pub(crate) fn quota_zone(name: &str) -> Result<jiff::tz::TimeZone, AppError> {
    if name.chars().count() > 64 {
        return Err(AppError::new(
            ErrorCode::Config,
            "O fuso da cota (quotaTimeZone) do perfil é longo demais. Use um nome da base IANA, por exemplo \
             America/Sao_Paulo.",
        ));
    }
    balcao_history::zone_named(name)
        .map_err(|e| AppError::new(ErrorCode::Config, format!("Fuso da cota (quotaTimeZone) do perfil: {}", e.message)))
}

/// A client that holds no credential, for an active profile that cannot make calls (it is never used for one:
/// lookups and batches refuse first); the Demonstração's shape when even the profile's settings are refused.
pub(crate) fn credential_free_client(profile: &Profile, sim_addr: std::net::SocketAddr) -> Result<GovClient, AppError> {
    GovClient::new(profile.clone(), Credentials::new("", ""))
        .or_else(|_| GovClient::new(Profile::demo(&format!("http://{sim_addr}")), Credentials::new("", "")))
}

/// Runs a closure on the history off the async threads.
pub(crate) async fn on_history<T: Send + 'static>(
    history: Arc<Mutex<History>>,
    f: impl FnOnce(&mut History) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut guard = history.lock().map_err(|_| AppError::from(ErrorCode::HistoryLocked))?;
        f(&mut guard)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "history task interrupted");
        AppError::new(ErrorCode::Internal, "A tarefa do histórico foi interrompida. Tente de novo.")
    })?
}

/// Opens the history of `data_dir` (creating it on first use) off the async threads, each audit line marked with
/// `origin`.
async fn open_history_as(
    data_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    origin: AuditOrigin,
    recovery: Option<RecoveryKey>,
) -> HistorySlot {
    let opened = tokio::task::spawn_blocking(move || {
        History::open_with_recovery(&data_dir, secrets.as_ref(), recovery.as_ref())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "history open task interrupted");
        AppError::from(ErrorCode::HistoryLocked)
    })
    .and_then(|r| r);
    match opened {
        Ok(h) => Ok(Arc::new(Mutex::new(h.with_origin(origin)))),
        Err(e) => {
            tracing::warn!(code = ?e.code, "history unavailable");
            Err(e)
        }
    }
}

/// The app's history (audit lines marked as the app's), its key also kept wrapped for the agency's `recovery` key.
pub(crate) async fn open_history(
    dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    recovery: Option<RecoveryKey>,
) -> HistorySlot {
    open_history_as(dir, secrets, AuditOrigin::App, recovery).await
}

/// The existing history of `data_dir` for a command that only reads or exports it: never created (a search must
/// not mint a key), each audit line marked with `origin`; its key also kept wrapped for the agency's `recovery` key.
pub fn open_existing_history(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    origin: AuditOrigin,
    recovery: Option<&RecoveryKey>,
) -> Result<History, AppError> {
    if !History::path_in(data_dir).is_file() {
        return Err(AppError::new(
            ErrorCode::HistoryLocked,
            format!(
                "Não há histórico nesta máquina (pasta {}). Faça uma consulta no Balcão primeiro.",
                data_dir.display()
            ),
        ));
    }
    Ok(History::open_with_recovery(data_dir, secrets, recovery)?.with_origin(origin))
}

/// What a CLI command's session is made of.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The data folder: settings.json (the agency's purpose rule) and the history.
    pub data_dir: PathBuf,
    /// The managed policy's folder (`policy::current_policy_dir`): its rules win over settings.json's.
    pub policy_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
    /// The profile; `None` for Demonstração (an embedded simulator, stopped by [`Session::close`]).
    pub profile: Option<Profile>,
    pub credentials: CredentialSource,
    /// The clerk named on every call and in the audit.
    pub clerk: Option<Cpf>,
    /// Who writes the audit lines (the CLI).
    pub origin: AuditOrigin,
}

/// One command's calls through one profile: its client never leaves the session, so every lookup and batch made
/// through it is checked, audited and counted.
#[derive(Debug)]
pub struct Session {
    profile: Profile,
    client: GovClient,
    history: Arc<Mutex<History>>,
    settings: Settings,
    clerk: Option<Cpf>,
    os_user: String,
    sim: Option<SimHandle>,
    agency: Option<Arc<crate::agency_link::AgencyLink>>,
}

/// How long a `balcao-cli` command spends, before it exits, sending waiting lines to the agency store.
const CLI_DRAIN_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

impl Session {
    /// Opens the history first (without it no call is made: exit 22 in the CLI), then builds the client of the
    /// profile (starting the Demonstração simulator when there is none).
    pub async fn open(opts: SessionOptions) -> Result<Session, AppError> {
        let (policy, file) = crate::managed::load_effective(&opts.data_dir, &opts.policy_dir)?;
        if let Some(e) = policy.broken()
            && opts.profile.as_ref().is_some_and(|p| p.environment != balcao_core::api::Environment::Demonstracao)
        {
            return Err(crate::managed::broken_error(e));
        }
        let settings = file.settings;
        let recovery = crate::recovery::recovery_key_of(policy.policy());
        let history = open_history_as(opts.data_dir.clone(), opts.secrets.clone(), opts.origin, recovery).await?;
        let (profile, sim) = match opts.profile {
            Some(p) => (p, None),
            None => {
                let sim = crate::start::start_sim(([127, 0, 0, 1], 0).into()).await?;
                (Profile::demo(&sim.base_url()), Some(sim))
            }
        };
        let slot = Ok(history.clone());
        let client =
            match build_client(&profile, &settings, opts.secrets.as_ref(), opts.credentials, &policy, &slot).await {
                Ok(c) => c,
                Err(e) => {
                    if let Some(sim) = sim {
                        sim.shutdown().await;
                    }
                    return Err(e);
                }
            };
        let client = match opts.clerk {
            Some(cpf) => client.for_clerk(cpf),
            None => client,
        };
        let clerk = client.clerk_cpf();
        let agency = crate::agency_link::attach(&policy, &slot);
        let os_user = balcao_platform::os_user_name();
        Ok(Session { profile, client, history, settings, clerk, os_user, sim, agency })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The agency store's link, when the managed policy names one.
    pub fn agency(&self) -> Option<&Arc<crate::agency_link::AgencyLink>> {
        self.agency.as_ref()
    }

    /// The history the session's calls are recorded in (batch state, exports).
    pub fn history(&self) -> &Arc<Mutex<History>> {
        &self.history
    }

    /// Who the session's exports and audit lines are recorded as.
    pub fn actor(&self) -> Actor {
        Actor { clerk_cpf: self.clerk, os_user: self.os_user.clone() }
    }

    /// Who and where a call of this session is recorded as; purpose, code, view and "do not record" unset.
    pub fn context(&self) -> LookupContext {
        LookupContext {
            profile_id: self.profile.id.clone(),
            profile_name: self.profile.name.clone(),
            environment: self.profile.environment,
            clerk_cpf: self.clerk,
            os_user: self.os_user.clone(),
            purpose: None,
            authorization_code: None,
            view: None,
            do_not_record: false,
        }
    }

    /// One lookup, as the window makes it: the purpose rule, the number checked, the call, its history and audit
    /// line before the answer returns.
    pub async fn lookup(&self, req: LookupRequest) -> Result<LookupResponse, AppError> {
        let (doc, ctx) = checked_request(&req, &self.settings, self.context())?;
        audited_call(&self.client, self.history.clone(), ctx, doc, req.view).await
    }

    /// Refuses a batch without the purpose the agency requires (before any call).
    pub fn check_batch_purpose(&self, batch: &Batch) -> Result<(), AppError> {
        if self.settings.purpose_required && batch.options().purpose.as_deref().is_none_or(|p| p.trim().is_empty()) {
            return Err(ErrorCode::PurposeRequired.into());
        }
        Ok(())
    }

    /// What the batch would cost through this session's profile (no call).
    pub fn preview(&self, batch: &Batch) -> BatchPreview {
        batch.preview(&self.client)
    }

    /// Runs the batch through this session's client: every call is recorded and audited as it answers.
    pub async fn run_batch(
        &self,
        batch: &mut Batch,
        ctx: &LookupContext,
        cancel: &Cancel,
        on_progress: &(dyn Fn(&BatchProgress) + Send + Sync),
    ) -> Result<BatchProgress, AppError> {
        batch.run(&self.client, self.history.clone(), ctx, cancel, on_progress).await
    }

    /// Writes the audit line of a file of lookup results written by this session (`rows` rows).
    pub fn audit_file_export(&self, what: &str, rows: u64) -> Result<(), AppError> {
        let mut h = self.history.lock().map_err(|_| AppError::from(ErrorCode::HistoryLocked))?;
        h.audit_file_export(what, rows, &self.actor())
    }

    /// Stops the Demonstração simulator, if one was started; under an agency store, first sends what waits in the
    /// outbox (a few seconds at most: what is left waits for the app or the next command).
    pub async fn close(self) {
        if let Some(link) = self.agency.as_ref()
            && let Err(e) = link.drain_for(CLI_DRAIN_BUDGET).await
        {
            tracing::warn!(code = ?e.code, "agency store: lines left waiting: {}", e.message);
        }
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}
