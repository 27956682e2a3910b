//! A counter under a managed policy naming the agency store: a policy folder with the agency's profile (a loopback
//! simulator), its machine store (the pair, the agency key, the counter's password) and a fresh database on the
//! throwaway PostgreSQL cluster of `cargo xtask test`.
#![allow(dead_code)]

#[path = "../../../agency/tests/common/mod.rs"]
pub mod pg;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use balcao_core::Sensitive;
use balcao_core::api::LookupRequest;
use balcao_core::history_api::AuditOrigin;
use balcao_platform::{FileGroup, MACHINE_CREDENTIALS_FILE, MachineStore, MemoryStore, SecretStore};
use balcao_service::agency_credentials::{managed_profile, set_machine_credentials};
use balcao_service::session::{CredentialSource, Session, SessionOptions};
use balcao_sim::{SimConfig, SimHandle, Simulator};

pub const ID: &str = "agencia-serpro";
pub const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub async fn gateway() -> SimHandle {
    let config =
        SimConfig { serpro_credentials: vec![("agencia-id".into(), "agencia-segredo".into())], ..SimConfig::default() };
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("simulator starts")
}

/// The counter's view of one test database: the policy folder, its machine store, the data folder.
pub struct Counter {
    pub policy: tempfile::TempDir,
    pub machine: Arc<dyn SecretStore>,
    pub data: tempfile::TempDir,
    pub user: Arc<MemoryStore>,
}

/// A policy whose `[agency_store]` is `url` (the counter's login, no password), with `allowance` offline units.
pub fn counter(base: &str, url: &str, ca: &[u8], allowance: u32) -> Counter {
    counter_with(base, Some(url), ca, allowance)
}

/// [`counter`], or (`url` `None`) the same agency profile under a policy that names no store.
pub fn counter_with(base: &str, url: Option<&str>, ca: &[u8], allowance: u32) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("agency-ca.pem"), ca).unwrap();
    let store = url.map_or_else(String::new, |url| {
        format!("[agency_store]\nurl = \"{url}\"\noffline_allowance = {allowance}\n\n")
    });
    let policy = format!(
        "purpose_required = false\n\n{store}[[profile]]\nid = \"{ID}\"\nname = \"SERPRO da agência\"\nprovider = \"serpro\"\nenvironment = \"producao\"\n\
         base_url = \"{base}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n"
    );
    std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
    let gid = std::fs::metadata(dir.path()).map(|m| std::os::unix::fs::MetadataExt::gid(&m)).unwrap();
    let machine: Arc<dyn SecretStore> =
        Arc::new(MachineStore::group_file(&dir.path().join(MACHINE_CREDENTIALS_FILE), FileGroup::Id(gid)));
    set_machine_credentials(
        dir.path(),
        machine.as_ref(),
        ID,
        None,
        "agencia-id",
        Sensitive::new("agencia-segredo".into()),
    )
    .expect("IT stores the agency's pair");
    balcao_service::agency_store::set_agency_key(machine.as_ref(), Sensitive::new(KEY_HEX.into())).expect("key");
    balcao_service::agency_link::set_agency_password(machine.as_ref(), Sensitive::new("counter-pw-1".into()))
        .expect("password");
    Counter { policy: dir, machine, data: tempfile::tempdir().unwrap(), user: Arc::new(MemoryStore::new()) }
}

impl Counter {
    pub async fn session(&self) -> Session {
        let profile = managed_profile(self.policy.path(), ID).unwrap().expect("the agency's profile");
        Session::open(SessionOptions {
            data_dir: self.data.path().to_path_buf(),
            policy_dir: self.policy.path().to_path_buf(),
            secrets: self.user.clone(),
            profile: Some(profile),
            credentials: CredentialSource::Keyring,
            clerk: Some(balcao_core::Cpf::parse("111.444.777-35").unwrap()),
            origin: AuditOrigin::Cli,
        })
        .await
        .expect("the counter's session opens")
    }
}

impl Counter {
    /// The app on this counter (its data folder, keyring and policy folder).
    pub async fn app(&self) -> balcao_service::Balcao {
        balcao_service::Balcao::start(balcao_service::StartOptions {
            data_dir: self.data.path().to_path_buf(),
            policy_dir: self.policy.path().to_path_buf(),
            sim_addr: "127.0.0.1:0".parse().unwrap(),
            secrets: Some(self.user.clone()),
        })
        .await
        .expect("starts")
    }
}

pub fn request(n: &str) -> LookupRequest {
    LookupRequest {
        input: n.into(),
        view: None,
        purpose: Some("Atendimento presencial".into()),
        authorization_code: None,
        do_not_record: false,
    }
}

/// The counter's URL on `db` (user balcao_test_counter, no password: it comes from the machine store).
pub fn counter_url(db: &pg::TestDb) -> String {
    let url: url::Url = std::env::var("BALCAO_TEST_PG_URL").expect("BALCAO_TEST_PG_URL").parse().unwrap();
    format!("postgres://balcao_test_counter@{}:{}/{}", url.host_str().unwrap(), url.port().unwrap(), db.name)
}

pub fn api_calls(sim: &SimHandle) -> usize {
    sim.requests().iter().filter(|r| !r.is_token_call()).count()
}
