//! Finding people by name: any word or word start of the name, accents and case ignored, through the FTS5 index
//! inside the encrypted file; the search text is only ever words (no FTS syntax); every path that removes
//! history rows removes their names from the index too.

mod common;

use std::path::Path;

use balcao_core::ErrorCode;
use balcao_core::history_api::{HistoryQuery, Outcome, PurgeScope, RetentionPolicy};
use balcao_core::record::ApiKind;
use balcao_history::{Actor, History};
use common::*;
use time::{Duration, OffsetDateTime};

fn names(h: &History, text: &str) -> Vec<String> {
    let q = HistoryQuery { text: Some(text.to_owned()), limit: Some(500), ..Default::default() };
    h.search(&q).unwrap_or_else(|e| panic!("{text:?}: {e:?}")).items.into_iter().filter_map(|s| s.name).collect()
}

fn with_people(path: &Path) -> History {
    let mut h = open(path);
    for (number, name) in [
        ("40442820135", "MARIA DA SILVA"),
        ("11144477735", "Conceição Araújo Magalhães"),
        ("63017285995", "José Silvano Pereira"),
        ("52998224725", "Ana Maria Souza"),
    ] {
        h.record(&ctx(), &found_cpf(number, name), &doc(number)).unwrap();
    }
    h
}

#[test]
fn any_word_or_word_start_of_the_name_finds_it_ignoring_accents_and_case() {
    let dir = tempfile::tempdir().unwrap();
    let h = with_people(&dir.path().join("history.db"));
    assert_eq!(names(&h, "silva"), ["José Silvano Pereira", "MARIA DA SILVA"], "a later word, and a word start");
    assert_eq!(names(&h, "SILVA maria"), ["MARIA DA SILVA"], "every word must match, in any order");
    assert_eq!(names(&h, "conceicao"), ["Conceição Araújo Magalhães"]);
    assert_eq!(names(&h, "conc"), ["Conceição Araújo Magalhães"]);
    assert_eq!(names(&h, "CONCEIÇÃO"), ["Conceição Araújo Magalhães"]);
    assert_eq!(names(&h, "magalhaes   araújo"), ["Conceição Araújo Magalhães"]);
    assert_eq!(names(&h, "maria"), ["Ana Maria Souza", "MARIA DA SILVA"], "newest first");
    assert!(names(&h, "ilva").is_empty(), "the middle of a word is not a word start");
    assert!(names(&h, "silvaz").is_empty());
    assert!(names(&h, "maria pereira").is_empty());
}

#[test]
fn name_search_combines_with_the_other_filters_and_pages_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let now = OffsetDateTime::now_utc();
    let mut other = ctx();
    other.profile_id = "outro".into();
    h.record_at(&ctx(), &found_cpf("40442820135", "Maria da Silva"), &doc("40442820135"), now - Duration::days(10))
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        let name = format!("Pedro Silva {i}");
        ids.push(h.record(&ctx(), &found_cpf("11144477735", &name), &doc("11144477735")).unwrap().unwrap());
    }
    h.record(&other, &found_cpf("63017285995", "Silva do Outro Perfil"), &doc("63017285995")).unwrap();
    h.record(&ctx(), &not_found(ApiKind::SerproCpfV1), &doc("52998224725")).unwrap();

    let mut q = HistoryQuery {
        text: Some("silva".into()),
        profile_id: Some("demo".into()),
        limit: Some(3),
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = h.search(&q).unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|s| s.id));
        match page.next_before_id {
            Some(b) => q.before_id = Some(b),
            None => break,
        }
    }
    let mut expected: Vec<i64> = ids.iter().rev().copied().collect();
    expected.push(1);
    assert_eq!(seen, expected, "every page newest first, the other profile left out");

    let day = |t: OffsetDateTime| t.date().to_string();
    let recent = HistoryQuery {
        text: Some("silva".into()),
        from: Some(day(now - Duration::days(2))),
        profile_id: Some("demo".into()),
        ..Default::default()
    };
    assert_eq!(h.search(&recent).unwrap().items.len(), 7, "the old Maria is outside the dates");
    let found_only =
        HistoryQuery { text: Some("silva".into()), outcome: Some(Outcome::NotFound), ..Default::default() };
    assert!(h.search(&found_only).unwrap().items.is_empty());
    let found = HistoryQuery { text: Some("silva".into()), outcome: Some(Outcome::Found), ..Default::default() };
    assert_eq!(h.search(&found).unwrap().items.len(), 9);
}

#[test]
fn fts_syntax_typed_in_the_search_box_is_only_text() {
    let dir = tempfile::tempdir().unwrap();
    let h = with_people(&dir.path().join("history.db"));
    let all = h.search(&HistoryQuery { limit: Some(500), ..Default::default() }).unwrap().items.len();
    assert_eq!(all, 4);
    // No words at all: the same as an empty box.
    for text in ["", "   ", "\"", "\"\"", "*", "-", ":", "()", "^", "\"*():-^+{}", "\u{0}\u{7}"] {
        let page = h.search(&HistoryQuery { text: Some(text.into()), limit: Some(500), ..Default::default() });
        assert_eq!(page.unwrap_or_else(|e| panic!("{text:?}: {e:?}")).items.len(), all, "{text:?}");
    }
    // Syntax around words is dropped; operators are words like any other; nothing widens the search.
    let silva = names(&h, "silva");
    assert_eq!(names(&h, "\"silva\""), ["José Silvano Pereira", "MARIA DA SILVA"]);
    assert_eq!(names(&h, "silva*"), ["José Silvano Pereira", "MARIA DA SILVA"]);
    assert_eq!(names(&h, "(silva)"), ["José Silvano Pereira", "MARIA DA SILVA"]);
    assert_eq!(names(&h, "name_norm:silva"), Vec::<String>::new(), "a column filter is two words");
    assert_eq!(names(&h, "name:maria"), Vec::<String>::new());
    for widening in [
        "silva OR conceicao",
        "silva OR",
        "NOT silva",
        "silva NOT maria",
        "- silva",
        "silva -maria",
        "NEAR(silva conceicao)",
        "NEAR(silva conceicao, dez)",
        "maria AND OR",
        "{name_norm}: silva",
        "\"silva\" OR \"conceicao\"",
        "silva\" OR \"conceicao",
        "^silva",
        "silva + conceicao",
    ] {
        // Each holds the word "silva": all words must match, so nothing outside the "silva" names may come back.
        let got = names(&h, widening);
        assert!(got.iter().all(|n| silva.contains(n)), "{widening:?} widened the search: {got:?}");
    }
    assert_eq!(names(&h, "maria OR"), Vec::<String>::new(), "OR is a word the names lack");
    // Letters the index's tokenizer does not take as letters (a circled letter): no error, nothing widened.
    assert!(names(&h, "\u{1F150}").len() <= 1);
    assert_eq!(names(&h, "\u{1F150} conceicao"), ["Conceição Araújo Magalhães"]);
    // Very long input: one long word finds nothing; many words are refused with a message the clerk can act on.
    assert!(names(&h, &"a".repeat(10_000)).is_empty());
    assert!(names(&h, &"\"(*".repeat(3_400)).len() == 4);
    let err = h.search(&HistoryQuery { text: Some("a ".repeat(5_000)), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("palavras"), "{}", err.message);
}

/// The terms the FTS index holds, read from the index itself (an fts5vocab table in the connection's temp schema,
/// so the file is not written), and whether any of `words` appears in any FTS shadow table's bytes.
fn index_traces(path: &Path, words: &[&str]) -> (Vec<String>, Vec<String>) {
    let conn = raw_keyed(path);
    conn.execute_batch("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, lookups_fts, row);").unwrap();
    let terms: Vec<String> = conn
        .prepare("SELECT term FROM temp.vocab")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut hits = Vec::new();
    for (table, column) in [("lookups_fts_data", "block"), ("lookups_fts_idx", "term"), ("lookups_fts_docsize", "sz")] {
        let blobs: Vec<Vec<u8>> = conn
            .prepare(&format!("SELECT CAST({column} AS BLOB) FROM {table}"))
            .unwrap()
            .query_map([], |r| r.get::<_, Option<Vec<u8>>>(0).map(Option::unwrap_or_default))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for w in words {
            if blobs.iter().any(|b| contains(b, w.as_bytes())) {
                hits.push(format!("{table}: {w}"));
            }
        }
    }
    (terms.into_iter().filter(|t| words.contains(&t.as_str())).collect(), hits)
}

fn actor() -> Actor {
    Actor { clerk_cpf: None, os_user: "supervisora".into() }
}

/// A history at `path` with one kept name and `gone` recorded `old` days ago.
fn kept_and_gone(path: &Path, old: i64) -> History {
    let mut h = open(path);
    let now = OffsetDateTime::now_utc();
    h.record_at(&ctx(), &found_cpf("63017285995", "Zenobia Esquecida"), &doc("63017285995"), now - Duration::days(old))
        .unwrap();
    h.record(&ctx(), &found_cpf("40442820135", "Mantida Permanece"), &doc("40442820135")).unwrap();
    let (terms, _) = index_traces(path, &["zenobia", "esquecida"]);
    assert_eq!(terms, ["esquecida", "zenobia"], "the baseline: the name is in the index");
    h
}

fn assert_no_trace(path: &Path, h: &History, how: &str) {
    assert!(names(h, "zenobia").is_empty(), "{how}");
    assert!(names(h, "mantida").iter().all(|n| n == "Mantida Permanece") && !names(h, "mantida").is_empty(), "{how}");
    let (terms, hits) = index_traces(path, &["zenobia", "esquecida"]);
    assert_eq!(terms, Vec::<String>::new(), "{how}: purged words left in the index");
    assert_eq!(hits, Vec::<String>::new(), "{how}: purged words left in the index's pages");
    h.integrity_check().unwrap_or_else(|e| panic!("{how}: {e:?}"));
}

#[test]
fn purge_all_leaves_no_name_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = kept_and_gone(&path, 0);
    h.purge(&actor(), &PurgeScope::All).unwrap();
    h.record(&ctx(), &found_cpf("40442820135", "Mantida Permanece"), &doc("40442820135")).unwrap();
    assert_no_trace(&path, &h, "purge all");
}

#[test]
fn purge_older_than_leaves_no_name_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = kept_and_gone(&path, 40);
    assert_eq!(h.purge(&actor(), &PurgeScope::OlderThan { days: 30 }).unwrap().removed, 1);
    assert_no_trace(&path, &h, "purge older than");
}

#[test]
fn retention_by_age_and_by_count_leaves_no_name_in_the_index() {
    for policy in [
        RetentionPolicy { max_age_days: Some(30), max_entries: None },
        RetentionPolicy { max_age_days: None, max_entries: Some(1) },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let mut h = kept_and_gone(&path, 40);
        h.set_retention(&policy).unwrap();
        assert_eq!(h.apply_retention(&actor()).unwrap().removed, 1, "{policy:?}");
        assert_no_trace(&path, &h, &format!("{policy:?}"));
    }
}

#[test]
fn the_trim_while_recording_leaves_no_name_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = kept_and_gone(&path, 0);
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(50) }).unwrap();
    // The trim runs when the id reaches 100: the forgotten name (id 1) is among the oldest.
    for _ in 0..98 {
        h.record(&ctx(), &found_cpf("40442820135", "Mantida Permanece"), &doc("40442820135")).unwrap();
    }
    assert_eq!(h.count().unwrap(), 50);
    assert_no_trace(&path, &h, "trim while recording");
}

#[test]
fn the_index_lives_in_the_encrypted_file_with_fts5_compiled_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    drop(with_people(&path));
    let conn = raw_keyed(&path);
    let fts5: bool = conn.query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| r.get(0)).unwrap();
    assert!(fts5, "the bundled SQLCipher has FTS5");
    let sql: String =
        conn.query_row("SELECT sql FROM sqlite_master WHERE name = 'lookups_fts'", [], |r| r.get(0)).unwrap();
    assert!(sql.contains("remove_diacritics 2"), "{sql}");
    drop(conn);
    // Encrypted as a whole: no indexed word readable in the files.
    assert_eq!(plaintext_hits(&path, &["conceicao", "silva", "magalhaes"]), Vec::<(String, String)>::new());
}
