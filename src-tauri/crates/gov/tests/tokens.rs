//! The token manager over real HTTP: single-flight on a cold cache and one silent refresh on 401.
//!
//! "An invalid number never reaches the gateway" is not tested here: the client only takes parsed `Document`s, so
//! it cannot be handed one. The real path (a typed string refused before any call) is proven by
//! `service/tests/lookup.rs::invalid_number_makes_no_call` (the simulator's log stays empty), the CLI's
//! `failures_print_a_coded_error_and_exit_with_its_status` and the e2e spine's invalid CPF.

mod common;

use balcao_core::record::CnpjView;
use balcao_core::{Document, ErrorCode};
use balcao_gov::GovClient;
use balcao_sim::Fault;
use common::*;

async fn hundred_lookups(c: &GovClient, number: &str) {
    let doc = Document::parse(number).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let c = c.clone();
        tasks.spawn(async move { c.lookup(&doc, Some(CnpjView::Basica)).await });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        r.expect("task").expect("lookup");
        ok += 1;
    }
    assert_eq!(ok, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn hundred_concurrent_lookups_on_a_cold_cache_make_one_token_request() {
    let sim = sim().await;
    let c = serpro(&sim);
    hundred_lookups(&c, "40442820135").await;
    assert_eq!(token_calls(&sim), 1);
    assert_eq!(c.token_requests(), 1);
    assert_eq!(api_calls(&sim).len(), 100);
    sim.shutdown().await;

    let sim = common::sim().await;
    let c = conecta(&sim);
    hundred_lookups(&c, "34238864000168").await;
    assert_eq!(token_calls(&sim), 1, "Conecta too");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_is_refreshed_once_silently() {
    let sim = sim().await;
    let c = serpro(&sim);
    c.lookup_cpf(&cpf("40442820135")).await.unwrap();
    sim.expire_tokens();
    let l = c.lookup_cpf(&cpf("40442820135")).await.expect("refreshed silently");
    assert_eq!(l.meta.http_status, 200);
    assert_eq!(token_calls(&sim), 2);
    let statuses: Vec<_> = api_calls(&sim).into_iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
    let tokens: Vec<_> = api_calls(&sim).into_iter().map(|r| r.token).collect();
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2], "the retry carries the new token");

    sim.inject(Fault::expire_tokens());
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Qsa).await.expect("the expire-tokens fault too");
    assert_eq!(token_calls(&sim), 3);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_401_is_unauthorized_after_exactly_one_refresh() {
    let sim = sim().await;
    let c = conecta(&sim);
    sim.inject(Fault::status(401).times(5));
    let e = c.lookup_cpf(&cpf("00000000191")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized);
    assert!(!e.meta.unwrap().billable);
    assert_eq!(api_calls(&sim).len(), 2, "the call and its one retry with a fresh token");
    assert_eq!(token_calls(&sim), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_401s_share_one_refresh() {
    let sim = sim().await;
    let c = serpro(&sim);
    c.lookup_cpf(&cpf("40442820135")).await.unwrap();
    sim.expire_tokens();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let c = c.clone();
        tasks.spawn(async move { c.lookup_cpf(&cpf("40442820135")).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().expect("every lookup succeeds");
    }
    assert_eq!(token_calls(&sim), 2, "the first token and one refresh for all 20");
    sim.shutdown().await;
}
