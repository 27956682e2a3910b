//! «Outras bases» (#19) end to end without a window: Demonstração's declared bases over the loopback simulator, the
//! purpose rule, the audit line, the answer kept with its lookup and compared with the previous one.

use std::sync::Arc;

use balcao_core::ErrorCode;
use balcao_core::api::{ExportKind, LookupRequest, Settings};
use balcao_core::extra_base::BaseLookupRequest;
use balcao_core::{DocKind, Document};
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

fn lookup(input: &str, purpose: &str) -> LookupRequest {
    LookupRequest {
        input: input.into(),
        view: None,
        purpose: Some(purpose.into()),
        authorization_code: None,
        do_not_record: false,
    }
}

fn ask(base: &str, input: &str, history_id: Option<i64>) -> BaseLookupRequest {
    BaseLookupRequest {
        base_id: base.into(),
        input: input.into(),
        history_id,
        cep: None,
        authorization_code: None,
        purpose: Some("Protocolo 9".into()),
    }
}

/// A production SERPRO profile on `base` (a loopback simulator), with Demonstração's three bases declared.
fn production(base: &str) -> balcao_core::profile::Profile {
    use balcao_core::profile::{NetworkSettings, Profile};
    Profile {
        id: "serpro-prod".into(),
        name: "SERPRO produção".into(),
        environment: balcao_core::api::Environment::Producao,
        network: NetworkSettings { max_retries: 0, total_timeout_ms: 5_000, ..NetworkSettings::default() },
        ..Profile::demo(base)
    }
}

async fn api_calls(b: &Balcao) -> usize {
    b.sim_requests().await.expect("demo").iter().filter(|r| r.is_api_call()).count()
}

#[tokio::test]
async fn demonstracao_offers_its_three_bases_by_document_kind() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let ids = |offers: Vec<balcao_core::extra_base::BaseOffer>| {
        offers.into_iter().map(|o| (o.id.as_str().to_owned(), o.needs)).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(b.bases().offers(DocKind::Cpf).await),
        [
            ("renda".into(), vec!["autorizacao".to_owned()]),
            ("cep".into(), vec!["cep".into()]),
            ("cadunico".into(), vec![])
        ]
    );
    assert_eq!(ids(b.bases().offers(DocKind::Cnpj).await), [("cep".to_owned(), vec!["cep".to_owned()])]);
}

#[tokio::test]
async fn a_base_after_a_lookup_is_audited_kept_with_it_and_compared_with_the_previous_answer() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let first = b.lookup().lookup(lookup("404.428.201-35", "Protocolo 9")).await.unwrap().history_id;
    let r = b.bases().lookup(ask("cadunico", "404.428.201-35", first)).await.expect("found");
    assert!(r.answer.found && r.saved);
    assert_eq!(r.answer.fields[1].value.as_deref(), Some("Cadastrado (2)"));
    assert!(r.previous_at.is_none() && r.changed.is_empty());
    let second = b.lookup().lookup(lookup("404.428.201-35", "Protocolo 9")).await.unwrap().history_id;
    let again = b.bases().lookup(ask("cadunico", "404.428.201-35", second)).await.expect("found");
    assert_eq!(again.previous_at.as_deref(), Some(r.answer.consulted_at.as_str()));
    assert!(again.changed.is_empty(), "same answer: nothing changed");
    let out = tempfile::tempdir().unwrap();
    let csv = b.history().export_to(out.path(), ExportKind::Audit, None, None).await.unwrap();
    let csv = std::fs::read_to_string(csv).unwrap();
    let lines: Vec<&str> = csv.lines().filter(|l| l.contains("cadunico")).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines.iter().all(|l| l.contains("Protocolo 9")), "{csv}");
}

#[tokio::test]
async fn what_a_base_needs_is_checked_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let before = api_calls(&b).await;
    let e = b.bases().lookup(ask("renda", "404.428.201-35", None)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidDocument, "{}", e.message);
    assert!(e.message.contains("e-CAC"), "{}", e.message);
    let bad_code =
        BaseLookupRequest { authorization_code: Some("a/../b".into()), ..ask("renda", "404.428.201-35", None) };
    assert_eq!(b.bases().lookup(bad_code).await.unwrap_err().code, ErrorCode::InvalidDocument);
    let bad_cep = BaseLookupRequest { cep: Some("7035".into()), ..ask("cep", "404.428.201-35", None) };
    assert_eq!(b.bases().lookup(bad_cep).await.unwrap_err().code, ErrorCode::InvalidDocument);
    let cnpj_only = b.bases().lookup(ask("cadunico", "11.222.333/0001-81", None)).await.unwrap_err();
    assert_eq!(cnpj_only.code, ErrorCode::InvalidDocument);
    assert_eq!(b.bases().lookup(ask("outra", "404.428.201-35", None)).await.unwrap_err().code, ErrorCode::Forbidden);
    b.settings().save(Settings { purpose_required: true, ..b.settings().get().await }).await.unwrap();
    let no_purpose = BaseLookupRequest { purpose: None, ..ask("cadunico", "404.428.201-35", None) };
    assert_eq!(b.bases().lookup(no_purpose).await.unwrap_err().code, ErrorCode::PurposeRequired);
    assert_eq!(api_calls(&b).await, before, "nothing was sent");
}

#[tokio::test]
async fn renda_by_the_e_cac_code_and_cep_typed_by_the_clerk_answer_without_being_kept_when_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let renda =
        BaseLookupRequest { authorization_code: Some("DEMO-AUT-0001".into()), ..ask("renda", "404.428.201-35", None) };
    let r = b.bases().lookup(renda).await.expect("found");
    assert!(r.answer.found && !r.saved, "no lookup to keep it with");
    let cep = BaseLookupRequest { cep: Some("70355-030".into()), ..ask("cep", "404.428.201-35", None) };
    let r = b.bases().lookup(cep).await.expect("found");
    assert_eq!(r.answer.fields[0].value.as_deref(), Some("SQS 308 Bloco C"));
    assert!(!r.answer.meta.billable, "the demo's CEP is declared unbilled");
    let doc = Document::parse("404.428.201-35").unwrap();
    assert_eq!(doc.kind(), DocKind::Cpf);
}

/// A profile whose CadÚnico base is on its own gateway (a second simulator) with its own credential: IT stores it
/// for the base, the call takes a token there with it, and the profile's credential never goes there.
#[tokio::test(flavor = "multi_thread")]
async fn a_base_with_its_own_gateway_and_credential_stored_by_it_answers_through_the_active_profile() {
    use balcao_core::extra_base::BaseCredential;
    use balcao_sim::{SimConfig, Simulator};
    let start_sim = |config: SimConfig| async move {
        Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("simulator starts")
    };
    let gateway = start_sim(SimConfig::default()).await;
    let dataprev = start_sim(SimConfig {
        serpro_credentials: vec![("dataprev-id".into(), "dataprev-secret".into())],
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let mut p = production(&gateway.base_url());
    for base in p.extra_bases.iter_mut().flatten().filter(|b| b.id.as_str() == "cadunico") {
        base.credential = BaseCredential::Own;
        base.origin = Some(dataprev.base_url());
        base.token_path = Some("/token".into());
    }
    b.profiles().save(p).await.unwrap();
    b.profiles()
        .set_credentials("serpro-prod", "balcao-demo".into(), String::from("balcao-demo-secret").into())
        .await
        .unwrap();
    let refused = b
        .profiles()
        .set_base_credentials("serpro-prod", "renda", "x".into(), String::from("y").into())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Config, "renda uses the profile's credential");
    b.profiles()
        .set_base_credentials("serpro-prod", "cadunico", "dataprev-id".into(), String::from("dataprev-secret").into())
        .await
        .unwrap();
    b.profiles().activate("serpro-prod").await.unwrap();
    let r = b.bases().lookup(ask("cadunico", "404.428.201-35", None)).await.expect("answered by its own gateway");
    assert!(r.answer.found);
    let seen = dataprev.requests();
    assert!(seen.iter().any(|r| r.is_token_call() && r.token.as_deref() == Some("dataprev-id")), "{seen:?}");
    assert!(seen.iter().all(|r| r.token.as_deref() != Some("balcao-demo")), "the profile's credential stayed home");
    assert!(gateway.requests().iter().all(|r| !r.path.contains("situacaoCadastral")));
}

/// A base's quota counts across restarts: the count starts from the audit trail, so a base at its limit is refused
/// before any call after the app starts again.
#[tokio::test(flavor = "multi_thread")]
async fn a_base_quota_reached_before_a_restart_still_refuses_after_it_without_a_call() {
    use balcao_sim::{SimConfig, Simulator};
    let gateway = Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let opts = || StartOptions {
        data_dir: dir.path().to_path_buf(),
        policy_dir: dir.path().join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(store.clone()),
    };
    let mut p = production(&gateway.base_url());
    for base in p.extra_bases.iter_mut().flatten() {
        base.quota = Some(1);
    }
    {
        let b = Balcao::start(opts()).await.unwrap();
        b.profiles().save(p).await.unwrap();
        b.profiles()
            .set_credentials("serpro-prod", "balcao-demo".into(), String::from("balcao-demo-secret").into())
            .await
            .unwrap();
        b.profiles().activate("serpro-prod").await.unwrap();
        b.bases().lookup(ask("cadunico", "404.428.201-35", None)).await.expect("the one call allowed");
    }
    let b = Balcao::start(opts()).await.unwrap();
    let calls = gateway.requests().iter().filter(|r| r.is_api_call()).count();
    let e = b.bases().lookup(ask("cadunico", "404.428.201-35", None)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::QuotaExhausted, "{}", e.message);
    assert_eq!(gateway.requests().iter().filter(|r| r.is_api_call()).count(), calls, "nothing sent");
    let renda =
        BaseLookupRequest { authorization_code: Some("DEMO-AUT-0001".into()), ..ask("renda", "404.428.201-35", None) };
    b.bases().lookup(renda).await.expect("each base has its own count");
}
