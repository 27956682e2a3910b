//! One credential per API (#15): each API of a Conecta profile gets its own token, tokens are cached, single-flight
//! and renewed on 401 per credential, and a per-API credential is bound to (profile id, API, origin, token path).
//!
//! Source: apis.md §8 A4 (Conecta agencies hold one client id/secret per API; a production token carries the
//! scope of one API) and §2.1 (token endpoint `/oauth2/jwt-token`, scope claim of a real JWT, S8).

mod common;

use balcao_core::api::Environment;
use balcao_core::profile::Profile;
use balcao_core::record::{ApiKind, CnpjView};
use balcao_core::{Document, ErrorCode};
use balcao_gov::{
    CredentialBinding, CredentialScope, CredentialSet, Credentials, GovClient, credential_set_from_store,
    store_credentials,
};
use balcao_platform::MemoryStore;
use balcao_sim::{SimConfig, SimHandle};
use common::*;

fn scoped_sim_config() -> SimConfig {
    SimConfig {
        conecta_scoped_credentials: vec![
            ("cpf-id".into(), "cpf-secret".into(), "api-cpf-light-v1".into()),
            ("cnpj-id".into(), "cnpj-secret".into(), "api-cnpj-v1".into()),
        ],
        ..SimConfig::default()
    }
}

fn per_api_set() -> CredentialSet {
    CredentialSet::empty()
        .with_api(ApiKind::ConectaCpfLight, Credentials::new("cpf-id", "cpf-secret"))
        .with_api(ApiKind::ConectaCnpj, Credentials::new("cnpj-id", "cnpj-secret"))
}

fn per_api_client(sim: &SimHandle) -> GovClient {
    GovClient::with_credentials(conecta_profile(sim), per_api_set()).expect("valid profile")
}

/// The client id of each token request, in order (the simulator logs the HTTP Basic user of a token call).
fn token_clients(sim: &SimHandle) -> Vec<String> {
    sim.requests().into_iter().filter(|r| r.is_token_call()).filter_map(|r| r.token).collect()
}

fn api_tokens(sim: &SimHandle, path_start: &str) -> Vec<String> {
    api_calls(sim).into_iter().filter(|r| r.path.starts_with(path_start)).filter_map(|r| r.token).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_api_receives_the_token_of_its_own_credential() {
    let sim = sim_with(scoped_sim_config()).await;
    let c = per_api_client(&sim);
    c.lookup_cpf(&cpf(CLERK)).await.expect("CPF Light with the CPF credential's token");
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.expect("CNPJ with the CNPJ credential's token");
    assert_eq!(token_clients(&sim), ["cpf-id", "cnpj-id"]);
    let cpf_tokens = api_tokens(&sim, "/api-cpf-light");
    let cnpj_tokens = api_tokens(&sim, "/api-cnpj");
    assert_eq!((cpf_tokens.len(), cnpj_tokens.len()), (1, 1));
    assert_ne!(cpf_tokens[0], cnpj_tokens[0], "each API got its own token");
    assert!(api_calls(&sim).iter().all(|r| r.status == 200));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_shared_credential_of_one_api_scope_is_refused_by_the_other_api() {
    // What went wrong before #15: the CNPJ call went out with the CPF Light token.
    let sim = sim_with(scoped_sim_config()).await;
    let c = GovClient::new(conecta_profile(&sim), Credentials::new("cpf-id", "cpf-secret")).unwrap();
    c.lookup_cpf(&cpf(CLERK)).await.expect("its own API");
    let e = c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.unwrap_err();
    assert_ne!(e.code(), ErrorCode::Internal);
    assert_eq!(api_calls(&sim).last().map(|r| r.status), Some(403));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn hundred_concurrent_cold_lookups_across_two_apis_make_exactly_two_token_requests() {
    let sim = sim_with(scoped_sim_config()).await;
    let c = per_api_client(&sim);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let c = c.clone();
        let doc = if i % 2 == 0 { Document::parse(CLERK) } else { Document::parse("34238864000168") };
        let doc = doc.unwrap();
        tasks.spawn(async move { c.lookup(&doc, Some(CnpjView::Basica)).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task").expect("lookup");
    }
    let mut clients = token_clients(&sim);
    clients.sort();
    assert_eq!(clients, ["cnpj-id", "cpf-id"], "one token request per credential");
    assert_eq!(c.token_requests(), 2);
    assert_eq!(api_calls(&sim).len(), 100);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_renews_only_the_credential_whose_token_was_refused() {
    let sim = sim_with(scoped_sim_config()).await;
    let c = per_api_client(&sim);
    c.lookup_cpf(&cpf(CLERK)).await.unwrap();
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.unwrap();
    sim.expire_tokens();
    c.lookup_cpf(&cpf(CLERK)).await.expect("renewed silently");
    assert_eq!(token_clients(&sim), ["cpf-id", "cnpj-id", "cpf-id"], "the CNPJ token was not renewed with it");
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.expect("renewed silently");
    assert_eq!(token_clients(&sim), ["cpf-id", "cnpj-id", "cpf-id", "cnpj-id"]);
    let statuses: Vec<u16> = api_calls(&sim).into_iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 401, 200, 401, 200], "one renewal on 401 per credential");
    sim.shutdown().await;
}

fn stored_profile(sim: &SimHandle) -> Profile {
    Profile { id: "conecta-h".into(), environment: Environment::Homologacao, ..conecta_profile(sim) }
}

#[tokio::test(flavor = "multi_thread")]
async fn per_api_keyring_credentials_are_bound_to_their_api_and_address() {
    let sim = sim_with(scoped_sim_config()).await;
    let other = sim_with(scoped_sim_config()).await;
    let p = stored_profile(&sim);
    let store = MemoryStore::new();
    for (api, id, secret) in
        [(ApiKind::ConectaCpfLight, "cpf-id", "cpf-secret"), (ApiKind::ConectaCnpj, "cnpj-id", "cnpj-secret")]
    {
        let b = CredentialBinding::for_profile(&p, CredentialScope::Api(api)).unwrap();
        store_credentials(&store, &b, &Credentials::new(id, secret)).unwrap();
    }
    let c = GovClient::with_credentials(p.clone(), credential_set_from_store(&store, &p).unwrap()).unwrap();
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.unwrap();
    assert_eq!(token_clients(&sim), ["cnpj-id"]);

    let moved = Profile { base_url: other.base_url(), ..p.clone() };
    let e = GovClient::with_credentials(moved.clone(), credential_set_from_store(&store, &moved).unwrap()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("informe de novo"), "{}", e.message);
    assert!(other.requests().is_empty(), "no secret went to the other address");
    sim.shutdown().await;
    other.shutdown().await;
}

// Source: apis.md §8 A9 (Consulta CPF v2's GET /status, ◐) and A1 (lookups of 200/206/404/422 are billed):
// "Testar" proves the credential by a token and the health check, never a lookup.
#[tokio::test(flavor = "multi_thread")]
async fn check_credentials_gets_a_token_and_the_health_check_and_bills_nothing() {
    let sim = sim_with(SimConfig { quota: Some(5), ..SimConfig::default() }).await;
    let c = serpro(&sim);
    let checks = c.check_credentials().await.expect("credentials proved");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].token_issued);
    assert_eq!(checks[0].health_checked, Some(ApiKind::SerproCpfV2));
    assert!(checks[0].summary().contains("token de acesso obtido"), "{}", checks[0].summary());
    assert_eq!(token_calls(&sim), 1);
    let paths: Vec<String> = api_calls(&sim).into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/consulta-cpf-df/v2/status"]);
    assert!(sim.usage().values().all(|n| *n == 0), "{:?}", sim.usage());
    c.check_credentials().await.unwrap();
    assert_eq!(token_calls(&sim), 2, "each test asks for a new token, not the cached one");
    sim.shutdown().await;

    let sim = sim_with(scoped_sim_config()).await;
    let c = per_api_client(&sim);
    let checks = c.check_credentials().await.expect("both credentials proved");
    assert_eq!(checks.len(), 2);
    assert_eq!(token_clients(&sim), ["cpf-id", "cnpj-id"]);
    assert!(api_calls(&sim).is_empty(), "Conecta documents no health check: no API call at all");
    let bad = GovClient::with_credentials(
        conecta_profile(&sim),
        per_api_set().with_api(ApiKind::ConectaCnpj, Credentials::new("cnpj-id", "wrong")),
    )
    .unwrap();
    assert_eq!(bad.check_credentials().await.unwrap_err().code, ErrorCode::Unauthorized);
    sim.shutdown().await;
}
