//! Every fault the simulator can inject, over real HTTP: the right code, and retries bounded and counted in the
//! simulator's request log (GETs retried on network errors, 502/503/504 and 429; CPF Light's POST only when the
//! request never reached the API; nothing retried on 400/401/403/404/422/500).

mod common;

use std::time::{Duration, Instant};

use balcao_core::ErrorCode;
use balcao_core::record::{ApiKind, CnpjView};
use balcao_gov::CallFailure;
use balcao_sim::{Fault, FaultKind, SimConfig};
use common::*;

const CPF: &str = "40442820135";

async fn serpro_cpf_after(fault: Fault) -> (Result<balcao_core::record::Lookup, CallFailure>, usize) {
    let sim = sim().await;
    let c = serpro(&sim);
    sim.inject(fault);
    let r = c.lookup_cpf(&cpf(CPF)).await;
    let n = api_calls(&sim).len();
    sim.shutdown().await;
    (r, n)
}

async fn light_after(fault: Fault) -> (Result<balcao_core::record::Lookup, CallFailure>, usize) {
    let sim = sim().await;
    let c = conecta(&sim);
    sim.inject(fault);
    let r = c.lookup_cpf(&cpf("00000000191")).await;
    let n = api_calls(&sim).len();
    sim.shutdown().await;
    (r, n)
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_statuses_on_a_get_are_retried_then_succeed() {
    for status in [502, 503, 504, 429] {
        let (r, calls) = serpro_cpf_after(Fault::status(status).times(2)).await;
        assert!(r.is_ok(), "{status}: {:?}", r.err());
        assert_eq!(calls, 3, "{status}: two failures + one success");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_are_bounded_and_end_with_the_right_code() {
    for (status, code) in [
        (502, ErrorCode::Upstream),
        (503, ErrorCode::Upstream),
        (504, ErrorCode::Timeout),
        (429, ErrorCode::RateLimited),
    ] {
        let (r, calls) = serpro_cpf_after(Fault::status(status).times(10)).await;
        let e = r.expect_err("persistent failure");
        assert_eq!(e.code(), code, "{status}");
        assert_eq!(calls, 3, "{status}: first attempt + max_retries (2)");
        let meta = e.meta.expect("an answer arrived");
        assert_eq!(meta.http_status, status);
        assert!(!meta.billable);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn final_statuses_are_never_retried() {
    for (status, code) in [
        (400, ErrorCode::InvalidDocument),
        (403, ErrorCode::Forbidden),
        (404, ErrorCode::NotFound),
        (422, ErrorCode::MinorDataBlocked),
        (500, ErrorCode::Upstream),
    ] {
        let (r, calls) = serpro_cpf_after(Fault::status(status).times(5)).await;
        assert_eq!(r.expect_err("error status").code(), code, "{status}");
        assert_eq!(calls, 1, "{status} is not retried");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_and_a_long_one_ends_the_call() {
    let sim = sim().await;
    let c = serpro(&sim);
    sim.inject(Fault::new(FaultKind::Status { status: 429, body: None, retry_after: Some(1) }));
    let started = Instant::now();
    c.lookup_cpf(&cpf(CPF)).await.expect("succeeds after waiting");
    assert!(started.elapsed() >= Duration::from_millis(950), "waited the Retry-After: {:?}", started.elapsed());
    assert_eq!(api_calls(&sim).len(), 2);

    sim.clear_requests();
    sim.inject(Fault::new(FaultKind::Status { status: 429, body: None, retry_after: Some(120) }));
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(e.error.message.contains("120"), "{}", e.error.message);
    assert_eq!(api_calls(&sim).len(), 1, "a Retry-After beyond the cap is not waited for");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_reset_and_truncated_body_are_retried_on_gets() {
    for fault in [Fault::reset(), Fault::truncated_body()] {
        let name = fault.kind.name();
        let (r, calls) = serpro_cpf_after(fault.clone().times(2)).await;
        assert!(r.is_ok(), "{name}: {:?}", r.err());
        assert_eq!(calls, 3, "{name}");
        let (r, calls) = serpro_cpf_after(fault.times(10)).await;
        let e = r.expect_err(name);
        assert_eq!(e.code(), ErrorCode::Network, "{name}");
        assert!(e.meta.is_none(), "{name}: no usable answer");
        assert_eq!(calls, 3, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cpf_light_post_is_not_retried_once_the_request_may_have_reached_the_api() {
    for (fault, code) in [
        (Fault::reset(), ErrorCode::Network),
        (Fault::truncated_body(), ErrorCode::Network),
        (Fault::status(503), ErrorCode::Upstream),
        (Fault::status(502), ErrorCode::Upstream),
        (Fault::status(504), ErrorCode::Timeout),
        (Fault::html_error(502), ErrorCode::Upstream),
    ] {
        let name = format!("{:?}", fault.kind);
        let (r, calls) = light_after(fault.times(5)).await;
        assert_eq!(r.expect_err(&name).code(), code, "{name}");
        assert_eq!(calls, 1, "{name}: a billed POST is not repeated");
    }
    let (r, calls) = light_after(Fault::status(429).times(1)).await;
    assert!(r.is_ok(), "429 means the gateway refused before the API: {:?}", r.err());
    assert_eq!(calls, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_html_error_and_huge_body() {
    let (r, calls) = serpro_cpf_after(Fault::malformed_json()).await;
    let e = r.expect_err("cut JSON");
    assert_eq!(e.code(), ErrorCode::Upstream);
    assert!(e.meta.as_ref().unwrap().billable, "a 200 was billed even if unreadable");
    assert_eq!(calls, 1);

    let (r, calls) = serpro_cpf_after(Fault::html_error(502).times(2)).await;
    assert!(r.is_ok(), "HTML 502 pages are retried: {:?}", r.err());
    assert_eq!(calls, 3);
    let (r, _) = serpro_cpf_after(Fault::html_error(500)).await;
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Upstream);
    assert!(!e.error.message.contains("<html"), "{}", e.error.message);

    let (r, calls) = serpro_cpf_after(Fault::huge_body(8 * 1024 * 1024)).await;
    let e = r.expect_err("oversized");
    assert_eq!(e.code(), ErrorCode::Upstream);
    assert!(e.error.message.contains("MiB"), "{}", e.error.message);
    assert_eq!(calls, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_beyond_the_total_timeout_is_a_timeout_and_not_retried() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.network.total_timeout_ms = 300;
    let c = client(p);
    c.lookup_cpf(&cpf(CPF)).await.expect("warm token");
    sim.clear_requests();
    sim.inject(Fault::latency(100));
    c.lookup_cpf(&cpf(CPF)).await.expect("latency within the timeout");
    sim.inject(Fault::latency(2_000).times(3));
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    assert!(e.meta.is_none());
    let left: Vec<_> = sim.pending_faults().iter().map(|f| f.times).collect();
    assert_eq!(left, [2], "only one attempt took a latency fault: the timed-out call was not repeated");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_endpoint_faults() {
    let sim = common::sim().await;
    let c = serpro(&sim);
    sim.inject(Fault::status(503).times(2).on_token_calls());
    c.lookup_cpf(&cpf(CPF)).await.expect("token request retried");
    assert_eq!(token_calls(&sim), 3);
    sim.shutdown().await;

    let sim = common::sim().await;
    let c = serpro(&sim);
    sim.inject(Fault::reset().times(10).on_token_calls());
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network);
    assert_eq!(token_calls(&sim), 3);
    assert!(api_calls(&sim).is_empty(), "no API call without a token");
    sim.shutdown().await;

    let sim = common::sim().await;
    let bad =
        balcao_gov::GovClient::new(serpro_profile(&sim), balcao_gov::Credentials::new("balcao-demo", "wrong")).unwrap();
    let e = bad.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized);
    assert_eq!(token_calls(&sim), 1, "401 on the token endpoint is not retried");
    assert!(api_calls(&sim).is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_quota_stops_without_retrying() {
    let sim = sim_with(SimConfig { quota: Some(2), ..SimConfig::default() }).await;
    let c = serpro(&sim);
    c.lookup_cpf(&cpf(CPF)).await.unwrap();
    c.lookup_cpf(&cpf(CPF)).await.unwrap();
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    assert_eq!(api_calls(&sim).len(), 3, "a quota 429 is not retried");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn local_quota_warns_then_stops_before_calling() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.quota_limit = Some(10);
    let c = client(p);
    let reported = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = reported.clone();
    c.quota().on_billable(move |m| sink.lock().unwrap().push(m.http_status));
    c.quota().seed(ApiKind::SerproCnpj, 8);
    let n = cnpj("34238864000168");
    c.lookup_cnpj(&n, CnpjView::Basica).await.unwrap();
    assert!(c.quota_status(ApiKind::SerproCnpj).near_limit, "9 of 10 is past 90 %");
    let missing = c.lookup_cnpj(&cnpj("44356113000108"), CnpjView::Basica).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound, "a 404 is billed and counted");
    let e = c.lookup_cnpj(&n, CnpjView::Basica).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    assert!(e.meta.is_none());
    assert_eq!(api_calls(&sim).len(), 2, "the third lookup never left the machine");
    assert_eq!(*reported.lock().unwrap(), [200, 404]);
    assert!(c.quota_status(ApiKind::SerproCnpj).exhausted);
    assert!(c.lookup_cpf(&cpf(CPF)).await.is_ok(), "each API has its own quota");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_rate_limit_is_waited_out() {
    let sim = sim_with(SimConfig { rate_limit_rps: Some(2.0), ..SimConfig::default() }).await;
    let c = serpro(&sim);
    for _ in 0..4 {
        c.lookup_cpf(&cpf(CPF)).await.expect("rate limited calls eventually succeed");
    }
    let statuses: Vec<_> = api_calls(&sim).into_iter().map(|r| r.status).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 4);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_side_pacing_keeps_under_the_gateway_limit() {
    let sim = sim_with(SimConfig { rate_limit_rps: Some(5.0), ..SimConfig::default() }).await;
    let mut p = serpro_profile(&sim);
    p.network.rate_limit_rps = Some(4.0);
    let c = client(p);
    let cpfs: Vec<_> = (0..8).map(|_| cpf(CPF)).collect();
    let results = c.lookup_cpfs(&cpfs).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(api_calls(&sim).iter().all(|r| r.status == 200), "paced calls never hit the gateway limit");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_gateway_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut p = balcao_core::profile::Profile::demo(&format!("http://127.0.0.1:{port}"));
    p.network = fast_network();
    let c = client(p);
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network);
    assert!(e.meta.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_server_behind_an_https_url_is_a_tls_error() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.base_url = format!("https://{}", sim.addr());
    let c = client(p);
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Tls, "{}", e.error.message);
    sim.shutdown().await;
}

/// Grants `left` units, then refuses as the agency store does at the agency's limit; records what it was asked.
#[derive(Debug)]
struct AgencyQuota {
    left: std::sync::Mutex<u32>,
    asked: std::sync::Mutex<Vec<(String, String, Option<u64>)>>,
}

impl balcao_gov::CentralQuota for AgencyQuota {
    fn reserve<'a>(
        &'a self,
        profile: &'a balcao_core::profile::Profile,
        ask: balcao_gov::CentralAsk<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), balcao_core::AppError>> + Send + 'a>> {
        Box::pin(async move {
            self.asked.lock().unwrap().push((profile.id.clone(), ask.key.to_owned(), ask.limit));
            let mut left = self.left.lock().unwrap();
            if *left == 0 {
                return Err(balcao_core::AppError::new(ErrorCode::QuotaExhausted, "cota da agência"));
            }
            *left -= 1;
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agency_quota_is_reserved_before_each_call_and_its_refusal_sends_nothing() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.quota_limit = Some(100);
    let agency = std::sync::Arc::new(AgencyQuota { left: 1.into(), asked: Vec::new().into() });
    let c = client(p).with_central_quota(agency.clone()).for_clerk(cpf("11144477735"));
    c.lookup_cpf(&cpf(CPF)).await.expect("the first unit is granted");
    let e = c.lookup_cpf(&cpf(CPF)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    assert_eq!(api_calls(&sim).len(), 1, "the refused call never left");
    let asked = agency.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].2, Some(100), "the profile's own limit goes with the reservation");
    assert_eq!(c.quota_status(ApiKind::SerproCpfV1).used + c.quota_status(ApiKind::SerproCpfV2).used, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_that_never_gets_a_token_spends_no_unit_of_the_agency_quota() {
    let sim = sim().await;
    let agency = std::sync::Arc::new(AgencyQuota { left: 5.into(), asked: Vec::new().into() });
    let bad = balcao_gov::GovClient::new(serpro_profile(&sim), balcao_gov::Credentials::new("balcao-demo", "wrong"))
        .unwrap()
        .with_central_quota(agency.clone());
    assert_eq!(bad.lookup_cpf(&cpf(CPF)).await.unwrap_err().code(), ErrorCode::Unauthorized);
    assert!(agency.asked.lock().unwrap().is_empty(), "no reservation for a call that could not leave");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_declared_base_has_its_own_key_in_the_agency_quota() {
    let sim = sim().await;
    let agency = std::sync::Arc::new(AgencyQuota { left: 1.into(), asked: Vec::new().into() });
    let c = serpro(&sim).with_central_quota(agency.clone());
    let values = balcao_core::extra_base::TemplateValues { cpf: Some("40442820135".into()), ..Default::default() };
    c.lookup_base("cadunico", &values).await.expect("granted");
    let e = c.lookup_base("cadunico", &values).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    let asked = agency.asked.lock().unwrap().clone();
    assert_eq!(asked[0].1, "extraBase:cadunico", "a base is counted under its own key, not beside the others");
    assert_eq!(api_calls(&sim).len(), 1, "the refused call never left");
    sim.shutdown().await;
}
