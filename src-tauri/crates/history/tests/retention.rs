//! Retention by age and by count, "purge now", and that purged rows leave no recoverable plaintext while the
//! audit trail and the quota counters survive.

mod common;

use balcao_core::history_api::{AuditEvent, HistoryQuery, PurgeScope, RetentionPolicy};
use balcao_core::record::ApiKind;
use balcao_history::{Actor, History};
use common::*;
use time::{Duration, OffsetDateTime};

fn actor() -> Actor {
    Actor { clerk_cpf: None, os_user: "supervisora".into() }
}

#[test]
fn policy_is_stored_and_enforced_by_age_and_by_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    assert_eq!(h.retention().unwrap(), RetentionPolicy::default());
    let now = OffsetDateTime::now_utc();
    let c = ctx();
    for age in [40, 35, 31] {
        h.record_at(&c, &found_cpf("40442820135", "Antigo"), &doc("40442820135"), now - Duration::days(age)).unwrap();
    }
    for i in 0..10 {
        h.record_at(&c, &found_cpf("11144477735", "Recente"), &doc("11144477735"), now - Duration::hours(10 - i))
            .unwrap();
    }
    let policy = RetentionPolicy { max_age_days: Some(30), max_entries: Some(4) };
    h.set_retention(&policy).unwrap();
    assert_eq!(h.retention().unwrap(), policy);
    let r = h.apply_retention(&actor()).unwrap();
    assert_eq!((r.removed, r.remaining), (9, 4));
    let left = h.search(&HistoryQuery::default()).unwrap().items;
    assert!(left.iter().all(|s| s.name.as_deref() == Some("Recente")));
    // Applying again removes nothing and writes no audit line.
    let audit_before = h.audit(&Default::default(), None, Some(500)).unwrap().items.len();
    assert_eq!(h.apply_retention(&actor()).unwrap().removed, 0);
    assert_eq!(h.audit(&Default::default(), None, Some(500)).unwrap().items.len(), audit_before);
    h.integrity_check().unwrap();
}

#[test]
fn recording_keeps_the_history_within_the_count_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(30) }).unwrap();
    let mut last = 0;
    for i in 0..200 {
        let name = format!("Pessoa {i}");
        last = h.record(&ctx(), &found_cpf("40442820135", &name), &doc("40442820135")).unwrap().unwrap();
    }
    // Trimmed when the id reached 100 and 200: the newest 30 remain.
    assert_eq!(h.count().unwrap(), 30);
    let newest = h.search(&HistoryQuery { limit: Some(1), ..Default::default() }).unwrap();
    assert_eq!(newest.items[0].id, last);
    let items: Vec<_> = (0..150).map(|_| (found_cpf("40442820135", "Lote"), doc("40442820135"))).collect();
    h.record_batch(&ctx(), &items).unwrap();
    assert_eq!(h.count().unwrap(), 30, "a batch crossing a multiple of 100 trims too");
    let trims = h.audit(&Default::default(), None, Some(500)).unwrap().items;
    let trims: Vec<_> = trims.iter().filter(|a| a.event == AuditEvent::Purge).collect();
    assert_eq!(trims.len(), 3);
    assert_eq!(trims[0].os_user, "atendente1");
    h.integrity_check().unwrap();
}

#[test]
fn purge_all_keeps_the_audit_and_the_quota_and_is_itself_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    for _ in 0..3 {
        h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    }
    let r = h.purge(&actor(), &PurgeScope::All).unwrap();
    assert_eq!((r.removed, r.remaining), (3, 0));
    assert_eq!(h.count().unwrap(), 0);
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit.len(), 4);
    assert_eq!(audit[0].event, AuditEvent::Purge);
    assert_eq!(audit[0].os_user, "supervisora");
    assert!(audit[0].detail.as_deref().unwrap().contains("3 consulta(s) apagada(s)"), "{:?}", audit[0].detail);
    assert_eq!(h.quota_for("demo", ApiKind::SerproCpfV1).unwrap().used_total, 3);
    // Ids are never reused after a purge.
    let next = h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap().unwrap();
    assert!(next > 3, "{next}");
    assert_eq!(h.purge(&actor(), &PurgeScope::OlderThan { days: 1 }).unwrap().removed, 0);
}

#[test]
fn purge_and_policy_with_a_huge_number_of_days_remove_nothing_and_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let now = OffsetDateTime::now_utc();
    h.record_at(&ctx(), &found_cpf("40442820135", "Antigo"), &doc("40442820135"), now - Duration::days(400)).unwrap();
    for days in [5_000_000, 9_999_999, u32::MAX] {
        assert_eq!(h.purge(&actor(), &PurgeScope::OlderThan { days }).unwrap().removed, 0, "{days}");
        h.set_retention(&RetentionPolicy { max_age_days: Some(days), max_entries: None }).unwrap();
        assert_eq!(h.apply_retention(&actor()).unwrap().removed, 0, "{days}");
    }
    assert_eq!(h.purge(&actor(), &PurgeScope::OlderThan { days: 365 }).unwrap().removed, 1);
}

#[test]
fn purge_leaves_no_recoverable_plaintext() {
    // The encrypted file never shows plaintext, so this runs the same code on the plain-SQLite build of the
    // schema, where a name left in a freed page or in the WAL would be visible.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.db");
    let mut h = History::open_unencrypted(&path).unwrap();
    let keep = "Mantida Permanece";
    let gone = "Zenobia Esquecida";
    h.record(&ctx(), &found_cpf("11144477735", keep), &doc("11144477735")).unwrap();
    for _ in 0..30 {
        h.record(&ctx(), &found_cpf("63017285995", gone), &doc("63017285995")).unwrap();
    }
    h.record(&ctx(), &found_cpf("11144477735", keep), &doc("11144477735")).unwrap();
    assert!(!plaintext_hits(&path, &[gone]).is_empty(), "the baseline really is plain");
    // Remove the old entries: the 30 of the forgotten name and the first of the kept one.
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(1) }).unwrap();
    let r = h.purge(&actor(), &PurgeScope::Policy).unwrap();
    assert_eq!(r.removed, 31);
    let hits = plaintext_hits(&path, &[gone, "63017285995", "zenobia"]);
    assert_eq!(hits, Vec::<(String, String)>::new(), "purged rows survive in the files");
    assert!(!plaintext_hits(&path, &[keep]).is_empty(), "the kept row is still there");
    drop(h);
    assert_eq!(plaintext_hits(&path, &[gone, "63017285995"]), Vec::<(String, String)>::new());
}
