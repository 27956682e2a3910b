//! Conecta tokens carry the scope of the credential's API, and an API refuses a token without its scope (#15).
//!
//! Source: apis.md §8 A4 (agencies hold one Conecta credential per API; a production JWT carries the scope of one
//! API, `scopes: "api-cpf-light-v1"`, §2.1 S8). The 403 for a token of another API's scope rests on no public
//! source (unconfirmed): the real gateway may answer 401 instead; the client treats both as a refusal.

use balcao_sim::SimConfig;
use serde_json::Value;

use super::*;

const CPF_LIGHT: &str = "/api-cpf-light/v2/consulta/cpf";
const CNPJ_BASICA: &str = "/api-cnpj-basica/v2/basica/34238864000168";

fn per_api() -> SimConfig {
    SimConfig {
        conecta_scoped_credentials: vec![
            ("cpf-id".into(), "cpf-secret".into(), "api-cpf-light-v1".into()),
            ("cnpj-id".into(), "cnpj-secret".into(), "api-cnpj-v1".into()),
        ],
        ..SimConfig::default()
    }
}

async fn token_of(sim: &SimHandle, id: &str, secret: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    client().post(url(sim, "/oauth2/jwt-token")).basic_auth(id, Some(secret)).form(&form).send().await.unwrap()
}

async fn cpf_light(sim: &SimHandle, token: &str) -> reqwest::Response {
    client()
        .post(url(sim, CPF_LIGHT))
        .bearer_auth(token)
        .header("x-cpf-usuario", OPERATOR)
        .json(&serde_json::json!({"listaCpf": ["00000000191"]}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_per_api_credential_gets_a_token_of_its_api_only_and_other_apis_refuse_it() {
    let sim = start(per_api()).await;
    let res = token_of(&sim, "cpf-id", "cpf-secret", &[]).await;
    assert_eq!(res.status(), 200);
    let body: Value = json(res).await;
    assert_eq!(body["scope"], "api-cpf-light-v1");
    let cpf_token = body["access_token"].as_str().unwrap().to_owned();
    let body: Value = json(token_of(&sim, "cnpj-id", "cnpj-secret", &[]).await).await;
    assert_eq!(body["scope"], "api-cnpj-v1");
    let cnpj_token = body["access_token"].as_str().unwrap().to_owned();

    assert_eq!(cpf_light(&sim, &cpf_token).await.status(), 200);
    assert_eq!(conecta_get(&sim, CNPJ_BASICA, &cnpj_token).await.status(), 200);
    let refused = conecta_get(&sim, CNPJ_BASICA, &cpf_token).await;
    assert_eq!(refused.status(), 403, "the CPF Light token on the CNPJ API");
    let text = refused.text().await.unwrap();
    assert!(text.contains("api-cnpj-v1"), "{text}");
    assert_eq!(cpf_light(&sim, &cnpj_token).await.status(), 403, "the CNPJ token on CPF Light");
    assert_eq!(sim.usage().values().sum::<u64>(), 2, "refused calls count no quota");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_credential_cannot_ask_for_another_apis_scope_and_the_shared_demo_pair_covers_both() {
    let sim = start(per_api()).await;
    let res = token_of(&sim, "cpf-id", "cpf-secret", &[("scope", "api-cnpj-v1")]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "invalid_scope");
    assert_eq!(token_of(&sim, "cpf-id", "wrong", &[]).await.status(), 401);
    let demo = conecta_token(&sim).await;
    assert_eq!(cpf_light(&sim, &demo).await.status(), 200);
    assert_eq!(conecta_get(&sim, CNPJ_BASICA, &demo).await.status(), 200);
    // Narrowed on request (the optional `scope` field, apis.md §2.1, ◐): the narrowed token covers that API only.
    let narrowed: Value = json(
        token_of(&sim, balcao_sim::DEMO_CLIENT_ID, balcao_sim::DEMO_CLIENT_SECRET, &[("scope", "api-cpf-light-v1")])
            .await,
    )
    .await;
    let narrowed = narrowed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(conecta_get(&sim, CNPJ_BASICA, &narrowed).await.status(), 403);
    sim.shutdown().await;
}

// Source: apis.md §8 A9 (Consulta CPF v2 exposes GET /status; one author, ◐). Not a lookup: no quota, not billed.
#[tokio::test]
async fn cpf_v2_status_answers_without_counting_quota() {
    let sim = start(SimConfig { quota: Some(1), ..SimConfig::default() }).await;
    let token = serpro_token(&sim).await;
    for _ in 0..3 {
        assert_eq!(get(&sim, "/consulta-cpf-df/v2/status", &token).await.status(), 200);
    }
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v2/status", TRIAL).await.status(), 200);
    assert_eq!(get(&sim, "/consulta-cpf-df/v2/status", "not-a-token").await.status(), 401);
    assert!(sim.usage().values().all(|n| *n == 0), "{:?}", sim.usage());
    assert_eq!(get(&sim, "/consulta-cpf-df/v2/cpf/40442820135", &token).await.status(), 200, "quota still whole");
    sim.shutdown().await;
}
