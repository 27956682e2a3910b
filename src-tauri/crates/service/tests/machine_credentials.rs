//! The agency's managed profiles read their credentials from the machine-wide store IT fills, not from the clerk's
//! keyring: a lookup through a managed profile (a CLI session and the app) gets its token with the pair stored by
//! `set_machine_credentials` in a real file (loopback simulator, real SQLCipher history); a file others could have
//! written is refused before any request; the window cannot enter an agency profile's credentials.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use balcao_core::api::LookupRequest;
use balcao_core::history_api::AuditOrigin;
use balcao_core::{ErrorCode, Sensitive};
use balcao_platform::{FileGroup, MACHINE_CREDENTIALS_FILE, MachineStore, MemoryStore, SecretStore};
use balcao_service::agency_credentials::{check_machine, managed_profile, set_machine_credentials};
use balcao_service::session::{CredentialSource, Session, SessionOptions};
use balcao_service::{Balcao, StartOptions};
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

/// What IT's `admin set-credentials` does: the pair the gateway accepts, for the agency's profile.
fn store_agency_pair(dir: &Path, machine: &dyn SecretStore) {
    set_machine_credentials(dir, machine, ID, None, "agencia-id", Sensitive::new("agencia-segredo".into()))
        .expect("IT stores the agency's pair");
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

/// A CLI session over `profile` with the policy folder `policy`, the clerk's keyring `user` and credentials `source`.
async fn open(
    data: &Path,
    policy: &Path,
    user: &Arc<MemoryStore>,
    source: CredentialSource,
    profile: balcao_core::profile::Profile,
) -> Result<Session, balcao_core::AppError> {
    Session::open(SessionOptions {
        data_dir: data.to_path_buf(),
        policy_dir: policy.to_path_buf(),
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
    store_agency_pair(dir.path(), machine.as_ref());

    let profile = managed_profile(dir.path(), ID).unwrap().expect("the policy provides the profile");
    // The CLI asks for the keyring, as for any profile: the service reads the machine store for the agency's.
    let session = open(data.path(), dir.path(), &user, CredentialSource::Keyring, profile.clone())
        .await
        .expect("session over the managed profile");
    let answer = session.lookup(request()).await.expect("the lookup is answered");
    assert_eq!(answer.formatted, "404.428.201-35");
    assert!(answer.history_id.is_some(), "recorded in the history");
    session.close().await;
    let tokens: Vec<_> = gateway.requests().into_iter().filter(|r| r.is_token_call()).collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].token.as_deref(), Some("agencia-id"), "the token was asked with the machine store's pair");
    assert!(user.get(&balcao_service::gov_config::client_id_key(ID)).unwrap().is_none(), "the keyring holds none");

    // Without the policy the same profile is the clerk's own: the keyring has nothing for it, and nothing is sent.
    let elsewhere = tempfile::tempdir().unwrap();
    let e = open(data.path(), elsewhere.path(), &user, CredentialSource::Keyring, profile).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert_eq!(gateway.requests().iter().filter(|r| r.is_token_call()).count(), 1, "no other token request");

    let check = check_machine(dir.path(), machine.as_ref(), "teste", None);
    assert!(check.complete, "{:?}", check.lines);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_store_file_others_could_write_is_refused_before_any_request() {
    let gateway = sim().await;
    let (dir, machine) = policy_dir(&gateway.base_url());
    let data = tempfile::tempdir().unwrap();
    let user = Arc::new(MemoryStore::new());
    store_agency_pair(dir.path(), machine.as_ref());
    let file = dir.path().join(MACHINE_CREDENTIALS_FILE);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let profile = managed_profile(dir.path(), ID).unwrap().unwrap();
    let e = open(data.path(), dir.path(), &user, CredentialSource::Keyring, profile).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable, "{}", e.message);
    assert!(e.message.contains("pode ser alterado por outros usuários"), "{}", e.message);
    assert!(gateway.requests().is_empty(), "nothing sent: {:?}", gateway.requests());
    let check = check_machine(dir.path(), machine.as_ref(), "teste", None);
    assert!(!check.complete);
    assert!(check.lines.iter().any(|l| l.contains("ILEGÍVEL")), "{:?}", check.lines);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_activates_an_agency_profile_with_the_machine_store_credential_and_refuses_entering_one() {
    let gateway = sim().await;
    let (dir, machine) = policy_dir(&gateway.base_url());
    let data = tempfile::tempdir().unwrap();
    store_agency_pair(dir.path(), machine.as_ref());
    let user = Arc::new(MemoryStore::new());
    let opts = StartOptions {
        data_dir: data.path().to_path_buf(),
        policy_dir: dir.path().to_path_buf(),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(user.clone()),
    };
    let b = Balcao::start(opts).await.expect("starts");
    let entry = b.profiles().entries().await.into_iter().find(|e| e.profile.id == ID).expect("listed");
    assert!(entry.managed);
    assert_eq!(entry.credentials, balcao_core::profile::CredentialsState::Defined, "read from the machine store");
    b.profiles().activate(ID).await.expect("activated with the machine store's pair");
    b.lookup().lookup(request()).await.expect("the app's lookup is answered");
    let tokens: Vec<_> = gateway.requests().into_iter().filter(|r| r.is_token_call()).collect();
    assert_eq!(tokens.last().and_then(|t| t.token.as_deref()), Some("agencia-id"));

    let e = b.profiles().set_credentials(ID, "outra".into(), Sensitive::new("outro".into())).await.unwrap_err();
    assert!(e.message.contains("admin set-credentials"), "{}", e.message);
    assert!(user.get(&balcao_service::gov_config::client_id_key(ID)).unwrap().is_none(), "nothing in the keyring");
}

#[test]
fn set_credentials_refuses_a_profile_outside_the_policy_an_api_it_does_not_use_and_control_characters() {
    let (dir, machine) = policy_dir("https://gateway.example");
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

/// IT stores a declared base's own credential (#19) in the machine store: `admin set-credentials --base`; it is read
/// back for that base only, bound to the base, and a base without `credential = "own"` is refused.
#[test]
fn a_declared_bases_own_credential_goes_to_the_machine_store_for_that_base_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let base_decl = "\n[[profile.extra_base]]\nid = \"cep\"\nname = \"CEP (Conecta)\"\ncredential = \"own\"\n\
                     path = \"/api-cep/v1/consulta/cep/{cep}\"\napplies_to = [\"cpf\"]\n\
                     [[profile.extra_base.field]]\npointer = \"/uf\"\nlabel = \"UF\"\ntype = \"text\"\n";
    std::fs::write(dir.path().join("policy.toml"), format!("{}{base_decl}", policy("https://gateway.example.gov.br")))
        .unwrap();
    let gid = std::fs::metadata(dir.path()).map(|m| std::os::unix::fs::MetadataExt::gid(&m)).unwrap();
    let machine: Arc<dyn SecretStore> =
        Arc::new(MachineStore::group_file(&dir.path().join(MACHINE_CREDENTIALS_FILE), FileGroup::Id(gid)));
    store_agency_pair(dir.path(), machine.as_ref());
    let said = balcao_service::agency_credentials::set_machine_base_credentials(
        dir.path(),
        machine.as_ref(),
        ID,
        "cep",
        "cep-id",
        Sensitive::new("cep-segredo".into()),
    )
    .expect("stored");
    assert!(said.contains("outra base «cep»") && !said.contains("cep-segredo"), "{said}");
    let profile = managed_profile(dir.path(), ID).unwrap().expect("the profile");
    let set = balcao_gov::credential_set_from_store(machine.as_ref(), &profile).expect("read back");
    let base = profile.base("cep").expect("declared");
    let (_, creds) = set.for_base(base).expect("the base's own credential");
    assert_eq!(creds.client_id, "cep-id");
    let e = balcao_service::agency_credentials::set_machine_base_credentials(
        dir.path(),
        machine.as_ref(),
        ID,
        "renda",
        "x",
        Sensitive::new("y".into()),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("renda") && e.message.contains("Nada foi gravado"), "{}", e.message);
}
