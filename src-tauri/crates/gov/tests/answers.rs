//! Issue #15, "Status codes and bodies" and "Money": how the client reads each answer of the real gateways, against
//! the simulator over loopback. Each rule names its public source (a section of `shared/reference/apis.md`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use balcao_core::ErrorCode;
use balcao_core::profile::CpfApi;
use balcao_core::record::{ApiKind, CnpjView, Record, Severity};
use balcao_sim::{Fault, FaultKind};
use common::*;
use serde_json::Value;

/// A SERPRO CPF client on `version`, counting billable calls as the history's callback does.
fn counted(sim: &balcao_sim::SimHandle, version: CpfApi) -> (balcao_gov::GovClient, Arc<AtomicU64>) {
    let mut p = serpro_profile(sim);
    p.cpf_api = Some(version);
    let c = client(p);
    let billed = Arc::new(AtomicU64::new(0));
    let b = billed.clone();
    c.quota().on_billable(move |_| {
        b.fetch_add(1, Ordering::SeqCst);
    });
    (c, billed)
}

/// apis.md §8 A1 (the API Center's return-code page for Consulta CPF, ✔): only 400, 401, 403, 500 and 504 are not
/// billed, so 422 is, on v1 as on v2: it counts in the quota and reaches the history as billable.
#[tokio::test(flavor = "multi_thread")]
async fn a_minors_422_is_billed_on_v1_and_v2() {
    let sim = sim().await;
    for (version, api) in [(CpfApi::SerproV1, ApiKind::SerproCpfV1), (CpfApi::SerproV2, ApiKind::SerproCpfV2)] {
        let (c, billed) = counted(&sim, version);
        let e = c.lookup_cpf(&cpf("30272095079")).await.expect_err("a minor");
        assert_eq!(e.code(), ErrorCode::MinorDataBlocked, "{api:?}");
        let meta = e.meta.expect("an answer arrived");
        assert_eq!((meta.http_status, meta.billable, meta.api), (422, true, api));
        assert_eq!(c.quota().used(api), 1, "{api:?}: counted in the quota");
        assert_eq!(billed.load(Ordering::SeqCst), 1, "{api:?}: reported to the history");
    }
    assert_eq!(api_calls(&sim).len(), 2, "never retried");
    sim.shutdown().await;
}

/// apis.md §8 A2 (one source, ◐): 451 is a minor under 16, billed; 406 is a refused `Accept`, a configuration
/// problem for IT (also billed by that source).
#[tokio::test(flavor = "multi_thread")]
async fn a_451_is_a_billed_minor_and_a_406_a_configuration_error() {
    let sim = sim().await;
    let (c, _) = counted(&sim, CpfApi::SerproV2);
    let e = c.lookup_cpf(&cpf("20803407009")).await.expect_err("under 16");
    assert_eq!(e.code(), ErrorCode::MinorDataBlocked);
    assert!(e.error.message.contains("16 anos"), "{}", e.error.message);
    assert!(e.meta.as_ref().is_some_and(|m| m.http_status == 451 && m.billable));

    sim.inject(Fault::new(FaultKind::Status { status: 406, body: None, retry_after: None }));
    let e = c.lookup_cpf(&cpf("40442820135")).await.expect_err("406");
    assert_eq!(e.code(), ErrorCode::Config);
    assert!(e.error.message.contains("HTTP 406") && e.error.message.contains("TI"), "{}", e.error.message);
    assert_eq!(c.quota().used(ApiKind::SerproCpfV2), 2, "the 451 and the 406 are billed");
    assert_eq!(api_calls(&sim).len(), 2, "neither is retried");
    sim.shutdown().await;
}

/// apis.md §8 A5 (WSO2 API Manager documentation, ⚑ for SERPRO/Conecta): a throttling `fault` answer is a rate
/// limit (retried after its wait), 900804 the subscription's quota (not retried), 900805 a block; the simulator's
/// `{"mensagem": "Cota ..."}` stays the quota.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_managers_throttling_faults_are_rate_limits_or_quota() {
    let sim = sim().await;
    let c = serpro(&sim);
    sim.inject(Fault::new(FaultKind::Throttled { code: 900_802, status: 429, retry_after: Some(1) }));
    let found = c.lookup_cpf(&cpf("40442820135")).await.expect("retried after the stated wait");
    assert_eq!(found.meta.http_status, 200);
    assert_eq!(api_calls(&sim).len(), 2);

    sim.inject(Fault::new(FaultKind::Throttled { code: 900_802, status: 429, retry_after: None }).times(3));
    let e = c.lookup_cpf(&cpf("40442820135")).await.expect_err("still throttled after the retries");
    assert_eq!(e.code(), ErrorCode::RateLimited);

    for (code, status, want) in [
        (900_804, 429, ErrorCode::QuotaExhausted),
        (900_804, 503, ErrorCode::QuotaExhausted),
        (900_805, 429, ErrorCode::Forbidden),
    ] {
        let before = api_calls(&sim).len();
        sim.inject(Fault::new(FaultKind::Throttled { code, status, retry_after: None }));
        let e = c.lookup_cpf(&cpf("40442820135")).await.expect_err("throttled");
        assert_eq!(e.code(), want, "{code} {status}");
        assert_eq!(api_calls(&sim).len(), before + 1, "{code}: waiting will not help, so no retry");
        assert!(!e.error.message.contains("throttled"), "pt-BR only: {}", e.error.message);
    }
    let body = r#"{"mensagem":"Cota de chamadas da API consulta-cpf-df/v2 esgotada (10 chamadas)."}"#;
    sim.inject(Fault::new(FaultKind::Status { status: 429, body: Some(body.into()), retry_after: None }));
    assert_eq!(c.lookup_cpf(&cpf("40442820135")).await.unwrap_err().code(), ErrorCode::QuotaExhausted);
    sim.shutdown().await;
}

/// apis.md §1.2 (S1 table, and §8 A3: no table defines other codes) and §1.3 (S5: CNPJ codes 1, 2, 3, 4, 8): a code
/// outside the tables keeps its code and the API's own label, flagged unknown, instead of passing for neutral.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_situacao_keeps_its_code_and_the_apis_label_flagged() {
    let sim = sim().await;
    let c = serpro(&sim);
    let body = r#"{"ni":"40442820135","nome":"Nome do CPF 404.428.201-35",
                   "situacao":{"codigo":"7","descricao":"Cancelada por Óbito Sem Espólio"}}"#;
    sim.inject(Fault::new(FaultKind::Status { status: 200, body: Some(body.into()), retry_after: None }));
    let l = c.lookup_cpf(&cpf("40442820135")).await.unwrap();
    let Record::Cpf(r) = &l.record else { panic!("a CPF record") };
    assert_eq!((r.status.code.as_str(), r.status.label.as_str()), ("7", "Cancelada por Óbito Sem Espólio"));
    assert!(r.status.unknown);
    let known = c.lookup_cpf(&cpf("40532176871")).await.unwrap();
    assert!(!known.record.status().unknown);
    assert_eq!(known.record.status().severity, Severity::Warning);

    let body = r#"{"ni":"34238864000168","situacaoCadastral":{"codigo":"5","data":"2024-01-02","motivo":""}}"#;
    sim.inject(Fault::new(FaultKind::Status { status: 200, body: Some(body.into()), retry_after: None }));
    let l = c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.unwrap();
    let s = l.record.status();
    assert_eq!((s.code.as_str(), s.label.as_str(), s.unknown), ("5", "Situação 5", true));
    sim.shutdown().await;
}

/// apis.md §1.3 and §6.4 (S5 prose, S15: centavos), §8 A6 (the OpenAPI's digit string; the recorded trial's `0`):
/// each shape in the shared fixture goes simulator → client → `capitalCents`; the UI test formats the same values.
#[tokio::test(flavor = "multi_thread")]
async fn capital_social_in_every_shape_reaches_the_record_in_centavos() {
    let cases: Value = serde_json::from_str(include_str!("../../../../ui/src/tests/capital-shapes.json")).unwrap();
    let sim = sim().await;
    let c = serpro(&sim);
    for case in cases["cases"].as_array().unwrap() {
        let number = case["cnpj"].as_str().unwrap();
        let l = c.lookup_cnpj(&cnpj(number), CnpjView::Basica).await.unwrap();
        let Record::Cnpj(r) = &l.record else { panic!("a CNPJ record") };
        assert_eq!(r.capital_cents, case["capitalCents"].as_i64(), "{number}: {}", case["shape"]);
    }
    sim.shutdown().await;
}
