//! Conecta gateway over real HTTP against the simulator: JWT token, `x-cpf-usuario`, CPF Light (batches of up to
//! 50, `mensagem` entries) and Consulta CNPJ v2.

mod common;

use balcao_core::ErrorCode;
use balcao_core::profile::TokenSource;
use balcao_core::record::{ApiKind, CnpjView, Record};
use balcao_gov::CPF_LIGHT_BATCH;
use common::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// CPFs the simulator's Conecta base knows.
const KNOWN: [&str; 6] = ["00000000191", "00000000272", "00000000353", "00000000434", "77689062768", "40442820135"];

#[tokio::test(flavor = "multi_thread")]
async fn cpf_light_single_lookup_is_a_batch_of_one_with_the_clerk_cpf() {
    let sim = sim().await;
    let c = conecta(&sim);
    let l = c.lookup_cpf(&cpf("00000000272")).await.expect("CPF Light");
    let Record::Cpf(r) = &l.record else { panic!("CPF record") };
    assert_eq!(r.cpf.as_str(), "00000000272");
    assert_eq!(r.birth_date.as_deref(), Some("1962-08-15"), "AAAAMMDD read as ISO");
    assert_eq!(r.sex.as_deref(), Some("Feminino"));
    assert_eq!(r.address.as_ref().and_then(|a| a.cep.as_deref()), Some("04101300"), "leading zero restored");
    assert!(r.mother_name.is_some());
    assert_eq!(l.meta.api, ApiKind::ConectaCpfLight);
    assert!(l.meta.billable);
    assert!(l.raw.starts_with('['), "a batch of one keeps the whole body");
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].path, "/api-cpf-light/v2/consulta/cpf");
    assert_eq!(calls[0].body.as_deref(), Some(r#"{"listaCpf":["00000000272"]}"#));
    assert_eq!(calls[0].cpf_usuario.as_deref(), Some(CLERK));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn conecta_token_validity_follows_the_jwt_exp() {
    let sim = sim().await;
    let c = conecta(&sim);
    c.lookup_cpf(&cpf("00000000191")).await.expect("lookup");
    let status = c.token_status().expect("issued");
    assert_eq!(status.source, TokenSource::Issued);
    let until = OffsetDateTime::parse(status.valid_until.as_deref().unwrap(), &Rfc3339).unwrap();
    let secs = (until - OffsetDateTime::now_utc()).whole_seconds();
    assert!((6800..=6900).contains(&secs), "JWT lives 7200 s, renewed 5 min early: {secs}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_of_120_goes_in_three_calls_in_input_order() {
    let sim = sim().await;
    let c = conecta(&sim);
    let cpfs: Vec<_> = (0..120).map(|i| cpf(KNOWN[i % KNOWN.len()])).collect();
    let results = c.lookup_cpfs(&cpfs).await;
    assert_eq!(results.len(), 120);
    for (asked, result) in cpfs.iter().zip(&results) {
        let l = result.as_ref().unwrap_or_else(|e| panic!("{asked}: {e}"));
        assert_eq!(l.record.number(), asked.as_str());
    }
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 3, "ceil(120 / 50) batches");
    for call in &calls {
        let body: serde_json::Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
        let n = body["listaCpf"].as_array().unwrap().len();
        assert!(n <= CPF_LIGHT_BATCH && n > 0, "{n}");
        assert_eq!(call.cpf_usuario.as_deref(), Some(CLERK));
    }
    assert_eq!(c.quota_status(ApiKind::ConectaCpfLight).used, 3, "one billable call per batch");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_with_unknown_cpfs_gets_not_found_entries() {
    let sim = sim().await;
    let c = conecta(&sim);
    let cpfs = [cpf("00000000191"), cpf("12345678909"), cpf("00000000191"), cpf("11144477735")];
    let results = c.lookup_cpfs(&cpfs).await;
    assert!(results[0].is_ok());
    let missing = results[1].as_ref().unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    assert!(missing.meta.as_ref().unwrap().billable);
    assert_eq!(results[2].as_ref().unwrap().record.number(), "00000000191", "duplicates answered from one entry");
    assert!(results[3].is_ok());
    assert!(!results[0].as_ref().unwrap().raw.starts_with('['), "an entry of a larger batch keeps its own JSON");
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 1);
    let body: serde_json::Value = serde_json::from_str(calls[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["listaCpf"].as_array().unwrap().len(), 3, "duplicates sent once");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cnpj_on_conecta_uses_its_paths_and_the_clerk_header() {
    let sim = sim().await;
    let c = conecta(&sim);
    for view in [CnpjView::Basica, CnpjView::Qsa, CnpjView::Empresa] {
        let l = c.lookup_cnpj(&cnpj("11222333000181"), view).await.unwrap_or_else(|e| panic!("{view:?}: {e}"));
        assert_eq!(l.meta.api, ApiKind::ConectaCnpj);
    }
    let missing = c.lookup_cnpj(&cnpj("44356113000108"), CnpjView::Qsa).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound, "Conecta's JSON 404");
    let calls = api_calls(&sim);
    let paths: Vec<_> = calls.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths[..3],
        [
            "/api-cnpj-basica/v2/basica/11222333000181",
            "/api-cnpj-qsa/v2/qsa/11222333000181",
            "/api-cnpj-empresa/v2/empresa/11222333000181"
        ]
    );
    assert!(calls.iter().all(|r| r.cpf_usuario.as_deref() == Some(CLERK)), "x-cpf-usuario on every API call");
    assert_eq!(token_calls(&sim), 1);
    sim.shutdown().await;
}
