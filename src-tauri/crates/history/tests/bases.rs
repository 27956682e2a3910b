//! «Outras bases» (#19) in the history: an answer kept encrypted with its lookup, removed with it, never kept for
//! "não registrar"; every call's audit line with the purpose and the base; schema 5 files gain the table.

mod common;

use balcao_core::extra_base::{BaseAnswer, BaseId, BaseValue};
use balcao_core::history_api::{Outcome, PurgeScope};
use balcao_core::record::{ApiKind, CallMeta};
use balcao_core::{AppError, ErrorCode};
use balcao_history::{Actor, BaseOutcome, History, LookupContext, SCHEMA_VERSION};
use common::*;

fn answer(value: &str, found: bool) -> BaseAnswer {
    BaseAnswer {
        base_id: BaseId::parse("cadunico").unwrap(),
        name: "CadÚnico".into(),
        found,
        fields: vec![BaseValue {
            label: "Situação".into(),
            value: Some(value.into()),
            items: vec![],
            unexpected: false,
        }],
        meta: CallMeta { api: ApiKind::ExtraBase, http_status: 200, latency_ms: 5, activity_id: None, billable: true },
        consulted_at: format!("2026-12-0{}T10:00:00Z", if found { 1 } else { 2 }),
        raw: format!("{{\"situacao\":\"{value}\"}}"),
    }
}

fn with_purpose() -> LookupContext {
    LookupContext { purpose: Some("Protocolo 77".into()), ..ctx() }
}

fn record(h: &mut History, lookup: Option<i64>, number: &str, outcome: &BaseOutcome) -> Option<i64> {
    h.record_base(&with_purpose(), lookup, &doc(number), ("cadunico", "CadÚnico"), outcome).unwrap()
}

#[test]
fn an_answer_is_kept_encrypted_with_its_lookup_and_audited_with_the_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    let lookup = h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    let kept = record(&mut h, lookup, "40442820135", &Ok(answer("Cadastrado-sigiloso", true)));
    assert!(kept.is_some());
    let stored = h.base_answers(lookup.unwrap()).unwrap();
    assert_eq!(stored, [answer("Cadastrado-sigiloso", true)]);
    let line = h.audit(&Default::default(), None, None).unwrap().items.remove(0);
    assert_eq!(line.purpose.as_deref(), Some("Protocolo 77"));
    assert_eq!(line.api, Some(ApiKind::ExtraBase));
    assert_eq!(line.outcome, Some(Outcome::Found));
    assert!(line.recorded && line.billable);
    assert!(line.detail.as_deref().is_some_and(|d| d.contains("cadunico")), "{:?}", line.detail);
    assert_eq!(h.quota_for(&ctx().profile_id, ApiKind::ExtraBase).unwrap().used_total, 1);
    drop(h);
    assert!(plaintext_hits(&path, &["Cadastrado-sigiloso", "cadunico"]).is_empty(), "encrypted at rest");
}

#[test]
fn not_recorded_or_failed_or_another_numbers_lookup_keeps_no_answer_but_audits_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let lookup = h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    let hidden = LookupContext { do_not_record: true, ..with_purpose() };
    let none =
        h.record_base(&hidden, lookup, &doc("40442820135"), ("cadunico", "CadÚnico"), &Ok(answer("x", true))).unwrap();
    assert_eq!(none, None, "«não registrar»");
    assert_eq!(record(&mut h, lookup, "11144477735", &Ok(answer("x", true))), None, "another number's lookup");
    let failed: BaseOutcome = Err((AppError::from(ErrorCode::Upstream), None));
    assert_eq!(record(&mut h, lookup, "40442820135", &failed), None);
    assert!(h.base_answers(lookup.unwrap()).unwrap().is_empty());
    let lines = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(lines.iter().filter(|l| l.detail.as_deref().is_some_and(|d| d.contains("cadunico"))).count(), 3);
    assert!(lines.iter().any(|l| l.error_code == Some(ErrorCode::Upstream) && !l.recorded));
}

#[test]
fn answers_go_with_their_lookup_when_it_is_purged_and_the_previous_one_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let first = h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    record(&mut h, first, "40442820135", &Ok(answer("Cadastrado", true)));
    let second = h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    record(&mut h, second, "40442820135", &Ok(answer("Excluído", false)));
    let previous = h.previous_base_answer(second.unwrap(), "cadunico").unwrap().expect("the first answer");
    assert_eq!(previous.fields[0].value.as_deref(), Some("Cadastrado"));
    assert_eq!(h.previous_base_answer(first.unwrap(), "cadunico").unwrap(), None);
    h.purge(&Actor { clerk_cpf: None, os_user: "atendente".into() }, &PurgeScope::All).unwrap();
    assert!(h.base_answers(first.unwrap()).unwrap().is_empty());
    assert!(h.base_answers(second.unwrap()).unwrap().is_empty());
}

#[test]
fn a_schema_5_file_gains_the_table_and_keeps_its_data() {
    const { assert!(SCHEMA_VERSION >= 6) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history_v5.db");
    std::fs::copy(src, &path).unwrap();
    let mut h = open(&path);
    assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
    h.integrity_check().unwrap();
    let jose = h.latest_for(&doc("40442820135")).unwrap().expect("schema 5's lookup");
    assert!(h.base_answers(jose.summary.id).unwrap().is_empty());
    record(&mut h, Some(jose.summary.id), "40442820135", &Ok(answer("Cadastrado", true)));
    assert_eq!(h.base_answers(jose.summary.id).unwrap().len(), 1);
}

/// Under an agency store the call to an extra base goes to the outbox like any lookup, naming the base.
#[test]
fn an_extra_base_call_of_a_real_profile_is_queued_for_the_agency_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.set_agency_outbox(Some(std::sync::Arc::new(|_: &balcao_core::Document| [7u8; 32])));
    let real = LookupContext { environment: balcao_core::api::Environment::Producao, ..with_purpose() };
    h.record_base(&real, None, &doc("40442820135"), ("cadunico", "CadÚnico"), &Ok(answer("x", true))).unwrap();
    let items = h.outbox_take(10).unwrap();
    assert_eq!(items.len(), 1);
    let balcao_history::OutboxPayload::Audit(line) = &items[0].payload else { panic!("an audit line") };
    assert_eq!((line.api.as_str(), line.purpose.as_deref()), ("outra base cadunico", Some("Protocolo 77")));
}
