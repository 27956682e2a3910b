//! Recording and reading lookups on a real SQLCipher file: history rows, audit lines, quota counters,
//! search by number and name, pagination, snapshots, "não registrar".

mod common;

use balcao_core::history_api::{HistoryQuery, Outcome};
use balcao_core::record::{ApiKind, CallMeta};
use balcao_core::{AppError, ErrorCode};
use balcao_history::LookupOutcome;
use common::*;
use time::macros::datetime;

#[test]
fn a_found_lookup_round_trips_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let outcome = found_cpf("404.428.201-35", "José da Silva Conceição");
    let id = {
        let mut h = open(&path);
        h.record(&ctx(), &outcome, &doc("40442820135")).unwrap().expect("kept")
    };
    let h = open(&path);
    let e = h.get(id).unwrap().expect("entry");
    assert_eq!(e.lookup.as_ref(), outcome.as_ref().ok());
    assert_eq!(e.summary.number, "40442820135");
    assert_eq!(e.summary.formatted, "404.428.201-35");
    assert_eq!(e.summary.name.as_deref(), Some("José da Silva Conceição"));
    assert_eq!(e.summary.outcome, Outcome::Found);
    assert_eq!(e.summary.api, Some(ApiKind::SerproCpfV1));
    assert_eq!(e.summary.http_status, Some(200));
    assert!(e.summary.billable);
    assert_eq!(e.summary.status.as_ref().unwrap().label, "Regular");
    assert_eq!(e.meta.as_ref().unwrap().activity_id.as_deref(), Some("act-SerproCpfV1-200"));
    assert!(e.error.is_none());
    assert_eq!(h.get(id + 1000).unwrap(), None);
    assert_eq!(h.count().unwrap(), 1);
    h.integrity_check().unwrap();
}

#[test]
fn search_by_number_in_any_format_and_by_accentless_name_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    h.record(&c, &found_cpf("40442820135", "José da Silva"), &doc("40442820135")).unwrap();
    h.record(&c, &found_cpf("11144477735", "Joséfa Araújo"), &doc("11144477735")).unwrap();
    h.record(&c, &found(cnpj_record("12ABC34501DE35", "Conceição Comércio Ltda")), &doc("12ABC34501DE35")).unwrap();
    h.record(&c, &found_cpf("40442820135", "José da Silva"), &doc("40442820135")).unwrap();

    let q = |text: &str| HistoryQuery { text: Some(text.into()), ..Default::default() };
    let numbers = |text: &str| h.search(&q(text)).unwrap().items.iter().map(|s| s.number.clone()).collect::<Vec<_>>();
    assert_eq!(numbers("404.428.201-35"), ["40442820135", "40442820135"]);
    assert_eq!(numbers("CPF: 40442820135"), ["40442820135", "40442820135"]);
    assert_eq!(numbers("12.abc.345/01de-35"), ["12ABC34501DE35"]);
    assert_eq!(numbers("JOSE"), ["40442820135", "11144477735", "40442820135"]);
    assert_eq!(numbers("josé da"), ["40442820135", "40442820135"]);
    assert_eq!(numbers("josef"), ["11144477735"]);
    assert_eq!(numbers("conceicao com"), ["12ABC34501DE35"]);
    // Any word of the name, not only the start of the whole name (issue 16; before, "silva" found nothing).
    assert_eq!(numbers("silva"), ["40442820135", "40442820135"]);
    assert_eq!(numbers("comercio conceição"), ["12ABC34501DE35"]);
    assert_eq!(numbers("ilva"), Vec::<String>::new(), "the middle of a word is not a word start");
    assert_eq!(numbers("63017285995"), Vec::<String>::new());
    let err = h.search(&q("404.428.201-36")).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidDocument);
    // Newest first.
    let all = h.search(&HistoryQuery::default()).unwrap();
    let ids: Vec<i64> = all.items.iter().map(|s| s.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    assert_eq!(all.next_before_id, None);
}

#[test]
fn pages_follow_each_other_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let items: Vec<_> = (0..23).map(|_| (found_cpf("40442820135", "Ana"), doc("40442820135"))).collect();
    let ids = h.record_batch(&ctx(), &items).unwrap();
    assert_eq!(ids.len(), 23);
    let mut seen = Vec::new();
    let mut q = HistoryQuery { limit: Some(5), ..Default::default() };
    loop {
        let page = h.search(&q).unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|s| s.id));
        match page.next_before_id {
            Some(b) => q.before_id = Some(b),
            None => break,
        }
    }
    let mut expected: Vec<i64> = ids.into_iter().map(Option::unwrap).collect();
    expected.reverse();
    assert_eq!(seen, expected);
}

#[test]
fn filters_by_profile_outcome_and_local_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let mut other = ctx();
    other.profile_id = "serpro-prod".into();
    other.profile_name = "SERPRO Produção".into();
    // 2026-03-01 23:30 in Brasília is 2026-03-02 02:30 UTC: it belongs to local day 2026-03-01.
    h.record_at(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135"), datetime!(2026-03-02 02:30 UTC))
        .unwrap();
    h.record_at(&other, &not_found(ApiKind::SerproCpfV1), &doc("63017285995"), datetime!(2026-03-02 12:00 UTC))
        .unwrap();
    h.record_at(&other, &found_cpf("11144477735", "Bia"), &doc("11144477735"), datetime!(2026-03-03 12:00 UTC))
        .unwrap();
    let numbers = |q: HistoryQuery| h.search(&q).unwrap().items.into_iter().map(|s| s.number).collect::<Vec<_>>();
    let day = |d: &str| HistoryQuery { from: Some(d.into()), to: Some(d.into()), ..Default::default() };
    assert_eq!(numbers(day("2026-03-01")), ["40442820135"]);
    assert_eq!(numbers(day("2026-03-02")), ["63017285995"]);
    assert_eq!(
        numbers(HistoryQuery { from: Some("2026-03-02".into()), ..Default::default() }),
        ["11144477735", "63017285995"]
    );
    assert_eq!(
        numbers(HistoryQuery { profile_id: Some("serpro-prod".into()), ..Default::default() }),
        ["11144477735", "63017285995"]
    );
    assert_eq!(numbers(HistoryQuery { outcome: Some(Outcome::NotFound), ..Default::default() }), ["63017285995"]);
    let first = h.search(&day("2026-03-01")).unwrap().items.remove(0);
    assert_eq!(first.day, "2026-03-01");
    assert_eq!(first.at, "2026-03-02T02:30:00.000Z");
    let bad = h.search(&HistoryQuery { from: Some("02/03/2026".into()), ..Default::default() }).unwrap_err();
    assert!(bad.message.contains("AAAA-MM-DD"), "{}", bad.message);
}

#[test]
fn not_found_is_kept_unbilled_failures_only_audited_and_do_not_record_leaves_only_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let nf = h.record(&ctx(), &not_found(ApiKind::SerproCpfV1), &doc("63017285995")).unwrap().expect("billed: kept");
    let e = h.get(nf).unwrap().unwrap();
    assert_eq!(e.summary.outcome, Outcome::NotFound);
    assert_eq!(e.error.as_ref().unwrap().code, ErrorCode::NotFound);
    assert!(e.summary.billable);
    assert!(e.lookup.is_none());

    assert_eq!(h.record(&ctx(), &network_failure(), &doc("63017285995")).unwrap(), None);
    let minor: LookupOutcome = Err((
        AppError::from(ErrorCode::MinorDataBlocked),
        Some(CallMeta { billable: true, ..meta(ApiKind::SerproCpfV2, 422) }),
    ));
    let minor_id = h.record(&ctx(), &minor, &doc("63017285995")).unwrap().expect("billed failures are kept");
    assert_eq!(h.get(minor_id).unwrap().unwrap().summary.outcome, Outcome::Failed);

    let mut secret = ctx();
    secret.do_not_record = true;
    secret.authorization_code = Some("AB12-CD34".into());
    assert_eq!(h.record(&secret, &found_cpf("40442820135", "Ana Sigilo"), &doc("40442820135")).unwrap(), None);
    assert_eq!(h.count().unwrap(), 2);
    let none = h.search(&HistoryQuery { text: Some("ana".into()), ..Default::default() }).unwrap();
    assert!(none.items.is_empty());

    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit.len(), 4, "every lookup is audited");
    let last = &audit[0];
    assert!(!last.recorded);
    assert_eq!(last.number_masked.as_deref(), Some("***.428.201-**"));
    assert_eq!(last.authorization_code.as_deref(), Some("AB12-CD34"));
    assert_eq!(last.purpose.as_deref(), Some("Protocolo 2026/0042"));
    assert_eq!(last.clerk_cpf.as_deref(), Some("11144477735"));
    assert_eq!(last.os_user, "atendente1");
    assert_eq!(last.outcome, Some(Outcome::Found));
    assert!(last.billable);
    let network = &audit[2];
    assert_eq!(network.error_code, Some(ErrorCode::Network));
    assert!(!network.billable && !network.recorded);
    // The do-not-record lookup was billed: it counts against the quota.
    assert_eq!(h.quota_for("demo", ApiKind::SerproCpfV1).unwrap().used_total, 2);
}

#[test]
fn previous_and_latest_snapshots_of_the_same_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    let first = h.record(&c, &found(cpf_record("40442820135", "Ana", "0")), &doc("40442820135")).unwrap().unwrap();
    h.record(&c, &found_cpf("11144477735", "Outra"), &doc("11144477735")).unwrap();
    h.record(&c, &not_found(ApiKind::SerproCpfV1), &doc("40442820135")).unwrap();
    let third = h.record(&c, &found(cpf_record("40442820135", "Ana", "2")), &doc("40442820135")).unwrap().unwrap();
    let prev = h.previous(third).unwrap().expect("earlier snapshot");
    assert_eq!(prev.summary.id, first, "the not-found in between holds no record");
    assert_eq!(prev.lookup.unwrap().record.status().code, "0");
    assert_eq!(h.previous(first).unwrap(), None);
    let latest = h.latest_for(&doc("404.428.201-35")).unwrap().unwrap();
    assert_eq!(latest.summary.id, third);
    assert_eq!(latest.summary.status.unwrap().label, "Suspensa");
    assert_eq!(h.latest_for(&doc("63017285995")).unwrap(), None);
}

#[test]
fn the_audit_trail_rejects_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let conn = raw_with_one_lookup(&path);
    let upd = conn.execute("UPDATE audit SET os_user = 'intruso'", []).unwrap_err();
    assert!(upd.to_string().contains("append-only"), "{upd}");
    let del = conn.execute("DELETE FROM audit", []).unwrap_err();
    assert!(del.to_string().contains("append-only"), "{del}");
    let n: i64 = conn.query_row("SELECT count(*) FROM audit WHERE os_user = 'atendente1'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}

/// Several programs (the window, `balcao-cli` commands run at once) recording into one file at the same time: each
/// write waits for the others instead of failing, so no call that was made goes without its audit line.
#[test]
fn several_handles_recording_at_once_on_one_file_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    drop(open(&path));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut h = open(&path);
                for i in 0..40 {
                    let outcome = if (t + i) % 2 == 0 { found_cpf("40442820135", "Ana") } else { network_failure() };
                    h.record(&ctx(), &outcome, &doc("40442820135"))
                        .unwrap_or_else(|e| panic!("thread {t}, {i}: {e:?}"));
                    let _ = h.count();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no recording failed");
    }
    let lines: i64 = raw_keyed(&path).query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    assert_eq!(lines, 240);
}
