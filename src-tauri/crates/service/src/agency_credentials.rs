//! The agency's managed profiles and their credentials in the machine-wide store: which profile is managed, the
//! store its credentials are read from, and IT's `balcao-cli admin set-credentials` and `admin check`.
//!
//! A clerk's own profiles keep their credentials in the clerk's keyring; the profiles the policy provides read
//! theirs from the machine store of the policy folder ([`balcao_platform::MachineStore`]), which IT fills once per
//! PC, as root, without a window. Each credential is stored with its binding (profile, API, origin, token path)
//! exactly as Configurações stores one in the keyring, so it is refused if the policy later points the profile
//! elsewhere.

use std::path::Path;
use std::sync::Arc;

use balcao_core::api::Environment;
use balcao_core::profile::{CredentialsState, Profile};
use balcao_core::record::ApiKind;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_gov::{CredentialBinding, CredentialScope, Credentials, profile_apis, store_credentials};
use balcao_platform::{MachineStore, SecretStore};

use crate::managed::PolicyState;
use crate::policy::{ManagedPolicy, POLICY_FILE, load_policy};
use crate::profiles::{api_credentials_states, credentials_state, effective_state};
use crate::session::CredentialSource;

/// The longest client id or secret accepted (gateways issue a few dozen characters).
const MAX_CREDENTIAL_CHARS: usize = 4096;

/// The machine store of the policy folder `dir` (this OS's: on Linux `dir/credentials.json`, root-owned, 0640,
/// group `balcao`).
pub fn machine_store(dir: &Path) -> Arc<dyn SecretStore> {
    Arc::new(MachineStore::for_policy_dir(dir))
}

/// The machine store of the policy in force, when there is one (in the folder its `policy.toml` was read from).
pub fn machine_store_under(policy: &PolicyState) -> Option<Arc<dyn SecretStore>> {
    policy.policy().map(|p| machine_store(p.file.parent().unwrap_or_else(|| Path::new("."))))
}

/// Where `profile`'s credentials come from under `policy`: the machine store for one of the agency's profiles when
/// `source` is the keyring (the clerk's keyring never holds them); `source` otherwise (the clerk's own profiles, a
/// script's environment).
pub fn source_under(source: CredentialSource, profile: &Profile, policy: &PolicyState) -> CredentialSource {
    match (source, machine_store_under(policy)) {
        (CredentialSource::Keyring, Some(machine)) if policy.is_managed_profile(&profile.id) => {
            CredentialSource::Machine(machine)
        }
        (source, _) => source,
    }
}

/// The refusal of entering an agency profile's credentials in the window: IT stores them for the whole PC.
pub fn entered_by_it(id: &str) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "As credenciais do perfil «{id}» são da agência: a TI as grava para todo o computador (balcao-cli admin \
             set-credentials), não nas Configurações. Nada foi gravado."
        ),
    )
}

/// The policy of `dir`: `Ok(None)` without a policy file, a pt-BR `Config` error for one that was refused (never
/// ignored: the clerk's own settings must not take over silently).
pub fn policy_of(dir: &Path) -> Result<Option<ManagedPolicy>, AppError> {
    load_policy(dir).map_err(|e| e.to_app_error())
}

/// The agency's profile `wanted` (its id, or its name in any case) in the policy of `dir`, or `None` when there is
/// no policy or it does not provide that profile.
pub fn managed_profile(dir: &Path, wanted: &str) -> Result<Option<Profile>, AppError> {
    Ok(policy_of(dir)?.and_then(|p| find(&p, wanted).cloned()))
}

fn find<'a>(policy: &'a ManagedPolicy, wanted: &str) -> Option<&'a Profile> {
    policy
        .profiles
        .iter()
        .find(|p| p.id == wanted)
        .or_else(|| policy.profiles.iter().find(|p| p.name.eq_ignore_ascii_case(wanted)))
}

/// Whether `profile`'s lookups need a stored credential at all (Demonstração and the SERPRO trial's public bearer
/// do not).
fn needs_credentials(profile: &Profile) -> bool {
    !(profile.environment == Environment::Demonstracao
        || (profile.environment == Environment::SerproTrial && profile.paths.token.is_none()))
}

/// The API `--api` names among `profile`'s: `cpf` or `cnpj`, or an API's own name (`conectaCpfLight`…).
fn api_named(profile: &Profile, name: &str) -> Result<ApiKind, AppError> {
    let apis = profile_apis(profile);
    let wanted = name.trim();
    let found = apis.iter().copied().find(|api| {
        wanted.eq_ignore_ascii_case(api.as_str()) || wanted.eq_ignore_ascii_case(balcao_gov::env_word(*api))
    });
    found.ok_or_else(|| {
        let names = apis
            .iter()
            .map(|a| format!("{} ({})", balcao_gov::env_word(*a).to_lowercase(), a.label()))
            .collect::<Vec<_>>();
        AppError::new(
            ErrorCode::Config,
            format!(
                "O perfil «{}» não usa a API «{wanted}». APIs deste perfil: {}.",
                profile.id,
                if names.is_empty() { "nenhuma".to_owned() } else { names.join(", ") }
            ),
        )
    })
}

fn check_value(what: &str, value: &str) -> Result<(), AppError> {
    let refuse = |why: &str| AppError::new(ErrorCode::Config, format!("{what} recusado: {why}. Nada foi gravado."));
    if value.trim().is_empty() {
        return Err(refuse("está vazio"));
    }
    if value.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(refuse(&format!("tem mais de {MAX_CREDENTIAL_CHARS} caracteres")));
    }
    if value.chars().any(char::is_control) {
        return Err(refuse("tem caracteres de controle (quebra de linha, tabulação)"));
    }
    Ok(())
}

/// IT's `admin set-credentials`: stores `client_id` and `client_secret` for the agency's profile `profile_id` (for
/// its API `api` when given: `cpf`, `cnpj` or the API's name; else the credential shared by its APIs) in the machine
/// store `store`, bound to the profile's address as the policy of `dir` describes it. Returns what was stored, in
/// pt-BR, never the secret.
pub fn set_machine_credentials(
    dir: &Path,
    store: &dyn SecretStore,
    profile_id: &str,
    api: Option<&str>,
    client_id: &str,
    client_secret: Sensitive<String>,
) -> Result<String, AppError> {
    store_machine(dir, store, (profile_id, MachineTarget::Api(api)), client_id, client_secret)
}

/// [`set_machine_credentials`] for the own credential of the agency profile's declared base `base_id` (#19), bound to
/// the base's own origin and token endpoint.
pub fn set_machine_base_credentials(
    dir: &Path,
    store: &dyn SecretStore,
    profile_id: &str,
    base_id: &str,
    client_id: &str,
    client_secret: Sensitive<String>,
) -> Result<String, AppError> {
    store_machine(dir, store, (profile_id, MachineTarget::Base(base_id)), client_id, client_secret)
}

/// Which credential of a profile IT stores.
#[derive(Debug, Clone, Copy)]
enum MachineTarget<'a> {
    /// One API's own (`cpf`, `cnpj` or the API's name), else the one shared by its APIs.
    Api(Option<&'a str>),
    /// A declared base's own.
    Base(&'a str),
}

fn store_machine(
    dir: &Path,
    store: &dyn SecretStore,
    (profile_id, target): (&str, MachineTarget<'_>),
    client_id: &str,
    client_secret: Sensitive<String>,
) -> Result<String, AppError> {
    let file = dir.join(POLICY_FILE);
    let policy = policy_of(dir)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::Config,
            format!(
                "Não há arquivo de política em {}: as credenciais da máquina são só para os perfis da agência. \
                 Instale a política primeiro. Nada foi gravado.",
                file.display()
            ),
        )
    })?;
    let profile = find(&policy, profile_id).ok_or_else(|| {
        let ids = policy.profiles.iter().map(|p| p.id.as_str()).collect::<Vec<_>>();
        AppError::new(
            ErrorCode::Config,
            format!(
                "O perfil «{profile_id}» não está na política {}. Perfis da agência: {}. Nada foi gravado.",
                file.display(),
                if ids.is_empty() { "nenhum".to_owned() } else { ids.join(", ") }
            ),
        )
    })?;
    if !needs_credentials(profile) {
        return Err(AppError::new(
            ErrorCode::Config,
            format!(
                "O perfil «{}» não usa chave nem segredo (Demonstração ou trial público). Nada foi gravado.",
                profile.id
            ),
        ));
    }
    check_value("A chave (client id)", client_id)?;
    check_value("O segredo (client secret)", client_secret.expose())?;
    let (scope, binding) = match target {
        MachineTarget::Base(base_id) => {
            let base = profile.own_credential_base(base_id)?;
            (CredentialScope::Base(base.id), CredentialBinding::for_base(profile, base)?)
        }
        MachineTarget::Api(api) => {
            let scope = match api {
                Some(name) => CredentialScope::Api(api_named(profile, name)?),
                None => CredentialScope::AllApis,
            };
            (scope, CredentialBinding::for_profile(profile, scope)?)
        }
    };
    let mut credentials = Credentials::new(client_id.trim(), "");
    credentials.client_secret = client_secret;
    store_credentials(store, &binding, &credentials)?;
    let what = match scope {
        CredentialScope::AllApis => "a credencial comum".to_owned(),
        CredentialScope::Api(api) => format!("a credencial da API {}", api.label()),
        CredentialScope::Base(id) => format!("a credencial da outra base «{id}»"),
    };
    Ok(format!(
        "Gravada {what} do perfil «{}» no cofre de credenciais da máquina, válida só para {}{}.",
        profile.id, binding.origin, binding.token_path
    ))
}

/// What `admin check` found: one pt-BR line each, and whether anything is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCheck {
    pub lines: Vec<String>,
    /// The policy was found and valid, the machine store readable, and every managed profile has the credentials
    /// its lookups need.
    pub complete: bool,
}

fn state_words(state: CredentialsState) -> &'static str {
    match state {
        CredentialsState::NotNeeded => "não precisa de credencial",
        CredentialsState::Defined => "gravada",
        CredentialsState::Missing => "FALTA",
        CredentialsState::Unavailable => "cofre ilegível",
        CredentialsState::BoundElsewhere => "gravada para outro endereço: grave de novo com admin set-credentials",
    }
}

/// IT's `admin check`: the policy of `dir` (found, valid), the machine store `store` (`place` says where it is;
/// `clerk_access`: why the clerks could not read it, see [`MachineStore::clerk_access_problem`]), and for each
/// managed profile whether its credentials are there (per API where the profile has its own).
pub fn check_machine(dir: &Path, store: &dyn SecretStore, place: &str, clerk_access: Option<String>) -> AdminCheck {
    let file = dir.join(POLICY_FILE);
    let mut lines = Vec::new();
    let policy = match load_policy(dir) {
        Ok(Some(p)) => {
            lines.push(format!("Política: {} — encontrada e válida.", file.display()));
            p
        }
        Ok(None) => {
            lines.push(format!("Política: {} — NÃO ENCONTRADA.", file.display()));
            return AdminCheck { lines, complete: false };
        }
        Err(e) => {
            lines.push(format!("Política: {} — INVÁLIDA. {}", file.display(), e.message()));
            return AdminCheck { lines, complete: false };
        }
    };
    lines.push(format!("Cofre de credenciais da máquina: {place}."));
    let mut complete = true;
    if let Err(e) = store.get("profile/balcao-admin-check/client-id") {
        lines.push(format!("  ILEGÍVEL: {}", e.message()));
        complete = false;
    }
    if let Some(problem) = clerk_access {
        lines.push(format!("  ILEGÍVEL PARA OS ATENDENTES: {problem}"));
        complete = false;
    }
    lines.push(format!("Perfis da agência: {}.", policy.profiles.len()));
    for profile in &policy.profiles {
        let head = format!("  {} ({})", profile.id, profile.name);
        if !needs_credentials(profile) {
            lines.push(format!("{head}: {}.", state_words(CredentialsState::NotNeeded)));
            continue;
        }
        let shared = credentials_state(store, profile, CredentialScope::AllApis);
        let own = api_credentials_states(store, profile);
        let effective = effective_state(shared, &own);
        complete &= effective == CredentialsState::Defined;
        lines.push(format!("{head}: credencial {}.", state_words(effective)));
        let per_api = own.len() > 1 || own.iter().any(|o| o.state != CredentialsState::Missing);
        if per_api {
            for o in &own {
                let line = if o.state == CredentialsState::Missing {
                    format!("    {}: usa a credencial comum do perfil ({})", o.api.label(), state_words(shared))
                } else {
                    format!("    {}: credencial própria {}", o.api.label(), state_words(o.state))
                };
                lines.push(line);
            }
        }
    }
    lines.push(if complete {
        "Tudo certo: política válida e credenciais de todos os perfis da agência gravadas.".to_owned()
    } else {
        "Falta algo (veja acima): corrija antes de liberar o computador para os atendentes.".to_owned()
    });
    AdminCheck { lines, complete }
}
