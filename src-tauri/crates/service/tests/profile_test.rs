//! "Testar" in Configurações proves a profile's credentials without billing a lookup (#15): against the simulator,
//! it leaves token requests (one per credential) and at most the unbilled health check in the request log, no
//! lookup, the simulator's quota counters where they were, and nothing in Balcão's own history (no lookup recorded,
//! so none counted against the profile's quota).
//!
//! Sources: apis.md §8 A1 (a lookup answered 200/206/404/422 is billed, so "Testar" must make none), §8 A9
//! (Consulta CPF v2's `GET /status` health check, ◐) and §8 A4 (one Conecta credential per API, ⚑).

use std::sync::Arc;

use balcao_core::api::Environment;
use balcao_core::profile::{CredentialsState, NetworkSettings, Profile};
use balcao_core::record::ApiKind;
use balcao_core::{Cpf, ErrorCode};
use balcao_platform::MemoryStore;
use balcao_service::{Balcao, StartOptions};
use balcao_sim::{SimConfig, SimHandle, Simulator};

async fn sim(config: SimConfig) -> SimHandle {
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("simulator starts")
}

async fn start(dir: &std::path::Path) -> Balcao {
    let store = Arc::new(MemoryStore::new());
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(store),
    };
    Balcao::start(opts).await.expect("starts in Demonstração")
}

fn network() -> NetworkSettings {
    NetworkSettings { max_retries: 0, total_timeout_ms: 5_000, ..NetworkSettings::default() }
}

fn lookups(sim: &SimHandle) -> Vec<String> {
    sim.requests().into_iter().filter(|r| r.is_api_call() && !r.path.ends_with("/status")).map(|r| r.path).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn testar_on_a_production_serpro_profile_gets_a_token_and_the_health_check_and_bills_no_lookup() {
    let gateway = sim(SimConfig { quota: Some(3), ..SimConfig::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let p = Profile {
        id: "serpro-prod".into(),
        name: "SERPRO produção".into(),
        environment: Environment::Producao,
        network: network(),
        ..Profile::demo(&gateway.base_url())
    };
    b.profiles().save(p).await.unwrap();
    b.profiles()
        .set_credentials("serpro-prod", "balcao-demo".into(), String::from("balcao-demo-secret").into())
        .await
        .unwrap();
    let said = b.profiles().test("serpro-prod").await.expect("credentials work");
    assert!(said.contains("nenhuma consulta cobrada") && said.contains("token de acesso obtido"), "{said}");
    assert_eq!(gateway.requests().iter().filter(|r| r.is_token_call()).count(), 1);
    assert!(lookups(&gateway).is_empty(), "no lookup: {:?}", lookups(&gateway));
    let health: Vec<String> = gateway.requests().into_iter().filter(|r| r.is_api_call()).map(|r| r.path).collect();
    assert_eq!(health, ["/consulta-cpf-df/v2/status"]);
    assert!(gateway.usage().values().all(|n| *n == 0), "quota untouched: {:?}", gateway.usage());
    let recorded = b.history().search(balcao_core::history_api::HistoryQuery::default()).await.unwrap();
    assert!(recorded.items.is_empty(), "no lookup recorded or counted by Balcão: {:?}", recorded.items);
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn testar_on_a_conecta_profile_with_one_credential_per_api_proves_each_and_makes_no_api_call() {
    let gateway = sim(SimConfig {
        quota: Some(1000),
        conecta_credentials: Vec::new(),
        conecta_scoped_credentials: vec![
            ("cpf-id".into(), "cpf-secret".into(), "api-cpf-light-v1".into()),
            ("cnpj-id".into(), "cnpj-secret".into(), "api-cnpj-v1".into()),
        ],
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let p = Profile {
        id: "conecta-h".into(),
        name: "Conecta homologação".into(),
        environment: Environment::Homologacao,
        network: network(),
        ..Profile::demo_conecta(&gateway.base_url(), Cpf::parse("00000000191").unwrap())
    };
    b.profiles().save(p).await.unwrap();
    let e = b.profiles().test("conecta-h").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "no credential yet: {}", e.message);
    b.profiles()
        .set_credentials_for(
            "conecta-h",
            Some(ApiKind::ConectaCpfLight),
            "cpf-id".into(),
            String::from("cpf-secret").into(),
        )
        .await
        .unwrap();
    let entry = b.profiles().entries().await.into_iter().find(|e| e.profile.id == "conecta-h").unwrap();
    assert_eq!(entry.credentials, CredentialsState::Missing, "the CNPJ API has neither its own nor a shared one");
    for (api, id, secret) in
        [(ApiKind::ConectaCpfLight, "cpf-id", "cpf-secret"), (ApiKind::ConectaCnpj, "cnpj-id", "cnpj-secret")]
    {
        b.profiles().set_credentials_for("conecta-h", Some(api), id.into(), String::from(secret).into()).await.unwrap();
    }
    let entry = b.profiles().entries().await.into_iter().find(|e| e.profile.id == "conecta-h").unwrap();
    assert_eq!(entry.credentials, CredentialsState::Defined, "no shared credential needed: each API has its own");
    let states: Vec<_> = entry.api_credentials.unwrap().into_iter().map(|s| (s.api, s.state)).collect();
    assert_eq!(
        states,
        [(ApiKind::ConectaCpfLight, CredentialsState::Defined), (ApiKind::ConectaCnpj, CredentialsState::Defined)]
    );
    let said = b.profiles().test("conecta-h").await.expect("both credentials work");
    assert!(said.contains("Conecta CPF Light") && said.contains("Conecta Consulta CNPJ"), "{said}");
    let tokens: Vec<Option<String>> =
        gateway.requests().into_iter().filter(|r| r.is_token_call()).map(|r| r.token).collect();
    assert_eq!(tokens, [Some("cpf-id".to_owned()), Some("cnpj-id".to_owned())]);
    assert!(gateway.requests().iter().all(|r| r.is_token_call()), "no API call: {:?}", gateway.requests());
    assert!(gateway.usage().is_empty(), "quota untouched: {:?}", gateway.usage());
    gateway.shutdown().await;
}
