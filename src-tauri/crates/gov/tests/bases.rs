//! "Outras bases" (#19) over the simulator on loopback: each declared base through the same machinery as every API
//! (token, retries, quota, coded errors), values that cannot leave their place, and a base's own credential that
//! only ever goes to its own token endpoint.

mod common;

use balcao_core::ErrorCode;
use balcao_core::extra_base::{BaseCredential, ExtraBase, TemplateValues};
use balcao_core::profile::Profile;
use balcao_core::record::ApiKind;
use balcao_gov::{
    CredentialBinding, CredentialSet, Credentials, GovClient, credential_set_from_store, store_credentials,
};
use balcao_platform::MemoryStore;
use balcao_sim::{Fault, SimConfig};
use common::*;

fn values(f: impl FnOnce(&mut TemplateValues)) -> TemplateValues {
    let mut v = TemplateValues::default();
    f(&mut v);
    v
}

fn renda(code: &str) -> TemplateValues {
    values(|v| v.autorizacao = Some(code.to_owned()))
}

fn with_base(mut profile: Profile, id: &str, edit: impl FnOnce(&mut ExtraBase)) -> Profile {
    let bases = profile.extra_bases.get_or_insert_with(Vec::new);
    if let Some(b) = bases.iter_mut().find(|b| b.id.as_str() == id) {
        edit(b);
    }
    profile
}

#[tokio::test(flavor = "multi_thread")]
async fn renda_by_e_cac_authorisation_is_read_into_its_fields_and_billed() {
    let sim = sim().await;
    let client = serpro(&sim);
    let answer = client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.expect("found");
    assert!(answer.found);
    assert_eq!(answer.base_id.as_str(), "renda");
    let shown: Vec<(&str, Option<&str>)> =
        answer.fields.iter().map(|f| (f.label.as_str(), f.value.as_deref())).collect();
    assert_eq!(shown[0], ("Titular (CPF)", Some("40442820135")));
    assert_eq!(shown[1], ("Autorização registrada em", Some("02/11/2026")));
    assert_eq!(answer.fields[3].items, ["Rendimentos tributáveis: 54321.09", "Imposto devido: 3456.78"]);
    assert_eq!((answer.meta.api, answer.meta.http_status, answer.meta.billable), (ApiKind::ExtraBase, 200, true));
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/renda-pf/v1/Consultar/DEMO-AUT-0001");
    assert!(calls[0].token.is_some(), "the profile's token went with the call");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_field_type_of_the_cadunico_example_and_nada_consta() {
    let sim = sim().await;
    let client = serpro(&sim);
    let cpf = |n: &str| values(|v| v.cpf = Some(n.to_owned()));
    let a = client.lookup_base("cadunico", &cpf("40442820135")).await.expect("found");
    let shown: Vec<Option<&str>> = a.fields.iter().map(|f| f.value.as_deref()).collect();
    assert_eq!(shown, [Some("Sim"), Some("Cadastrado (2)"), Some("15/10/2025"), Some("R$ 450,00"), Some("Não")]);
    let none = client.lookup_base("cadunico", &cpf("11144477735")).await.expect("nada consta is an answer");
    assert!(!none.found && none.fields.is_empty());
    assert!(none.meta.billable, "a billed base bills its «nada consta»");
    assert_eq!(client.quota().base_used(a.base_id), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_cannot_leave_its_path_segment_nor_reach_another_api() {
    let sim = sim().await;
    let client = serpro(&sim);
    let hostile = "../../../consulta-cpf-df/v2/cpf/40442820135?x=1#f";
    let a = client.lookup_base("renda", &renda(hostile)).await.expect("an answer");
    assert!(!a.found, "the simulator saw an unknown authorisation code, not another API");
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 1);
    assert!(calls[0].path.starts_with("/renda-pf/v1/Consultar/"), "{}", calls[0].path);
    assert_eq!(calls[0].path.matches('/').count(), 4, "one segment: {}", calls[0].path);
    assert_eq!(calls[0].query, None);
    let header = client
        .lookup_base("renda", &values(|v| v.autorizacao = Some("x\r\nX-Injetado: 1".into())))
        .await
        .expect("CR/LF in a path value is encoded, not refused");
    assert!(!header.found);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_value_with_cr_lf_is_refused_before_anything_is_sent() {
    let sim = sim().await;
    let profile = with_base(serpro_profile(&sim), "cep", |b| {
        b.headers = Some([("x-cpf-usuario".to_owned(), "{cpf_usuario}".to_owned())].into());
    });
    let client = client(profile);
    let v = values(|v| {
        v.cep = Some("70355030".into());
        v.cpf_usuario = Some("00000000191\r\nAuthorization: Bearer x".into());
    });
    let e = client.lookup_base("cep", &v).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidDocument);
    assert!(e.meta.is_none());
    assert!(sim.requests().is_empty(), "no token and no call");
    let ok = client.lookup_base("cep", &values(|v| v.cep = Some("70355030".into()))).await;
    assert_eq!(ok.unwrap_err().code(), ErrorCode::InvalidDocument, "the clerk's CPF is needed and missing");
    let clerk = client.for_clerk(cpf(CLERK));
    let a = clerk.lookup_base("cep", &values(|v| v.cep = Some("70355030".into()))).await.expect("found");
    assert_eq!(a.fields[0].value.as_deref(), Some("SQS 308 Bloco C"));
    assert_eq!(api_calls(&sim)[0].cpf_usuario.as_deref(), Some(CLERK));
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_are_retried_then_coded_and_unanswered_calls_are_not_billed() {
    let sim = sim().await;
    let client = serpro(&sim);
    sim.inject(Fault::status(503).times(2));
    let a = client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.expect("third attempt answers");
    assert!(a.found);
    assert_eq!(api_calls(&sim).len(), 3);
    sim.inject(Fault::status(502).times(3));
    let e = client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Upstream);
    assert!(!e.meta.expect("answered").billable);
    sim.inject(Fault::reset().times(3));
    assert_eq!(client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.unwrap_err().code(), ErrorCode::Network);
    assert_eq!(client.quota().base_used(a.base_id), 1, "only the answered call was billed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base_quota_stops_it_before_calling_and_leaves_the_profile_apis_alone() {
    let sim = sim().await;
    let profile = with_base(serpro_profile(&sim), "renda", |b| b.quota = Some(1));
    let client = client(profile);
    client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.expect("first");
    let before = api_calls(&sim).len();
    let e = client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    assert!(e.error.message.contains("Consulta Renda"), "{}", e.error.message);
    assert_eq!(api_calls(&sim).len(), before, "nothing sent");
    client.lookup_cpf(&cpf("40442820135")).await.expect("the CPF API has its own count");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undeclared_base_and_one_with_its_credential_missing_are_refused_without_a_call() {
    let sim = sim().await;
    let client = serpro(&sim);
    assert_eq!(client.lookup_base("inexistente", &renda("x")).await.unwrap_err().code(), ErrorCode::Forbidden);
    let profile = with_base(serpro_profile(&sim), "renda", |b| b.credential = BaseCredential::Own);
    let client = GovClient::new(profile, Credentials::demo()).expect("the profile still builds");
    let e = client.lookup_base("renda", &renda("DEMO-AUT-0001")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config);
    assert!(e.error.message.contains("credencial própria"), "{}", e.error.message);
    client.lookup_cpf(&cpf("40442820135")).await.expect("the profile's lookups still work");
    assert_eq!(api_calls(&sim).len(), 1);
}

/// A base on its own gateway (another simulator) with its own credential: the token comes from that gateway, and
/// the profile's secret never goes there.
#[tokio::test(flavor = "multi_thread")]
async fn a_base_with_its_own_origin_uses_only_its_own_credential_there() {
    let profile_sim = sim().await;
    let other = sim_with(SimConfig {
        serpro_credentials: vec![("dataprev-id".into(), "dataprev-secret".into())],
        ..SimConfig::default()
    })
    .await;
    let profile = with_base(serpro_profile(&profile_sim), "cadunico", |b| {
        b.credential = BaseCredential::Own;
        b.origin = Some(other.base_url());
        b.token_path = Some("/token".into());
    });
    let set = CredentialSet::shared(Credentials::demo()).with_base(
        balcao_core::extra_base::BaseId::parse("cadunico").unwrap(),
        Credentials::new("dataprev-id", "dataprev-secret"),
    );
    let client = GovClient::with_credentials(profile, set).expect("valid");
    let a = client.lookup_base("cadunico", &values(|v| v.cpf = Some("40442820135".into()))).await.expect("found");
    assert!(a.found);
    let seen = other.requests();
    assert!(seen.iter().any(|r| r.is_token_call() && r.token.as_deref() == Some("dataprev-id")), "{seen:?}");
    assert!(seen.iter().all(|r| r.token.as_deref() != Some("balcao-demo")), "the profile's credential stayed home");
    assert!(profile_sim.requests().is_empty(), "nothing of this base went to the profile's gateway");
}

/// #11 for bases: a stored own credential bound to one origin is not sent when the declaration moves the base.
#[tokio::test(flavor = "multi_thread")]
async fn a_stored_base_credential_is_not_sent_to_an_origin_it_was_not_bound_to() {
    let profile_sim = sim().await;
    let (old, new) = (sim().await, sim().await);
    let declared = |origin: String| {
        with_base(serpro_profile(&profile_sim), "cadunico", |b| {
            b.credential = BaseCredential::Own;
            b.origin = Some(origin);
            b.token_path = Some("/token".into());
        })
    };
    let store = MemoryStore::new();
    let at_old = declared(old.base_url());
    let base = at_old.base("cadunico").cloned().unwrap();
    let binding = CredentialBinding::for_base(&at_old, &base).unwrap();
    store_credentials(&store, &binding, &Credentials::demo()).unwrap();
    let shared = CredentialBinding::for_profile(&at_old, balcao_gov::CredentialScope::AllApis).unwrap();
    store_credentials(&store, &shared, &Credentials::demo()).unwrap();

    let set = credential_set_from_store(&store, &at_old).unwrap();
    let ok = GovClient::with_credentials(at_old, set).unwrap();
    ok.lookup_base("cadunico", &values(|v| v.cpf = Some("40442820135".into()))).await.expect("at its own address");

    let moved = declared(new.base_url());
    let set = credential_set_from_store(&store, &moved).unwrap();
    let client = GovClient::with_credentials(moved, set).expect("the profile itself is fine");
    let e = client.lookup_base("cadunico", &values(|v| v.cpf = Some("40442820135".into()))).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config);
    assert!(e.error.message.contains("não foi enviado"), "{}", e.error.message);
    assert!(new.requests().is_empty(), "nothing went to the new address");
}
