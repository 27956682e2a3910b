//! Conecta: `POST /oauth2/jwt-token`, CPF Light and CNPJ Básica/QSA/Empresa with `x-cpf-usuario`.

use balcao_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::*;

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn jwt_lives_two_hours() {
    let sim = sim().await;
    let res = client()
        .post(url(&sim, "/oauth2/jwt-token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "api-cpf-light-v1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!header(&res, "activityid").is_empty());
    let body = json(res).await;
    assert_eq!(body["expires_in"], 7200);
    let jwt = body["access_token"].as_str().unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(decode_part(parts[0]), json!({"alg": "RS512", "typ": "JWT"}));
    let claims = decode_part(parts[1]);
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 7200);
    assert_eq!(claims["aud"], "conectagov-aud");
    assert_eq!(claims["iss"], "conectagov-iss");
    assert_eq!(claims["sub"]["id"], DEMO_CLIENT_ID);
    assert_eq!(claims["sub"]["type"], "application");
    assert_eq!(claims["sub"]["scopes"], "api-cpf-light-v1");
}

#[tokio::test]
async fn jwt_endpoint_takes_body_credentials_and_refuses_bad_ones() {
    let sim = sim().await;
    let c = client();
    let res = c
        .post(url(&sim, "/oauth2/jwt-token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_CLIENT_ID),
            ("client_secret", DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .post(url(&sim, "/oauth2/jwt-token"))
        .basic_auth(DEMO_CLIENT_ID, Some("nope"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = c
        .post(url(&sim, "/oauth2/jwt-token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // The request log names the client, not the secret.
    let log = sim.requests();
    assert_eq!(log.iter().map(|r| r.token.as_deref()).collect::<Vec<_>>(), vec![Some(DEMO_CLIENT_ID); 3]);
    assert!(log.iter().all(|r| r.body.is_none()));
}

async fn cpf_light(sim: &SimHandle, token: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url(sim, "/api-cpf-light/v2/consulta/cpf"))
        .bearer_auth(token)
        .header("x-cpf-usuario", OPERATOR)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cpf_light_answers_pascal_case_records_in_order() {
    let sim = sim().await;
    let token = conecta_token(&sim).await;
    let res =
        cpf_light(&sim, &token, &json!({"listaCpf": ["00000000272", "12345678909", "40442820135", "16899535009"]}))
            .await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("application/json"));
    let body = json(res).await;
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 4);
    let maria = &list[0];
    assert_eq!(maria["CPF"], "00000000272");
    assert_eq!(maria["Nome"], "MARIA DAS GRACAS PEREIRA");
    assert_eq!(maria["SituacaoCadastral"], 0, "an integer in CPF Light");
    assert_eq!(maria["DataNascimento"], "19620815", "AAAAMMDD in CPF Light");
    assert_eq!(maria["Cep"], 4101300, "an integer: the leading zero is lost");
    assert_eq!(maria["CodigoMunicipio"], 7107, "RFB/SIAFI code for São Paulo");
    assert_eq!(maria["Sexo"], 2);
    for key in [
        "NomeMae",
        "ResidenteExterior",
        "Estrangeiro",
        "UF",
        "Municipio",
        "DataAtualizacao",
        "NomeUnidadeAdministrativa",
    ] {
        assert!(maria[key].is_string(), "{key}");
    }
    assert_eq!(list[1], json!({"CPF": "12345678909", "mensagem": "CPF não encontrado na base de dados."}));
    assert_eq!(list[2]["Nome"], "Nome do CPF 404.428.201-35");
    assert_eq!(list[3]["ResidenteExterior"], "S");
    assert_eq!(list[3]["NomePaisExterior"], "JAPAO");
    // The log keeps the operator and the body.
    let call = sim.requests().into_iter().find(|r| r.path == "/api-cpf-light/v2/consulta/cpf").unwrap();
    assert_eq!(call.cpf_usuario.as_deref(), Some(OPERATOR));
    assert_eq!(call.token.as_deref(), Some(token.as_str()));
    assert!(call.body.unwrap().contains("12345678909"));
}

#[tokio::test]
async fn cpf_light_deceased_and_minor_records() {
    let sim = sim().await;
    let token = conecta_token(&sim).await;
    let body = json(cpf_light(&sim, &token, &json!({"listaCpf": ["39053344705", "52998224725"]})).await).await;
    assert_eq!(body[0]["SituacaoCadastral"], 3);
    assert_eq!(body[0]["AnoObito"], 2021);
    assert_eq!(body[1]["DataNascimento"], "20140312");
}

#[tokio::test]
async fn cpf_light_refuses_bad_lists() {
    let sim = sim().await;
    let token = conecta_token(&sim).await;
    let fifty_one: Vec<String> = (0..51).map(|_| "00000000272".to_owned()).collect();
    let fifty: Vec<String> = (0..50).map(|_| "00000000272".to_owned()).collect();
    assert_eq!(cpf_light(&sim, &token, &json!({"listaCpf": fifty_one})).await.status(), 400);
    let ok = cpf_light(&sim, &token, &json!({"listaCpf": fifty})).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(json(ok).await.as_array().unwrap().len(), 50);
    for bad in [
        json!({"listaCpf": []}),
        json!({"cpfs": ["00000000272"]}),
        json!({"listaCpf": ["00000000273"]}),
        json!({"listaCpf": [272]}),
    ] {
        let res = cpf_light(&sim, &token, &bad).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(json(res).await["mensagem"].is_string());
    }
    let res = client()
        .post(url(&sim, "/api-cpf-light/v2/consulta/cpf"))
        .bearer_auth(&token)
        .header("x-cpf-usuario", OPERATOR)
        .body(r#"{"listaCpf": ["00000000272"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = client().get(url(&sim, "/api-cpf-light/v2/consulta/cpf")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn x_cpf_usuario_is_required_and_checked() {
    let sim = sim().await;
    let token = conecta_token(&sim).await;
    let path = "/api-cnpj-basica/v2/basica/34238864000168";
    let res = client().get(url(&sim, path)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(json(res).await["mensagem"].as_str().unwrap().contains("x-cpf-usuario"));
    for bad in ["11111111111", "000.000.001-91", "00000000192", ""] {
        let res = client().get(url(&sim, path)).bearer_auth(&token).header("x-cpf-usuario", bad).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad:?}");
    }
    assert_eq!(conecta_get(&sim, path, &token).await.status(), 200);
    // Missing token comes first: 401 even without the header.
    assert_eq!(client().get(url(&sim, path)).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn conecta_cnpj_views_and_errors() {
    let sim = sim().await;
    let token = conecta_token(&sim).await;
    let empresa = json(conecta_get(&sim, "/api-cnpj-empresa/v2/empresa/11222333000181", &token).await).await;
    let qsa = json(conecta_get(&sim, "/api-cnpj-qsa/v2/qsa/11222333000181", &token).await).await;
    let basica = json(conecta_get(&sim, "/api-cnpj-basica/v2/basica/11222333000181", &token).await).await;
    assert_eq!(empresa["socios"][0]["cpf"], "40442820135");
    assert!(qsa["socios"][0].get("cpf").is_none());
    assert_eq!(qsa["socios"][0]["nome"], empresa["socios"][0]["nome"]);
    assert!(basica.get("socios").is_none());
    assert_eq!(basica["nomeEmpresarial"], "PADARIA E CONFEITARIA BOM PAO LTDA");
    // Same JSON as SERPRO v2.
    let serpro = serpro_token(&sim).await;
    let via_serpro = json(get(&sim, "/consulta-cnpj-df/v2/empresa/11222333000181", &serpro).await).await;
    assert_eq!(via_serpro, empresa);
    // Trial CNPJs are served on Conecta too; a base/view mismatch is a wrong path.
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/basica/34238864000168", &token).await.status(), 200);
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/empresa/34238864000168", &token).await.status(), 403);
    let res = conecta_get(&sim, "/api-cnpj-basica/v2/basica/44356113000108", &token).await;
    assert_eq!(res.status(), 404);
    assert!(json(res).await["mensagem"].is_string());
    let res = conecta_get(&sim, "/api-cnpj-basica/v2/basica/44356113000109", &token).await;
    assert_eq!(res.status(), 400);
    // A SERPRO token or the trial bearer does not open Conecta.
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/basica/34238864000168", &serpro).await.status(), 401);
    assert_eq!(conecta_get(&sim, "/api-cnpj-basica/v2/basica/34238864000168", TRIAL).await.status(), 401);
}
