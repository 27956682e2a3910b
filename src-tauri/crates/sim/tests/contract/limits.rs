//! Quota, rate limit, contracted paths, token lifetime and expiry.

use balcao_sim::{Contracted, SimConfig};

use super::*;

#[tokio::test]
async fn quota_counts_per_api_then_answers_429_json() {
    let sim = start(SimConfig { quota: Some(3), ..SimConfig::default() }).await;
    let token = serpro_token(&sim).await;
    // Every call that reaches the API counts, a 404 included.
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 200);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/12345678909", &token).await.status(), 404);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/63017285995", &token).await.status(), 200);
    let res = get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_none(), "quota is not a rate limit");
    let body = json(res).await;
    assert!(body["mensagem"].as_str().unwrap().contains("consulta-cpf-df/v1"));
    assert_eq!(body["limite"], 3);
    // Other APIs have their own counter; token calls do not count.
    assert_eq!(get(&sim, "/consulta-cpf-df/v2/cpf/40442820135", &token).await.status(), 200);
    assert_eq!(get(&sim, "/consulta-cnpj-df/v2/basica/34238864000168", &token).await.status(), 200);
    let usage = sim.usage();
    assert_eq!(usage.get("consulta-cpf-df/v1"), Some(&3));
    assert_eq!(usage.get("consulta-cpf-df/v2"), Some(&1));
    assert_eq!(usage.get("consulta-cnpj-df/v2"), Some(&1));
    // Unauthenticated calls never reach the API, so they do not count.
    assert_eq!(client().get(url(&sim, "/consulta-cpf-df/v2/cpf/1")).send().await.unwrap().status(), 401);
    assert_eq!(sim.usage().get("consulta-cpf-df/v2"), Some(&1));
    // The homologation profile has the 1,000-call quota.
    assert_eq!(SimConfig::homologation().quota, Some(1000));
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    // 0.2 rps: one call, then the next token is 5 s away.
    let sim = start(SimConfig { rate_limit_rps: Some(0.2), ..SimConfig::default() }).await;
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await.status(), 200);
    let res = get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = header(&res, "retry-after").parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert!(json(res).await["mensagem"].is_string());
    // Token calls are not rate limited.
    serpro_token(&sim).await;
}

#[tokio::test]
async fn uncontracted_paths_answer_403_trial_stays_open() {
    let contracted = Contracted::Only(vec!["consulta-cpf-df/v1".into(), "api-cnpj-qsa".into()]);
    let sim = start(SimConfig { contracted, ..SimConfig::default() }).await;
    let token = serpro_token(&sim).await;
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 200);
    let res = get(&sim, "/consulta-cpf-df/v2/cpf/40442820135", &token).await;
    assert_eq!(res.status(), 403);
    assert!(json(res).await["mensagem"].as_str().unwrap().contains("não contratado"));
    assert_eq!(get(&sim, "/consulta-cnpj-df/v2/basica/34238864000168", &token).await.status(), 403);
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v2/cpf/40442820135", TRIAL).await.status(), 200);
    let jwt = conecta_token(&sim).await;
    assert_eq!(conecta_get(&sim, "/api-cnpj-qsa/v2/qsa/34238864000168", &jwt).await.status(), 200);
    assert_eq!(conecta_get(&sim, "/api-cnpj-empresa/v2/empresa/34238864000168", &jwt).await.status(), 403);
}

#[tokio::test]
async fn token_lifetimes_come_from_the_configuration() {
    let sim = start(SimConfig { serpro_token_ttl_secs: 0, conecta_token_ttl_secs: 0, ..SimConfig::default() }).await;
    let token = serpro_token(&sim).await;
    let res = get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await;
    assert_eq!(res.status(), 401);
    assert!(json(res).await["mensagem"].as_str().unwrap().contains("expirado"));
    let jwt = conecta_token(&sim).await;
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/basica/34238864000168", &jwt).await.status(), 401);
}

#[tokio::test]
async fn expire_tokens_now_spares_the_trial_bearer() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let jwt = conecta_token(&sim).await;
    sim.expire_tokens();
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await.status(), 401);
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/basica/34238864000168", &jwt).await.status(), 401);
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await.status(), 200);
    let fresh = serpro_token(&sim).await;
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &fresh).await.status(), 200);
}

#[tokio::test]
async fn custom_credentials_replace_the_demo_ones() {
    let config = SimConfig {
        serpro_credentials: vec![("key".into(), "secret".into())],
        conecta_credentials: vec![],
        ..SimConfig::default()
    };
    let sim = start(config).await;
    let c = client();
    let form = [("grant_type", "client_credentials")];
    let ok = c.post(url(&sim, "/token")).basic_auth("key", Some("secret")).form(&form).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let demo = c.post(url(&sim, "/token")).basic_auth(balcao_sim::DEMO_CLIENT_ID, Some(balcao_sim::DEMO_CLIENT_SECRET));
    assert_eq!(demo.form(&form).send().await.unwrap().status(), 401);
    let conecta =
        c.post(url(&sim, "/oauth2/jwt-token")).basic_auth("key", Some("secret")).form(&form).send().await.unwrap();
    assert_eq!(conecta.status(), 401);
}
