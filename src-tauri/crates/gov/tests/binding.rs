//! The gov client itself refuses a stored credential at another address (what the app, "Testar" and
//! `balcao-cli lookup`/`batch` all build on): built from the keyring's credentials for a profile whose origin or
//! token path changed, it is refused with the pt-BR message and the second simulator receives no request at all.

mod common;

use balcao_core::ErrorCode;
use balcao_core::api::Environment;
use balcao_core::profile::Profile;
use balcao_gov::{
    CredentialBinding, CredentialScope, Credentials, GovClient, credentials_from_store, store_credentials,
};
use balcao_platform::{MemoryStore, SecretStore};
use common::*;

fn production(base: &str) -> Profile {
    Profile {
        id: "serpro-prod".into(),
        environment: Environment::Producao,
        network: fast_network(),
        ..Profile::demo(base)
    }
}

fn stored_for(store: &MemoryStore, profile: &Profile) {
    let binding = CredentialBinding::for_profile(profile, CredentialScope::AllApis).unwrap();
    store_credentials(store, &binding, &Credentials::demo()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn client_built_from_the_keyring_refuses_another_origin_and_sends_nothing_there() {
    let (old, new) = (sim().await, sim().await);
    let store = MemoryStore::new();
    stored_for(&store, &production(&old.base_url()));
    let ok = GovClient::new(production(&old.base_url()), credentials_from_store(&store, "serpro-prod").unwrap());
    ok.unwrap().lookup_cpf(&cpf("40442820135")).await.expect("at its own address");

    let e = GovClient::new(production(&new.base_url()), credentials_from_store(&store, "serpro-prod").unwrap())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("informe de novo") && e.message.contains(&old.base_url()), "{}", e.message);
    assert!(new.requests().is_empty(), "{:?}", new.requests());
    assert!(store.get(&balcao_gov::client_secret_key("serpro-prod")).unwrap().is_some(), "still stored");

    stored_for(&store, &production(&new.base_url()));
    let c = GovClient::new(production(&new.base_url()), credentials_from_store(&store, "serpro-prod").unwrap());
    c.unwrap().lookup_cpf(&cpf("40442820135")).await.expect("entered again for the new address");
    assert_eq!(token_calls(&new), 1);
    old.shutdown().await;
    new.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_demo_pair_and_the_trial_bearer_are_unaffected() {
    let sim = sim().await;
    serpro(&sim).lookup_cpf(&cpf("40442820135")).await.expect("Demonstração's public pair");
    let mut trial = production("https://gateway.apiserpro.serpro.gov.br");
    trial.environment = Environment::SerproTrial;
    let store = MemoryStore::new();
    store.set(&balcao_gov::client_id_key("serpro-prod"), &"k".to_owned().into()).unwrap();
    store.set(&balcao_gov::client_secret_key("serpro-prod"), &"s".to_owned().into()).unwrap();
    GovClient::new(trial, credentials_from_store(&store, "serpro-prod").unwrap())
        .expect("the trial sends no credential, so an unbound one is not refused");
    sim.shutdown().await;
}
