//! The lookup use case end to end without a window: Demonstração simulator over loopback, a real SQLCipher history.

use std::sync::Arc;

use balcao_core::ErrorCode;
use balcao_core::api::{LookupRequest, Settings};
use balcao_core::history_api::HistoryQuery;
use balcao_platform::MemoryStore;
use balcao_service::{Balcao, StartOptions};

async fn start(dir: &std::path::Path) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(Arc::new(MemoryStore::new())),
    };
    Balcao::start(opts).await.expect("starts in Demonstração")
}

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

async fn sim_requests(b: &Balcao) -> Vec<balcao_sim::LoggedRequest> {
    b.sim_requests().await.expect("demo runs the simulator")
}

#[tokio::test]
async fn the_apps_demo_simulator_serves_no_control_routes_and_no_cors_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let base = b.sim_url().await.expect("demo runs the simulator");
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/__sim/requests", "/__sim/health", "/__sim/usage"] {
        let res = c.get(format!("{base}{path}")).header("origin", "https://evil.example").send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers().get("access-control-allow-origin").is_none(), "{path}: {:?}", res.headers());
    }
    let res = c.post(format!("{base}/__sim/faults")).body(r#"{"kind":"reset"}"#).send().await.unwrap();
    assert_eq!(res.status(), 404, "no local process may steer the answers");
    let res = c.get(format!("{base}/consulta-cpf-df-trial/v1/cpf/40442820135")).send().await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none(), "gateway answers: {:?}", res.headers());
}

#[test]
fn only_balcao_sim_control_1_turns_the_control_routes_on_and_never_cors() {
    use std::ffi::OsStr;
    let on = balcao_service::demo_sim_config(Some(OsStr::new("1")));
    assert!(on.control_routes && !on.cors);
    for v in [None, Some(""), Some("0"), Some("true"), Some("yes")] {
        let c = balcao_service::demo_sim_config(v.map(OsStr::new));
        assert!(!c.control_routes && !c.cors, "{v:?}");
    }
}

#[tokio::test]
async fn demo_lookup_is_recorded_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    assert!(b.lookup().app_info().await.profile.is_demo);
    let r = b.lookup().lookup(request("404.428.201-35")).await.expect("trial CPF answers");
    let id = r.history_id.expect("recorded");
    assert_eq!(r.lookup.record.display_name(), Some("Nome do CPF 404.428.201-35"));
    assert_eq!(r.lookup.record.status().label, "Regular");
    let page =
        b.history().search(HistoryQuery { text: Some("40442820135".into()), ..Default::default() }).await.unwrap();
    assert_eq!(page.items.first().map(|i| i.id), Some(id));
    let entry = b.history().get(id).await.unwrap();
    assert_eq!(entry.summary.id, id);
    let status = b.lookup().status_info().await;
    assert!(status.token_valid_until.is_some(), "a token is cached after the lookup");
}

#[tokio::test]
async fn status_info_counts_each_contracted_api_by_name_so_a_cnpj_lookup_shows_on_the_cnpj_quota() {
    use balcao_core::record::ApiKind;
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let used = |s: &balcao_core::api::StatusInfo| s.quotas.iter().map(|q| (q.api, q.used)).collect::<Vec<_>>();
    assert_eq!(used(&b.lookup().status_info().await), [(ApiKind::SerproCpfV2, 0), (ApiKind::SerproCnpj, 0)]);
    b.lookup().lookup(request("404.428.201-35")).await.expect("trial CPF answers");
    b.lookup().lookup(request("11.222.333/0001-81")).await.expect("trial CNPJ answers");
    b.lookup().lookup(request("11.222.333/0001-81")).await.expect("trial CNPJ answers again");
    assert_eq!(used(&b.lookup().status_info().await), [(ApiKind::SerproCpfV2, 1), (ApiKind::SerproCnpj, 2)]);
}

#[tokio::test]
async fn invalid_number_makes_no_call() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let e = b.lookup().lookup(request("404.428.201-36")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidDocument);
    assert!(e.message.contains("dígito verificador"), "{}", e.message);
    assert!(sim_requests(&b).await.is_empty(), "nothing reached the simulator");
}

#[tokio::test]
async fn purpose_policy_blocks_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    b.settings().save(Settings { purpose_required: true, ..b.settings().get().await }).await.unwrap();
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PurposeRequired);
    assert!(sim_requests(&b).await.is_empty());
    let ok =
        b.lookup().lookup(LookupRequest { purpose: Some("Protocolo 2026/123".into()), ..request("40442820135") }).await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn do_not_record_keeps_it_out_of_history() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let r = b.lookup().lookup(LookupRequest { do_not_record: true, ..request("40442820135") }).await.unwrap();
    assert_eq!(r.history_id, None);
    assert_eq!(b.history().search(HistoryQuery::default()).await.unwrap().items.len(), 0);
    let stats = b.history().stats(30).await.unwrap();
    assert_eq!(stats.daily.iter().map(|d| d.lookups).sum::<u32>(), 1, "the audit still counts it");
}

#[tokio::test]
async fn without_a_keyring_no_lookup_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StartOptions {
        data_dir: dir.path().to_path_buf(),
        policy_dir: dir.path().join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(Arc::new(MemoryStore::unavailable())),
    };
    let b = Balcao::start(opts).await.expect("the window still opens");
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable);
    assert!(sim_requests(&b).await.is_empty());
    assert!(!dir.path().join("history.db").exists(), "never a plaintext fallback");
}
