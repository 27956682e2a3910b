//! Issue #15, "Status codes and bodies" and "Money": the simulator answers as the real gateway does, each rule with
//! its public source (a section of `shared/reference/apis.md`).

use balcao_sim::{Fault, FaultKind};
use serde_json::{Value, json};

use super::*;

/// apis.md §8 A1 (the API Center's return-code page, ✔): 422 for a minor is not tied to v2. The trial's minors
/// are the v2 guide's (§8 A2, ◐).
#[tokio::test]
async fn minors_are_422_on_v1_and_v2_trial_and_production() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    for cpf in ["30272095079", "14898746071"] {
        for version in ["v1", "v2"] {
            for (base, bearer) in [("consulta-cpf-df-trial", TRIAL), ("consulta-cpf-df", token.as_str())] {
                let res = get(&sim, &format!("/{base}/{version}/cpf/{cpf}"), bearer).await;
                assert_eq!(res.status(), 422, "{base} {version} {cpf}");
            }
        }
    }
    sim.shutdown().await;
}

/// apis.md §8 A2 (one source, ◐): 451 for a minor under 16, 406 for an `Accept` that excludes JSON.
#[tokio::test]
async fn under_16_is_451_and_an_accept_without_json_is_406() {
    let sim = sim().await;
    for cpf in ["20803407009", "78411139000"] {
        for version in ["v1", "v2"] {
            let res = get(&sim, &format!("/consulta-cpf-df-trial/{version}/cpf/{cpf}"), TRIAL).await;
            assert_eq!(res.status(), 451, "{version} {cpf}");
            assert!(json(res).await["mensagem"].as_str().unwrap().contains("16 anos"));
        }
    }
    let with_accept = |accept: &'static str| {
        client()
            .get(url(&sim, "/consulta-cpf-df-trial/v2/cpf/40442820135"))
            .bearer_auth(TRIAL)
            .header("accept", accept)
            .send()
    };
    assert_eq!(with_accept("text/xml").await.unwrap().status(), 406);
    assert_eq!(with_accept("application/xml, text/html;q=0.9").await.unwrap().status(), 406);
    for ok in ["application/json", "application/json; charset=utf-8", "*/*", "text/html, application/*;q=0.5"] {
        assert_eq!(with_accept(ok).await.unwrap().status(), 200, "{ok}");
    }
    sim.shutdown().await;
}

/// apis.md §8 A2 (◐): the v2 guide's two 206 CPFs answer without `dataInscricao` on v2 and in full (200) on v1.
#[tokio::test]
async fn the_v2_guides_partial_cpfs_are_206_on_v2() {
    let sim = sim().await;
    for cpf in ["88373571094", "47460609080"] {
        let res = get(&sim, &format!("/consulta-cpf-df-trial/v2/cpf/{cpf}"), TRIAL).await;
        assert_eq!(res.status(), 206, "{cpf}");
        assert!(json(res).await.get("dataInscricao").is_none());
        assert_eq!(get(&sim, &format!("/consulta-cpf-df-trial/v1/cpf/{cpf}"), TRIAL).await.status(), 200);
    }
    sim.shutdown().await;
}

/// apis.md §8 A5 (WSO2 API Manager documentation, ⚑ for SERPRO/Conecta): the gateway's own throttling answer is a
/// JSON `fault` object with a throttling code, not a `mensagem`.
#[tokio::test]
async fn a_throttled_fault_answers_in_the_api_managers_format() {
    let sim = sim().await;
    sim.inject(Fault::new(FaultKind::Throttled { code: 900_802, status: 429, retry_after: Some(3) }));
    let res = get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "retry-after"), "3");
    assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
    let body = json(res).await;
    assert_eq!(body["fault"]["code"], 900_802);
    assert_eq!(body["fault"]["message"], "Message throttled out");
    assert!(body.get("mensagem").is_none());
    // The same fault as JSON, as `POST /__sim/faults` and config files take it (code and status defaulted).
    let f: Fault = serde_json::from_value(json!({"kind": "throttled"})).unwrap();
    assert_eq!(f.kind, FaultKind::Throttled { code: 900_802, status: 429, retry_after: None });
    sim.inject(Fault::new(FaultKind::Throttled { code: 900_804, status: 503, retry_after: None }));
    let res = get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_none());
    assert_eq!(json(res).await["fault"]["code"], 900_804);
    sim.shutdown().await;
}

/// `capitalSocial` in each shape the sources give (apis.md §1.3, §6.4 and §8 A6): the shared fixture lists, per
/// CNPJ, the shape it is served in; the client test and the UI test read the same file.
#[tokio::test]
async fn capital_social_is_served_in_every_documented_shape() {
    let cases: Value = serde_json::from_str(include_str!("../../../../../ui/src/tests/capital-shapes.json")).unwrap();
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let mut shapes = Vec::new();
    for case in cases["cases"].as_array().unwrap() {
        let cnpj = case["cnpj"].as_str().unwrap();
        let body = json(get(&sim, &format!("/consulta-cnpj-df/v2/basica/{cnpj}"), &token).await).await;
        let v = &body["capitalSocial"];
        let shape = match v {
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => "digits",
            Value::Number(n) if n.as_i64() == Some(0) => "zero",
            Value::Number(n) if n.is_i64() => "integer",
            Value::Number(_) => "decimal",
            other => panic!("{cnpj}: {other}"),
        };
        shapes.push(shape);
    }
    assert_eq!(shapes, ["zero", "digits", "integer", "decimal"]);
    sim.shutdown().await;
}
