//! The agency store's outbox in the encrypted file: queued with the audit line, in order, never the number in clear,
//! Demonstração never queued, removed once sent, the offline allowance counted per credential, API and day.

mod common;

use std::sync::Arc;

use balcao_core::api::Environment;
use balcao_history::{OfflineUnit, OutboxPayload};
use common::*;

const CPF: &str = "52998224725";

fn hasher() -> balcao_history::NumberHasher {
    Arc::new(|d: &balcao_core::Document| {
        let mut h = [0u8; 32];
        for (i, b) in d.as_str().bytes().enumerate() {
            h[i % 32] ^= b.wrapping_mul(31);
        }
        h
    })
}

fn real_ctx() -> balcao_history::LookupContext {
    balcao_history::LookupContext { environment: Environment::Producao, ..ctx() }
}

#[test]
fn every_audit_line_of_a_real_profile_is_queued_in_order_without_the_number_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.record(&real_ctx(), &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    assert_eq!(h.outbox_waiting().unwrap(), 0, "nothing is queued before the policy names a store");
    h.set_agency_outbox(Some(hasher()));
    h.record(&real_ctx(), &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    h.record(&real_ctx(), &not_found(balcao_core::record::ApiKind::SerproCpfV2), &doc("40442820135")).unwrap();
    h.record(&ctx(), &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    let items = h.outbox_take(10).unwrap();
    assert_eq!(items.len(), 2, "the Demonstração line is not queued");
    assert!(items.windows(2).all(|w| w[0].seq < w[1].seq), "in the counter's order");
    let OutboxPayload::Audit(first) = &items[0].payload else { panic!("an audit line") };
    assert_eq!(first.masked, doc(CPF).masked());
    assert_eq!(first.hash_hex.len(), 64);
    assert_eq!(first.outcome, "found");
    let OutboxPayload::Audit(second) = &items[1].payload else { panic!("an audit line") };
    assert!(second.outcome.starts_with("notFound"), "{}", second.outcome);
    for item in &items {
        let OutboxPayload::Audit(line) = &item.payload else { continue };
        let json = serde_json::to_string(line).unwrap();
        assert!(!json.contains(CPF) && !json.contains("40442820135"), "no number in clear: {json}");
    }
}

#[test]
fn demonstration_lookups_never_enter_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.set_agency_outbox(Some(hasher()));
    let demo = balcao_history::LookupContext { environment: Environment::Demonstracao, ..ctx() };
    h.record(&demo, &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    assert_eq!(h.outbox_waiting().unwrap(), 0);
}

#[test]
fn sent_lines_leave_the_outbox_and_the_rest_wait_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    h.set_agency_outbox(Some(hasher()));
    for _ in 0..5 {
        h.record(&real_ctx(), &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    }
    let items = h.outbox_take(2).unwrap();
    h.outbox_sent(items[1].seq).unwrap();
    drop(h);
    let mut h = open(&path);
    assert_eq!(h.outbox_waiting().unwrap(), 3, "the unsent lines survive closing the file");
    let rest = h.outbox_take(10).unwrap();
    assert!(rest[0].seq > items[1].seq);
}

#[test]
fn the_offline_allowance_is_counted_per_credential_api_and_day_and_stops_at_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let unit = OfflineUnit { credential: "agencia".into(), api: "serpro-cpf-v2".into(), day: "2026-12-07".into() };
    assert_eq!(h.outbox_spend_offline(&unit, 2).unwrap(), Some(1));
    assert_eq!(h.outbox_spend_offline(&unit, 2).unwrap(), Some(2));
    assert_eq!(h.outbox_spend_offline(&unit, 2).unwrap(), None, "the allowance is spent");
    let other = OfflineUnit { api: "serpro-cnpj".into(), ..unit.clone() };
    assert_eq!(h.outbox_spend_offline(&other, 2).unwrap(), Some(1), "another API has its own");
    // Sent units still count against their day's allowance.
    let last = h.outbox_take(10).unwrap().last().unwrap().seq;
    h.outbox_sent(last).unwrap();
    assert_eq!(h.outbox_waiting().unwrap(), 0);
    assert_eq!(h.outbox_spend_offline(&unit, 2).unwrap(), None);
}

#[test]
fn the_counter_id_is_made_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let a = h.agency_counter_id(|| "pc-01#abc".into()).unwrap();
    let b = h.agency_counter_id(|| "other".into()).unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("pc-01#abc", "pc-01#abc"));
}

#[test]
fn a_line_that_cannot_be_read_back_is_set_aside_and_the_rest_keep_flowing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    h.set_agency_outbox(Some(hasher()));
    for _ in 0..3 {
        h.record(&real_ctx(), &found_cpf(CPF, "Ana"), &doc(CPF)).unwrap();
    }
    drop(h);
    raw_keyed(&path).execute("UPDATE agency_outbox SET payload = '{nao e json' WHERE seq = 2", []).unwrap();
    let mut h = open(&path);
    let items = h.outbox_take(10).unwrap();
    assert_eq!(items.iter().map(|i| i.seq).collect::<Vec<_>>(), [1, 3], "the damaged line does not stop the others");
    assert_eq!(h.outbox_rejected().unwrap(), 1);
    h.outbox_reject(3, "recusada pelo banco").unwrap();
    assert_eq!((h.outbox_waiting().unwrap(), h.outbox_rejected().unwrap()), (1, 2));
}

#[test]
fn unsent_offline_units_are_kept_whatever_their_age() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    let unit = OfflineUnit { credential: "agencia".into(), api: "serpro-cpf-v2".into(), day: "2026-01-01".into() };
    h.outbox_spend_offline(&unit, 5).unwrap();
    drop(h);
    raw_keyed(&path).execute("UPDATE agency_outbox SET at = '2026-01-01T10:00:00.000Z'", []).unwrap();
    let mut h = open(&path);
    h.outbox_sent(0).unwrap();
    assert_eq!(h.outbox_waiting().unwrap(), 1, "a unit the store never got is not dropped after three days");
}
