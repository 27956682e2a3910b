//! A stored credential goes only where it was entered for: after IT changes a profile's gateway origin or token
//! path, "Testar" and activation (the app's lookups) are refused before any request, the credential stays in the
//! store, and entering it again for the new address works. Two simulators over loopback, a real SQLCipher history.

use std::sync::Arc;

use balcao_core::ErrorCode;
use balcao_core::api::{Environment, LookupRequest};
use balcao_core::profile::{NetworkSettings, Profile};
use balcao_platform::{MemoryStore, SecretStore};
use balcao_service::{Balcao, StartOptions};
use balcao_sim::{SimConfig, SimHandle, Simulator};

const ID: &str = "serpro-prod";

async fn sim() -> SimHandle {
    Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.expect("simulator starts")
}

async fn start(dir: &std::path::Path, store: Arc<MemoryStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(store),
    };
    Balcao::start(opts).await.expect("starts in Demonstração")
}

/// A production SERPRO profile whose gateway is `base` (a loopback simulator standing in for the gateway).
fn production(base: &str) -> Profile {
    let network = NetworkSettings { max_retries: 0, total_timeout_ms: 5_000, ..NetworkSettings::default() };
    Profile {
        id: ID.into(),
        name: "SERPRO produção".into(),
        environment: Environment::Producao,
        network,
        ..Profile::demo(base)
    }
}

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

async fn enter_credentials(b: &Balcao) {
    b.profiles()
        .set_credentials(ID, "balcao-demo".into(), String::from("balcao-demo-secret").into())
        .await
        .expect("credentials stored");
}

fn assert_rebind_refusal(e: &balcao_core::AppError) {
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert!(e.message.contains("informe de novo"), "asks for the credential again: {}", e.message);
    assert!(e.message.contains("não foi enviad"), "says the secret was not sent: {}", e.message);
}

fn secret_still_stored(store: &MemoryStore) {
    let secret = store.get(&balcao_gov::client_secret_key(ID)).expect("store answers");
    assert_eq!(secret.map(|s| s.expose().clone()).as_deref(), Some("balcao-demo-secret"), "refused, not deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_gateway_origin_refuses_stored_credential_without_any_request_until_re_entered() {
    let (old, new) = (sim().await, sim().await);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store.clone()).await;
    b.profiles().save(production(&old.base_url())).await.unwrap();
    enter_credentials(&b).await;
    b.profiles().test(ID).await.expect("works at the address it was entered for");
    assert_eq!(old.requests().iter().filter(|r| r.is_token_call()).count(), 1);

    // IT (or a provisioned file) points the profile at another host: the secret must not follow.
    b.profiles().save(production(&new.base_url())).await.unwrap();
    assert_rebind_refusal(&b.profiles().test(ID).await.unwrap_err());
    assert_rebind_refusal(&b.profiles().activate(ID).await.unwrap_err());
    assert!(new.requests().is_empty(), "no request at all reached the new address: {:?}", new.requests());
    secret_still_stored(&store);

    // Entered again for the new address: it goes there.
    enter_credentials(&b).await;
    b.profiles().test(ID).await.expect("re-entered for the new address");
    b.profiles().activate(ID).await.expect("activates");
    b.lookup().lookup(request("40442820135")).await.expect("lookup through the new address");
    assert!(new.requests().iter().any(|r| r.is_token_call()), "the new address now gets the token request");
    old.shutdown().await;
    new.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_token_path_refuses_stored_credential_without_any_request_until_re_entered() {
    let gateway = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store.clone()).await;
    b.profiles().save(production(&gateway.base_url())).await.unwrap();
    enter_credentials(&b).await;
    b.profiles().activate(ID).await.expect("activates at the address it was entered for");
    gateway.clear_requests();

    let mut moved = production(&gateway.base_url());
    moved.paths.token = Some("/oauth2/jwt-token".into());
    b.profiles().save(moved).await.unwrap();
    assert_rebind_refusal(&b.profiles().test(ID).await.unwrap_err());
    assert_rebind_refusal(&b.profiles().activate(ID).await.unwrap_err());
    assert!(gateway.requests().is_empty(), "no request at all: {:?}", gateway.requests());
    secret_still_stored(&store);

    enter_credentials(&b).await;
    // Sent, not refused by the binding (that would be `Config`): the simulator's Conecta token endpoint issues a
    // Conecta token, which the SERPRO API then refuses (401).
    let tested = b.profiles().test(ID).await.expect_err("a Conecta token is no use on the SERPRO API");
    assert_eq!(tested.code, ErrorCode::Unauthorized, "{tested:?}");
    let calls = gateway.requests();
    assert!(calls.iter().any(|r| r.path == "/oauth2/jwt-token"), "re-entered, it goes to the new path: {calls:?}");
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base_path_change_within_the_same_origin_keeps_the_credential() {
    let gateway = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store.clone()).await;
    b.profiles().save(production(&gateway.base_url())).await.unwrap();
    enter_credentials(&b).await;
    // Same origin (the scheme written in capitals is the same scheme); only the path prefix differs.
    let prefixed = format!("{}/prefixo", gateway.base_url().replace("http://", "HTTP://"));
    b.profiles().save(production(&prefixed)).await.unwrap();
    gateway.clear_requests();
    if let Err(e) = b.profiles().test(ID).await {
        assert!(!e.message.contains("informe de novo"), "not refused by the binding: {}", e.message);
    }
    let calls = gateway.requests();
    assert!(calls.iter().any(|r| r.path == "/prefixo/token"), "the token request went out: {calls:?}");
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_a_profile_whose_extra_ca_file_is_not_a_small_pem_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
    let big = dir.path().join("grande.pem");
    std::fs::write(&big, vec![b'A'; 2 * 1024 * 1024]).unwrap();
    for (path, needle) in [
        (dir.path().to_string_lossy().into_owned(), "não é um arquivo comum"),
        ("/dev/zero".to_owned(), "não é um arquivo comum"),
        (big.to_string_lossy().into_owned(), "maior que 1 MiB"),
        (r"\\servidor\certificados\ca.pem".to_owned(), "pasta de rede"),
    ] {
        let mut p = production("https://gateway.apiserpro.serpro.gov.br");
        p.extra_ca_file = Some(path.clone());
        let e = b.profiles().save(p).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config, "{path}");
        assert!(e.message.contains(needle), "{path}: {}", e.message);
    }
    assert!(b.profiles().list().await.iter().all(|p| p.id != ID), "nothing was saved");
}
