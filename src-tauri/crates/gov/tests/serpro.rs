//! SERPRO gateway over real HTTP against the simulator: Consulta CPF v1/v2, Consulta CNPJ v2 (three views), trial.

mod common;

use balcao_core::api::Environment;
use balcao_core::profile::{CpfApi, TokenSource};
use balcao_core::record::{ApiKind, CnpjView, Establishment, Record, Severity};
use balcao_core::{Document, ErrorCode};
use balcao_gov::SERPRO_TRIAL_BEARER;
use common::*;

fn cpf_record(r: &Record) -> &balcao_core::record::CpfRecord {
    match r {
        Record::Cpf(c) => c,
        Record::Cnpj(_) => panic!("expected a CPF record"),
    }
}

fn cnpj_record(r: &Record) -> &balcao_core::record::CnpjRecord {
    match r {
        Record::Cnpj(c) => c,
        Record::Cpf(_) => panic!("expected a CNPJ record"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cpf_v2_full_record_meta_and_token() {
    let sim = sim().await;
    let c = serpro(&sim);
    assert_eq!(c.token_status(), None);
    let l = c.lookup_cpf(&cpf("00000000434")).await.expect("lookup");
    let r = cpf_record(&l.record);
    assert_eq!(r.cpf.as_str(), "00000000434");
    assert!(r.name.is_some());
    assert!(r.social_name.is_some(), "v2 carries nome social");
    assert_eq!(r.status.code, "0");
    assert_eq!(r.status.severity, Severity::Ok);
    assert!(r.birth_date.as_deref().is_some_and(|d| d.len() == 10 && &d[4..5] == "-"), "{:?}", r.birth_date);
    assert!(r.registration_date.is_some());
    assert_eq!(l.meta.api, ApiKind::SerproCpfV2);
    assert_eq!(l.meta.http_status, 200);
    assert!(l.meta.billable);
    assert!(!l.partial);
    let logged = api_calls(&sim);
    assert_eq!(logged.len(), 1);
    assert_eq!(l.meta.activity_id.as_deref(), Some(logged[0].activity_id.as_str()));
    assert_eq!(logged[0].path, "/consulta-cpf-df/v2/cpf/00000000434");
    assert!(l.raw.contains("00000000434"));
    assert!(l.consulted_at.ends_with('Z') && l.consulted_at.contains('T'), "{}", l.consulted_at);
    assert_eq!(token_calls(&sim), 1);
    let status = c.token_status().expect("token status after the first call");
    assert_eq!(status.source, TokenSource::Issued);
    assert!(status.valid_until.is_some());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cpf_v1_omits_v2_fields_and_every_status_gets_a_label() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.cpf_api = Some(CpfApi::SerproV1);
    let c = client(p);
    for (number, code, label) in [
        ("40442820135", "0", "Regular"),
        ("40532176871", "2", "Suspensa"),
        ("05137518743", "3", "Titular falecido"),
        ("07691852312", "4", "Pendente de regularização"),
        ("01648527949", "5", "Cancelada por multiplicidade"),
        ("98302514705", "8", "Nula"),
        ("64913872591", "9", "Cancelada de ofício"),
        ("47856021985", "1", "Cancelada por encerramento de espólio"),
    ] {
        let l = c.lookup_cpf(&cpf(number)).await.unwrap_or_else(|e| panic!("{number}: {e}"));
        let r = cpf_record(&l.record);
        assert_eq!((r.status.code.as_str(), r.status.label.as_str()), (code, label), "{number}");
        assert_eq!(r.social_name, None);
        assert_eq!(l.meta.api, ApiKind::SerproCpfV1);
    }
    let dead = c.lookup_cpf(&cpf("05137518743")).await.unwrap();
    assert!(cpf_record(&dead.record).death_year.is_some());
    let unknown_code = c.lookup_cpf(&cpf("49852036700")).await.unwrap();
    assert!(!cpf_record(&unknown_code.record).status.label.is_empty());
    assert!(api_calls(&sim).iter().all(|r| r.path.starts_with("/consulta-cpf-df/v1/cpf/")));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cpf_v2_partial_minor_and_not_found() {
    let sim = sim().await;
    let c = serpro(&sim);
    let partial = c.lookup_cpf(&cpf("71460238001")).await.expect("206 is a record");
    assert!(partial.partial);
    assert_eq!(partial.meta.http_status, 206);
    assert!(partial.meta.billable);

    let minor = c.lookup_cpf(&cpf("52998224725")).await.expect_err("minor");
    assert_eq!(minor.code(), ErrorCode::MinorDataBlocked);
    assert_eq!(minor.meta.as_ref().map(|m| m.http_status), Some(422));

    let missing = c.lookup_cpf(&cpf("12345678909")).await.expect_err("not found");
    assert_eq!(missing.code(), ErrorCode::NotFound);
    let meta = missing.meta.expect("a 404 is an answer");
    assert!(meta.billable, "SERPRO bills a 404");
    assert_eq!(meta.http_status, 404);
    assert_eq!(api_calls(&sim).len(), 3, "nothing retried");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cnpj_three_views_with_partners_and_simples() {
    let sim = sim().await;
    let c = serpro(&sim);
    let n = cnpj("11222333000181");
    let basica = c.lookup_cnpj(&n, CnpjView::Basica).await.expect("basica");
    let b = cnpj_record(&basica.record);
    assert_eq!(b.view, CnpjView::Basica);
    assert_eq!(b.partners, None);
    assert_eq!(b.simples, None);
    assert!(b.legal_name.is_some() && b.main_activity.is_some() && b.address.is_some());
    assert_eq!(basica.meta.api, ApiKind::SerproCnpj);

    let qsa = c.lookup_cnpj(&n, CnpjView::Qsa).await.expect("qsa");
    let q = cnpj_record(&qsa.record);
    let partners = q.partners.as_ref().expect("qsa has partners");
    assert!(!partners.is_empty());
    assert!(partners.iter().all(|p| p.document.is_none()), "qsa omits the partners' CPF");
    assert!(partners.iter().all(|p| !p.role.label.is_empty() && !p.role.label.starts_with("Qualificação")));
    assert!(q.simples.as_ref().is_some_and(|s| s.opted.is_some()));

    let empresa = c.lookup(&Document::Cnpj(n), None).await.expect("default view is the widest");
    let e = cnpj_record(&empresa.record);
    assert_eq!(e.view, CnpjView::Empresa);
    assert!(e.partners.as_ref().unwrap().iter().any(|p| p.document.is_some()), "empresa has the partners' CPF");
    assert!(e.capital_cents.is_some());
    assert!(e.size.is_some());
    let paths: Vec<_> = api_calls(&sim).into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/consulta-cnpj-df/v2/basica/11222333000181",
            "/consulta-cnpj-df/v2/qsa/11222333000181",
            "/consulta-cnpj-df/v2/empresa/11222333000181"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cnpj_variants_alphanumeric_telefone_string_capital_and_empresario_individual() {
    let sim = sim().await;
    let c = serpro(&sim);
    let alnum = c.lookup_cnpj(&cnpj("12ABC34501DE35"), CnpjView::Empresa).await.expect("alphanumeric CNPJ");
    assert_eq!(cnpj_record(&alnum.record).cnpj.as_str(), "12ABC34501DE35");

    let tel = c.lookup_cnpj(&cnpj("42318949000184"), CnpjView::Empresa).await.expect("telefone variant");
    assert!(!cnpj_record(&tel.record).phones.is_empty(), "`telefone` (singular) is read too");

    let individual = c.lookup_cnpj(&cnpj("00ABCDEF000157"), CnpjView::Empresa).await.expect("empresário individual");
    let r = cnpj_record(&individual.record);
    assert_eq!(r.partners, None, "no socios group for an empresário individual");
    assert!(r.capital_cents.is_some(), "capitalSocial as a string");
    assert!(!r.simples.as_ref().unwrap().periods.is_empty(), "root-level listaPeriodosSimples");

    let root_list = c.lookup_cnpj(&cnpj("A1B2C3D4000193"), CnpjView::Empresa).await.unwrap();
    assert!(!cnpj_record(&root_list.record).simples.as_ref().unwrap().periods.is_empty(), "root listaPeriodoSimples");
    let info_list = c.lookup_cnpj(&cnpj("11444777000161"), CnpjView::Empresa).await.unwrap();
    assert!(
        !cnpj_record(&info_list.record).simples.as_ref().unwrap().periods.is_empty(),
        "nested listaPeriodosSimples"
    );

    let filial = c.lookup_cnpj(&cnpj("11222333000262"), CnpjView::Basica).await.unwrap();
    assert_eq!(cnpj_record(&filial.record).establishment, Some(Establishment::Filial));

    let missing = c.lookup_cnpj(&cnpj("44356113000108"), CnpjView::Basica).await.expect_err("404");
    assert_eq!(missing.code(), ErrorCode::NotFound);
    assert!(missing.meta.unwrap().billable);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uncontracted_view_or_api_is_refused_before_calling() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.cnpj_views = vec![CnpjView::Basica];
    p.cpf_api = None;
    let c = client(p);
    let e = c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Qsa).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(e.meta.is_none());
    let e = c.lookup_cpf(&cpf("40442820135")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(sim.requests().is_empty(), "no call, not even a token call");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_403_for_a_path_not_contracted_is_forbidden() {
    let sim = sim_with(balcao_sim::SimConfig {
        contracted: balcao_sim::Contracted::Only(vec!["consulta-cnpj-df/v2/basica".into()]),
        ..Default::default()
    })
    .await;
    let c = serpro(&sim);
    let e = c.lookup_cpf(&cpf("40442820135")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(!e.meta.unwrap().billable);
    assert_eq!(api_calls(&sim).len(), 1, "403 is not retried");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn path_overrides_reach_other_bases() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.paths.cpf = Some("/consulta-cpf/v1/cpf/{ni}".into());
    p.paths.cnpj_basica = Some("/consulta-cnpj/v2/basica/{ni}".into());
    let c = client(p);
    c.lookup_cpf(&cpf("40442820135")).await.expect("standard CPF base");
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Basica).await.expect("standard CNPJ base");
    let paths: Vec<_> = api_calls(&sim).into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/consulta-cpf/v1/cpf/40442820135", "/consulta-cnpj/v2/basica/34238864000168"]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serpro_trial_uses_the_public_bearer_and_no_token_call() {
    let sim = sim().await;
    let mut p = serpro_profile(&sim);
    p.environment = Environment::SerproTrial;
    p.cpf_api = Some(CpfApi::SerproV1);
    let c = client(p);
    assert_eq!(c.token_status().map(|s| s.source), Some(TokenSource::FixedTrial));
    c.lookup_cpf(&cpf("40442820135")).await.expect("trial CPF");
    c.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Qsa).await.expect("trial CNPJ");
    let missing = c.lookup_cpf(&cpf("00000000191")).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound, "the trial answers only its listed numbers");
    assert_eq!(token_calls(&sim), 0);
    let calls = api_calls(&sim);
    assert!(calls.iter().all(|r| r.token.as_deref() == Some(SERPRO_TRIAL_BEARER)));
    assert!(calls[0].path.starts_with("/consulta-cpf-df-trial/v1/cpf/"));
    assert!(calls[1].path.starts_with("/consulta-cnpj-df-trial/v2/qsa/"));

    sim.expire_tokens();
    sim.inject(balcao_sim::Fault::status(401));
    let e = c.lookup_cpf(&cpf("40442820135")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized, "a fixed bearer cannot be refreshed");
    assert_eq!(token_calls(&sim), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn many_cpfs_go_one_call_each_with_at_most_max_concurrency_in_flight() {
    // Each call lasts 150 ms at the simulator, so calls let through together overlap there and its high-water mark
    // shows the client's limit (without the limit all five would be in flight at once).
    let sim = sim_with(balcao_sim::SimConfig { latency_ms: 150, ..balcao_sim::SimConfig::default() }).await;
    let mut p = serpro_profile(&sim);
    p.network.max_concurrency = 2;
    let c = client(p);
    let cpfs: Vec<_> = ["40442820135", "63017285995", "91708635203", "58136053391", "12345678909"].map(cpf).to_vec();
    let results = c.lookup_cpfs(&cpfs).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    assert_eq!(results[4].as_ref().unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(api_calls(&sim).len(), 5, "one call per CPF outside CPF Light");
    assert_eq!(token_calls(&sim), 1);
    assert_eq!(sim.max_in_flight(), 2, "never more than max_concurrency calls at once, and the limit is used");
    sim.shutdown().await;
}
