//! Choosing the profile of a subcommand that calls an API (`--config`, `--profile`, `--credentials-from-env`):
//! a profiles file and the keyring or environment credentials, or Demonstração (an embedded simulator) by default.

use std::path::{Path, PathBuf};

use balcao_core::api::Environment;
use balcao_core::profile::{DEMO_PROFILE_ID, Profile};
use balcao_core::{AppError, Cpf, ErrorCode};
use balcao_gov::{
    CredentialSet, Credentials, GovClient, credential_set_from_env, credential_set_from_store, read_profiles_file,
};
use balcao_platform::KeyringStore;
use balcao_service::clerks::ClerkPolicy;
use balcao_service::settings_store::SettingsStore;
use balcao_sim::{SimConfig, SimHandle, Simulator};

/// The profile options shared by `lookup` and `batch`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProfileArgs {
    /// Arquivo de perfis (TOML, veja docs/profiles.md).
    #[arg(long, value_name = "ARQUIVO")]
    pub config: Option<PathBuf>,
    /// Identificador (ou nome) do perfil; sem ele, o único perfil do arquivo ou a Demonstração.
    #[arg(long, value_name = "PERFIL")]
    pub profile: Option<String>,
    /// Lê a chave e o segredo do ambiente em vez do cofre de senhas: BALCAO_CPF_CLIENT_ID/BALCAO_CPF_CLIENT_SECRET
    /// e BALCAO_CNPJ_CLIENT_ID/BALCAO_CNPJ_CLIENT_SECRET (uma credencial por API, como no Conecta) e, para as APIs
    /// sem credencial própria, BALCAO_CLIENT_ID e BALCAO_CLIENT_SECRET.
    #[arg(long)]
    pub credentials_from_env: bool,
    /// CPF do atendente que faz as consultas: vai no cabeçalho x-cpf-usuario (Conecta) e na auditoria. Obrigatório
    /// quando a agência exige atendente identificado (fora da Demonstração).
    #[arg(long, value_name = "CPF")]
    pub atendente: Option<String>,
}

/// The clerk named with `--atendente`: a valid CPF, one of this PC's clerks when the PC has any; required (outside
/// Demonstração) when the agency's clerk policy requires a signed-in clerk. `settings_dir` holds settings.json.
pub fn clerk(args: &ProfileArgs, demo: bool, settings_dir: &Path) -> Result<Option<Cpf>, AppError> {
    let file = SettingsStore::new(settings_dir).load()?;
    let policy = ClerkPolicy::of(&file);
    let clerks = policy.clerks(&file.clerks);
    let Some(given) = args.atendente.as_deref() else {
        if policy.required && !demo {
            return Err(AppError::new(
                ErrorCode::Unauthorized,
                "A agência exige que o atendente se identifique: informe --atendente CPF (o seu CPF). Nenhuma \
                 consulta foi feita.",
            ));
        }
        return Ok(None);
    };
    let cpf = Cpf::parse(given).map_err(|e| {
        AppError::new(ErrorCode::InvalidDocument, format!("--atendente: {e} Nenhuma consulta foi feita."))
    })?;
    if !clerks.is_empty() && !clerks.iter().any(|(c, _)| c.cpf == cpf) {
        return Err(AppError::new(
            ErrorCode::Unauthorized,
            "--atendente: este CPF não é de um atendente deste computador. Nenhuma consulta foi feita.",
        ));
    }
    Ok(Some(cpf))
}

/// The profiles of `path`, size- and count-limited; a refusal names the file, the line and the field.
pub fn read_profiles(path: &Path) -> Result<Vec<Profile>, AppError> {
    read_profiles_file(path)
}

/// The profile asked for, or `None` for Demonstração.
pub fn choose_profile(config: Option<&Path>, wanted: Option<&str>) -> Result<Option<Profile>, AppError> {
    if config.is_none() && wanted.is_none_or(|w| w == DEMO_PROFILE_ID) {
        return Ok(None);
    }
    let path = match config {
        Some(p) => p.to_path_buf(),
        None => balcao_platform::data_dir().join("profiles.toml"),
    };
    let profiles = read_profiles(&path)?;
    let ids = || profiles.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ");
    match wanted {
        Some(w) => match profiles.iter().find(|p| p.id == w || p.name.eq_ignore_ascii_case(w)) {
            Some(p) => Ok(Some(p.clone())),
            None if w == DEMO_PROFILE_ID => Ok(None),
            None => Err(AppError::new(
                ErrorCode::Config,
                format!("Perfil «{w}» não encontrado em {}. Perfis disponíveis: {}.", path.display(), ids()),
            )),
        },
        None if profiles.len() == 1 => Ok(profiles.into_iter().next()),
        None => Err(AppError::new(
            ErrorCode::Config,
            format!("O arquivo {} tem vários perfis; escolha um com --profile ({}).", path.display(), ids()),
        )),
    }
}

/// The profile's credentials: none for the public SERPRO trial, the environment or the OS keyring otherwise.
/// Each API's own credential where one is given (`BALCAO_CPF_…`, `BALCAO_CNPJ_…`, or its keyring entries), the
/// shared one for the others.
pub fn credentials(profile: &Profile, from_env: bool) -> Result<CredentialSet, AppError> {
    if profile.environment == Environment::SerproTrial && profile.paths.token.is_none() {
        // The public trial bearer needs no credential.
        return Ok(CredentialSet::shared(Credentials::new("", "")));
    }
    if from_env { credential_set_from_env(profile) } else { credential_set_from_store(&KeyringStore::new(), profile) }
}

/// A client for the chosen profile, and the Demonstração simulator behind it when there is one.
#[derive(Debug)]
pub struct Connection {
    pub client: GovClient,
    sim: Option<SimHandle>,
}

impl Connection {
    /// Stops the Demonstração simulator, if one was started.
    pub async fn close(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

/// Builds the client of the chosen profile, starting the embedded simulator for Demonstração.
pub async fn connect(args: &ProfileArgs) -> Result<Connection, AppError> {
    match choose_profile(args.config.as_deref(), args.profile.as_deref())? {
        Some(profile) => {
            let demo = profile.environment == Environment::Demonstracao;
            let clerk = clerk(args, demo, &balcao_platform::data_dir())?;
            let creds = credentials(&profile, args.credentials_from_env)?;
            let client = GovClient::with_credentials(profile, creds)?;
            let client = match clerk {
                Some(cpf) => client.for_clerk(cpf),
                None => client,
            };
            Ok(Connection { client, sim: None })
        }
        None => {
            let clerk = clerk(args, true, &balcao_platform::data_dir())?;
            let addr = ([127, 0, 0, 1], 0).into();
            let sim = Simulator::start(addr, SimConfig::default()).await.map_err(|e| {
                AppError::new(
                    ErrorCode::Internal,
                    format!("Não foi possível iniciar a Demonstração: {}.", balcao_core::error::io_reason(&e)),
                )
            })?;
            let client = GovClient::new(Profile::demo(&sim.base_url()), Credentials::demo())?;
            let client = match clerk {
                Some(cpf) => client.for_clerk(cpf),
                None => client,
            };
            Ok(Connection { client, sim: Some(sim) })
        }
    }
}
