//! Choosing the profile of a subcommand that calls an API (`--config`, `--profile`, `--credentials-from-env`):
//! the agency's profile from the policy (its credentials from the machine store), a profiles file and the keyring or
//! environment credentials, or Demonstração (an embedded simulator) by default.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use balcao_core::api::Environment;
use balcao_core::history_api::AuditOrigin;
use balcao_core::profile::{DEMO_PROFILE_ID, Profile};
use balcao_core::{AppError, Cpf, ErrorCode};
use balcao_platform::KeyringStore;
use balcao_service::agency_credentials::managed_profile;
use balcao_service::clerks::ClerkPolicy;
use balcao_service::gov_config::read_profiles_file;
use balcao_service::managed::load_effective;
use balcao_service::policy::current_policy_dir;
use balcao_service::session::{CredentialSource, Session, SessionOptions};

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
/// Demonstração) when the agency's clerk policy requires a signed-in clerk. `settings_dir` holds settings.json, and
/// the managed policy's `[clerks]` wins over its clerk policy.
pub fn clerk(args: &ProfileArgs, demo: bool, settings_dir: &Path) -> Result<Option<Cpf>, AppError> {
    let (_, file) = load_effective(settings_dir, &current_policy_dir())?;
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

/// The agency's profile `--profile` names (without `--config`), when the policy provides it: the service then reads
/// its credentials from the machine store. A policy file that was refused is an error (the clerk's own profiles do
/// not take over).
fn managed(args: &ProfileArgs) -> Result<Option<Profile>, AppError> {
    let Some(wanted) = args.profile.as_deref().filter(|w| *w != DEMO_PROFILE_ID && args.config.is_none()) else {
        return Ok(None);
    };
    managed_profile(&current_policy_dir(), wanted)
}

/// Opens the command's session through the service (the one door: history first, then the client of the chosen
/// profile, or Demonstração with an embedded simulator); the clerk named with `--atendente` is checked first.
pub async fn connect(args: &ProfileArgs) -> Result<Session, AppError> {
    let data_dir = balcao_platform::data_dir();
    let profile = match managed(args)? {
        Some(profile) => Some(profile),
        None => choose_profile(args.config.as_deref(), args.profile.as_deref())?,
    };
    let demo = profile.as_ref().is_none_or(|p| p.environment == Environment::Demonstracao);
    let clerk = clerk(args, demo, &data_dir)?;
    Session::open(SessionOptions {
        data_dir,
        policy_dir: current_policy_dir(),
        secrets: Arc::new(KeyringStore::new()),
        profile,
        credentials: if args.credentials_from_env { CredentialSource::Environment } else { CredentialSource::Keyring },
        clerk,
        origin: AuditOrigin::Cli,
    })
    .await
}
