//! Saved batch state inside the encrypted file: it round-trips, it never shows in the clear in the file's bytes, and
//! purge and retention (by age and by count) remove it with the history it came from.

mod common;

use balcao_core::history_api::{AuditEvent, PurgeScope, RetentionPolicy};
use balcao_history::Actor;
use common::*;
use time::{Duration, OffsetDateTime};

fn actor() -> Actor {
    Actor { clerk_cpf: None, os_user: "supervisora".into() }
}

fn answers(n: &str, name: &str) -> Vec<(String, String)> {
    vec![(n.to_owned(), format!(r#"{{"kind":"cpf","number":"{n}","name":"{name}"}}"#))]
}

#[test]
fn saved_batch_state_round_trips_and_is_encrypted_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    h.batch_state_begin("app", r#"{"fileName":"beneficiarios.csv"}"#, &answers("40442820135", "Zuleica Quaresma"))
        .unwrap();
    h.batch_state_append("app", &answers("63017285995", "Wanderlei Pimpão")).unwrap();
    h.batch_state_append("app", &answers("40442820135", "Zuleica Quaresma Filha")).unwrap();
    let saved = h.batch_state("app").unwrap().unwrap();
    assert_eq!(saved.header, r#"{"fileName":"beneficiarios.csv"}"#);
    assert_eq!(saved.answers.len(), 2, "the last answer per number");
    assert!(saved.answers[0].1.contains("Zuleica Quaresma Filha"));
    assert_eq!(h.batch_state_summary("app").unwrap().map(|(_, n)| n), Some(2));
    assert!(h.batch_state_append("cli:/tmp/x.csv", &answers("1", "x")).is_err(), "no batch saved in that slot");
    drop(h);
    let hits = plaintext_hits(&path, &["Zuleica", "Wanderlei", "40442820135", "63017285995", "beneficiarios"]);
    assert!(hits.is_empty(), "{hits:?}");
    let mut h = open(&path);
    assert!(h.batch_state_discard("app").unwrap());
    assert!(h.batch_state("app").unwrap().is_none());
}

#[test]
fn purge_now_removes_every_saved_batch_and_says_so_in_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.batch_state_begin("app", "{}", &answers("40442820135", "Ana")).unwrap();
    h.batch_state_begin("cli:/tmp/a.csv", "{}", &answers("63017285995", "Caio")).unwrap();
    let r = h.purge(&actor(), &PurgeScope::All).unwrap();
    assert_eq!(r.removed, 0, "no lookups, but the batches go");
    assert!(h.batch_state("app").unwrap().is_none() && h.batch_state("cli:/tmp/a.csv").unwrap().is_none());
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit[0].event, AuditEvent::Purge);
    assert!(audit[0].detail.as_deref().unwrap().contains("2 lote(s) salvo(s) apagado(s)"), "{:?}", audit[0].detail);
}

#[test]
fn retention_by_age_removes_batches_started_before_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let now = OffsetDateTime::now_utc();
    h.batch_state_begin_at("old", "{}", &answers("40442820135", "Ana"), now - Duration::days(40)).unwrap();
    h.batch_state_begin_at("new", "{}", &answers("63017285995", "Caio"), now - Duration::days(2)).unwrap();
    h.set_retention(&RetentionPolicy { max_age_days: Some(30), max_entries: None }).unwrap();
    h.apply_retention(&actor()).unwrap();
    assert!(h.batch_state("old").unwrap().is_none());
    assert!(h.batch_state("new").unwrap().is_some());
}

#[test]
fn retention_by_count_removes_batches_whose_lookups_were_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let now = OffsetDateTime::now_utc();
    h.batch_state_begin_at("app", "{}", &answers("40442820135", "Ana"), now - Duration::hours(3)).unwrap();
    for i in 0..6 {
        h.record_at(
            &ctx(),
            &found_cpf("40442820135", "Ana"),
            &doc("40442820135"),
            now - Duration::hours(2) + Duration::minutes(i),
        )
        .unwrap();
    }
    // A later batch, started after every lookup the limit keeps: it stays.
    h.batch_state_begin("cli:/tmp/b.csv", "{}", &answers("63017285995", "Caio")).unwrap();
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(3) }).unwrap();
    assert_eq!(h.apply_retention(&actor()).unwrap().removed, 3);
    assert!(h.batch_state("app").unwrap().is_none(), "its first lookups were trimmed: the batch goes too");
    assert!(h.batch_state("cli:/tmp/b.csv").unwrap().is_some());
}

#[test]
fn a_running_batch_of_more_numbers_than_the_count_limit_keeps_its_own_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(3) }).unwrap();
    let start = OffsetDateTime::now_utc() - Duration::minutes(10);
    h.batch_state_begin_at("app", "{}", &[], start).unwrap();
    h.set_running_batch(Some("app"));
    // The batch records a lookup, the count limit trims the history, then the batch writes that lookup's answer:
    // ten numbers through a limit of three, as a 25 000-number batch goes through the default 20 000.
    for i in 0..10 {
        let cpf = balcao_core::Cpf::with_check_digits(&format!("{:09}", 100_000_000 + i)).unwrap().to_string();
        h.record_at(&ctx(), &found_cpf(&cpf, "Ana"), &doc(&cpf), start + Duration::seconds(i64::from(i) + 1)).unwrap();
        h.apply_retention(&actor()).unwrap();
        h.batch_state_append("app", &answers(&cpf, "Ana")).unwrap_or_else(|e| panic!("number {i}: {}", e.message));
    }
    assert_eq!(h.batch_state("app").unwrap().unwrap().answers.len(), 10);
    // Once the run ends, the limit applies to it like to any other saved batch: the next trim takes it.
    h.set_running_batch(None);
    let cpf = "40442820135";
    h.record_at(&ctx(), &found_cpf(cpf, "Ana"), &doc(cpf), start + Duration::seconds(60)).unwrap();
    h.apply_retention(&actor()).unwrap();
    assert!(h.batch_state("app").unwrap().is_none());
}
