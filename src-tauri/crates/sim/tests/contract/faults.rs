//! Every fault kind, its scope, its count and its seeded randomness.

use std::error::Error as _;
use std::time::{Duration, Instant};

use balcao_sim::{Fault, FaultScope, SimConfig};
use serde_json::Value;

use super::*;

const CPF: &str = "/consulta-cpf-df-trial/v1/cpf/40442820135";

#[tokio::test]
async fn status_fault_hits_the_next_n_calls_then_stops() {
    let sim = sim().await;
    sim.inject(Fault::status(503).times(2));
    for _ in 0..2 {
        let res = get(&sim, CPF, TRIAL).await;
        assert_eq!(res.status(), 503);
        assert!(!header(&res, "activityid").is_empty());
        assert!(json(res).await["mensagem"].is_string());
    }
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
    let faults: Vec<Option<String>> = sim.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults, vec![Some("status".to_owned()), Some("status".to_owned()), None]);

    // A custom body and Retry-After.
    sim.inject(Fault::new(balcao_sim::FaultKind::Status {
        status: 504,
        body: Some("Gateway Timeout".into()),
        retry_after: Some(7),
    }));
    let res = get(&sim, CPF, TRIAL).await;
    assert_eq!(res.status(), 504);
    assert_eq!(header(&res, "retry-after"), "7");
    assert!(header(&res, "content-type").starts_with("text/plain"));
    assert_eq!(res.text().await.unwrap(), "Gateway Timeout");
}

#[tokio::test]
async fn latency_fault_delays_then_answers_normally() {
    let sim = sim().await;
    sim.inject(Fault::latency(300));
    let started = Instant::now();
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A client with a shorter timeout gives up.
    sim.inject(Fault::latency(2_000));
    let err =
        client().get(url(&sim, CPF)).bearer_auth(TRIAL).timeout(Duration::from_millis(200)).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

fn io_kind(err: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = err.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

#[tokio::test]
async fn reset_fault_resets_the_connection() {
    let sim = sim().await;
    sim.inject(Fault::reset());
    let err = client().get(url(&sim, CPF)).bearer_auth(TRIAL).send().await.unwrap_err();
    assert_eq!(io_kind(&err), Some(std::io::ErrorKind::ConnectionReset), "{err:?}");
    let log = sim.requests();
    assert_eq!((log[0].status, log[0].fault.as_deref()), (0, Some("reset")));
    // The next call (a fresh connection) works.
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
}

#[tokio::test]
async fn truncated_body_fault_cuts_the_real_answer() {
    let sim = sim().await;
    sim.inject(Fault::truncated_body());
    let res = get(&sim, CPF, TRIAL).await;
    assert_eq!(res.status(), 200);
    let promised: usize = header(&res, "content-length").parse().unwrap();
    assert!(promised > 50);
    assert!(res.bytes().await.is_err(), "the body ends early");
    assert_eq!(sim.requests()[0].fault.as_deref(), Some("truncated_body"));
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
}

#[tokio::test]
async fn malformed_json_fault_sends_200_with_broken_json() {
    let sim = sim().await;
    sim.inject(Fault::malformed_json());
    let res = get(&sim, CPF, TRIAL).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(text.starts_with("{\"ni\""), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn html_error_fault_sends_a_proxy_page() {
    let sim = sim().await;
    sim.inject(Fault::html_error(502));
    sim.inject(Fault::html_error(504));
    let res = get(&sim, CPF, TRIAL).await;
    assert_eq!(res.status(), 502);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    assert!(res.text().await.unwrap().contains("<title>502 Bad Gateway</title>"));
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 504);
}

#[tokio::test]
async fn huge_body_fault_sends_valid_json_of_the_asked_size() {
    let sim = sim().await;
    sim.inject(Fault::huge_body(3_000_000));
    let res = get(&sim, CPF, TRIAL).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(bytes.len(), 3_000_000);
    assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
}

#[tokio::test]
async fn expire_tokens_fault_expires_before_the_call() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let path = "/consulta-cpf-df/v1/cpf/40442820135";
    assert_eq!(get(&sim, path, &token).await.status(), 200);
    sim.inject(Fault::expire_tokens());
    assert_eq!(get(&sim, path, &token).await.status(), 401);
    let fresh = serpro_token(&sim).await;
    assert_eq!(get(&sim, path, &fresh).await.status(), 200);
}

#[tokio::test]
async fn scope_selects_token_calls_api_calls_or_both() {
    let sim = sim().await;
    // Default scope: API calls only; the token call passes.
    sim.inject(Fault::status(500));
    let token = serpro_token(&sim).await;
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 500);
    // Token scope: the API call passes, the token call fails.
    sim.inject(Fault::status(503).on_token_calls());
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 200);
    let res = client()
        .post(url(&sim, "/oauth2/jwt-token"))
        .basic_auth(balcao_sim::DEMO_CLIENT_ID, Some(balcao_sim::DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    // All: both.
    sim.inject(Fault::html_error(502).scope(FaultScope::All).times(2));
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 502);
    let res = client()
        .post(url(&sim, "/token"))
        .basic_auth(balcao_sim::DEMO_CLIENT_ID, Some(balcao_sim::DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    assert!(sim.pending_faults().is_empty());
}

#[tokio::test]
async fn path_prefix_narrows_a_fault() {
    let sim = sim().await;
    sim.inject(Fault::status(500).path_prefix("/consulta-cnpj"));
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
    assert_eq!(get(&sim, "/consulta-cnpj-df-trial/v2/basica/34238864000168", TRIAL).await.status(), 500);
}

#[tokio::test]
async fn probabilistic_faults_are_deterministic_per_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let sim = start(SimConfig { seed, ..SimConfig::default() }).await;
        sim.inject(Fault::status(503).times(100).probability(0.5));
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(get(&sim, CPF, TRIAL).await.status().as_u16());
        }
        statuses
    }
    let a = run(11).await;
    assert_eq!(a, run(11).await);
    assert!(a.contains(&200) && a.contains(&503), "{a:?}");
    // Same seed, same tokens and activity ids too.
    let (s1, s2) = (sim().await, sim().await);
    assert_eq!(serpro_token(&s1).await, serpro_token(&s2).await);
}

#[tokio::test]
async fn faults_can_come_from_the_configuration() {
    let sim = start(SimConfig { faults: vec![Fault::status(500).times(1)], ..SimConfig::default() }).await;
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 500);
    assert_eq!(get(&sim, CPF, TRIAL).await.status(), 200);
    // Reset queues them again.
    sim.reset();
    assert_eq!(sim.pending_faults().len(), 1);
}
