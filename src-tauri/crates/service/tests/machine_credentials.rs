//! The agency's managed profiles read their credentials from the machine-wide store IT fills, not from the clerk's
//! keyring: a lookup through a managed profile gets its token with the pair stored by `set_machine_credentials` in a
//! real file (loopback simulator, real SQCipher history); a file others could have written is refused before any
//! request; a clerk's own profile keeps the keyring.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use balcao_core::api::LookupRequest;
use balcao_core::history_api::AuditOrigin;
use balcao_core::{ErrorCode, Sensitive};
use balcao_platform::{FileGroup, MACHINE_CREDENTIALS_FILE, MachineStore, MemoryStore, SecretStore};
use balcao_service::managed::{check_machine, managed_profile, policy_of, set_machine_credentials, stored_source};
use balcao_service::session::{CredentialSource, Session, SessionOptions};
use balcao_sim::{SimConfig, SimHandle, Simulator};

const ID: &str = "agencia-serpro";

async fn sim() -> SimHandle {
    let config =
        SimConfig { serpro_credentials: vec![("agencia-id".into(), "agencia-segredo".into())], ..SimConfig::default() };
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("simulator starts")
}

fn policy(base: &str) -> String {
    format!(
        "purpose_required = false\n\n[[profile]]\nid = \"{ID}\"\nname = \"SERPRO da agência\"\nprovider = \"serpro\"\n\
         environment = \"producao\"\nbase_url = \"{base}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n"
    )
}

/// A policy folder (0755, like /etc/balcao) with `policy.toml` for a gateway at `base`, and its machine store (the
/// file gets this process's group: tests cannot create the `balcao` group).
fn policy_dir(base: &str) -> (tempfile::TempDir, Arc<dyn SecretStore>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("policy.toml"), policy(base)).unwrap();
    let gid = std::fs::metadata(dir.path()).map(|m| std::os::unix::fs::MetadataExt::gid(&m)).unwrap();
    let store = MachineStore::group_file(&dir.path().join(MACHINE_CREDENTIALS_FILE), FileGroup::Id(gid));
    (dir, Arc::new(store))
}

fn request() -> LookupRequest {
    LookupRequest {
        input: "40442820135".into(),
        view: None,
        purpose: None,
        authorization_code: None,
        do_not_record: false,
    }
}

async fn open(
    data: &Path,
    user: &Arc<MemoryStore>,
    source: CredentialSource,
    profile: balcao_core::profile::Profile,
) -> Result<Session, balcao_core::AppError> {
    Session::open(SessionOptions {
        data_dir: data.to_path_buf(),
        secrets: user.clone(),
        profile: Some(profile),
        credentials: source,
        clerk: None,
        origin: AuditOrigin::Cli,
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_profile_lookup_gets_its_token_with_the_credential_from_the_machine_store_file() {
    let gateway = sim().await;
    let (dir, machine) = policy_dir(&gateway.base_url());
    let data = tempfile::tempdir().unwrap();
    let user = Arc::new(MemoryStore::new());
    set_machine_credentials(
        dir.path(),
        machine.as_ref(),
        ID,
        None,
        "agencia-id",
        Sensitive::new("agencia-segredo".into()),
    )
    .expect("IT stores the agency's pair");

    let profile = managed_profile(dir.path(), ID).unwrap().expect("the policy provides the profile");
    let policy = policy_of(dir.path()).unwrap();
    let source = stored_source(&profile, policy.as_ref(), &machine);
    assert!(matches!(source, CredentialSource::Machine(_)), "a managed profile reads the machine store");
    let session = open(data.path(), &user, source, profile.clone()).await.expect("session over the managed profile");
    let answer = session.lookup(request()).await.expect("the lookup is answered");
    assert_eq!(answer.formatted, "404.428.201-35");
    assert!(answer.history_id.is_some(), "recorded in the history");
    session.close().await;
    let tokens: Vec<_> = gateway.requests().into_iter().filter(|r| r.is_token_call()).collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].token.as_deref(), Some("agencia-id"), "the token was asked with the machine store's pair");

    // The clerk's keyring has nothing for it: the same profile through the keyring is refused.
    let e = open(data.path(), &user, CredentialSource::Keyring, profile).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert_eq!(gateway.requests().iter().filter(|r| r.is_token_call()).count(), 1, "no other token request");

    let check = check_machine(dir.path(), machine.as_ref(), "teste");
    assert!(check.complete, "{:?}", check.lines);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_store_file_others_could_write_is_refused_before_any_request() {
    let gateway = sim().await;
    let (dir, machine) = policy_dir(&gateway.base_url());
    let data = tempfile::tempdir().unwrap();
    let user = Arc::new(MemoryStore::new());
    set_machine_credentials(
        dir.path(),
        machine.as_ref(),
        ID,
        None,
        "agencia-id",
        Sensitive::new("agencia-segredo".into()),
    )
    .unwrap();
    let file = dir.path().join(MACHINE_CREDENTIALS_FILE);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let profile = managed_profile(dir.path(), ID).unwrap().unwrap();
    let e = open(data.path(), &user, CredentialSource::Machine(machine.clone()), profile).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable, "{}", e.message);
    assert!(e.message.contains("pode ser alterado por outros usuários"), "{}", e.message);
    assert!(gateway.requests().is_empty(), "nothing sent: {:?}", gateway.requests());
    let check = check_machine(dir.path(), machine.as_ref(), "teste");
    assert!(!check.complete);
    assert!(check.lines.iter().any(|l| l.contains("ILEGÍVEL")), "{:?}", check.lines);
}

#[test]
fn a_clerks_own_profile_keeps_the_keyring_and_unknown_profiles_are_refused_by_set_credentials() {
    let (dir, machine) = policy_dir("https://gateway.example");
    let policy = policy_of(dir.path()).unwrap();
    let mut own = balcao_core::profile::Profile::demo("https://outro.example");
    own.id = "meu-perfil".into();
    assert!(matches!(stored_source(&own, policy.as_ref(), &machine), CredentialSource::Keyring));
    assert!(matches!(stored_source(&own, None, &machine), CredentialSource::Keyring));
    let e = set_machine_credentials(dir.path(), machine.as_ref(), "meu-perfil", None, "x", Sensitive::new("y".into()))
        .unwrap_err();
    assert!(e.message.contains("não está na política") && e.message.contains(ID), "{}", e.message);
    let e = set_machine_credentials(dir.path(), machine.as_ref(), ID, Some("cnpj"), "x", Sensitive::new("y".into()))
        .unwrap_err();
    assert!(e.message.contains("não usa a API «cnpj»"), "{}", e.message);
    let e = set_machine_credentials(dir.path(), machine.as_ref(), ID, None, "x", Sensitive::new("a\nb".into()))
        .unwrap_err();
    assert!(e.message.contains("caracteres de controle"), "{}", e.message);
    assert!(!dir.path().join(MACHINE_CREDENTIALS_FILE).exists(), "nothing written");
}
