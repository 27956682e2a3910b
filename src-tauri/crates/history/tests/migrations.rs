//! Schema migrations: from an empty file; from an SQL fixture of every schema version (`fixtures/schema_vN.sql`:
//! the earlier ones are migrated, today's is opened as is); from the real file the previous schema wrote
//! (`fixtures/history_vN.db`, written by `examples/write_fixture_db.rs` with the test key and committed when schema N
//! shipped; today: schema 1's file migrated by schema 2); and the guard that refuses a file written by a newer
//! Balcão without touching it.

mod common;

use std::path::{Path, PathBuf};

use balcao_core::ErrorCode;
use balcao_core::history_api::{AuditEvent, HistoryQuery, Outcome, PurgeScope};
use balcao_core::record::ApiKind;
use balcao_history::{History, SCHEMA_VERSION};
use common::*;
use time::macros::datetime;

fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/schema_v{version}.sql"))
}

/// An encrypted file at schema `version`, built from that version's fixture.
fn file_at_version(dir: &Path, version: u32) -> PathBuf {
    let sql = std::fs::read_to_string(fixture(version)).unwrap_or_else(|e| {
        panic!("fixture for schema v{version} missing ({e}): add tests/fixtures/schema_v{version}.sql")
    });
    let path = dir.join(format!("v{version}.db"));
    let conn = raw_keyed(&path);
    conn.execute_batch(&sql).unwrap();
    let v: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, version, "fixture v{version} sets user_version");
    path
}

#[test]
fn an_empty_file_gets_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
    h.integrity_check().unwrap();
    h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap().unwrap();
    drop(h);
    // Reopening an up-to-date file changes nothing.
    let h = open(&path);
    assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(h.count().unwrap(), 1);
}

#[test]
fn every_schema_version_has_a_fixture() {
    for v in 1..=SCHEMA_VERSION {
        assert!(fixture(v).is_file(), "add tests/fixtures/schema_v{v}.sql (a file as schema v{v} left it)");
    }
}

#[test]
fn every_earlier_schema_has_the_real_file_it_wrote() {
    const { assert!(SCHEMA_VERSION >= 2, "schema 1 is an earlier schema") };
    for v in 1..SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = real_file(v, dir.path());
        assert_eq!(raw_keyed(&path).pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0)).unwrap(), v);
    }
}

/// Each SQL fixture, earlier schemas and today's, ends at the current version with its data readable and writable:
/// for v < SCHEMA_VERSION that is a migration; the fixture of today's schema checks the fixture itself.
#[test]
fn every_schema_fixture_opens_at_the_current_version_with_its_data() {
    for v in 1..=SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = file_at_version(dir.path(), v);
        let mut h = open(&path);
        assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION, "from v{v}");
        h.integrity_check().unwrap_or_else(|e| panic!("from v{v}: {e:?}"));
        // What every fixture holds must read back through the current API.
        let page = h.search(&HistoryQuery { text: Some("jose".into()), ..Default::default() }).unwrap();
        assert_eq!(page.items.len(), 1, "from v{v}");
        let e = h.get(page.items[0].id).unwrap().unwrap();
        let lookup = e.lookup.expect("record JSON still decodes");
        assert_eq!(lookup.record.display_name(), Some("José da Silva"));
        assert_eq!(lookup.meta.activity_id.as_deref(), Some("fixture-activity-1"));
        let nf = h.search(&HistoryQuery { text: Some("630.172.859-95".into()), ..Default::default() }).unwrap();
        assert_eq!(nf.items[0].outcome, Outcome::NotFound, "from v{v}");
        let audit = h.audit(&Default::default(), None, None).unwrap().items;
        assert!(audit.iter().filter(|a| a.event == AuditEvent::Lookup).count() >= 2, "from v{v}");
        let q = h.quota_usage_at("demo", datetime!(2026-03-01 18:00 UTC)).unwrap();
        assert_eq!(q.iter().find(|q| q.api == ApiKind::SerproCpfV1).map(|q| q.used_today), Some(2), "from v{v}");
        assert_eq!(h.retention().unwrap().max_entries, Some(1000), "from v{v}");
        // And the migrated file keeps working.
        h.record(&ctx(), &found_cpf("40442820135", "José da Silva"), &doc("40442820135")).unwrap().unwrap();
        let prev = h.latest_for(&doc("40442820135")).unwrap().unwrap();
        assert!(h.previous(prev.summary.id).unwrap().is_some(), "from v{v}");
    }
}

#[test]
fn a_file_from_a_newer_balcao_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let conn = raw_with_one_lookup(&path);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        conn.execute_batch("CREATE TABLE from_the_future (x);").unwrap();
    }
    let before = fingerprint(&path);
    let err = History::open_with_key(&path, &key()).unwrap_err();
    assert_eq!(err.code, ErrorCode::HistoryLocked);
    assert!(err.message.contains("Atualize o Balcão"), "{}", err.message);
    assert!(err.message.contains(&format!("esquema {}", SCHEMA_VERSION + 1)), "{}", err.message);
    assert_eq!(fingerprint(&path), before, "refused without writing");
    // A second attempt behaves the same (nothing was half-done).
    assert_eq!(History::open_with_key(&path, &key()).unwrap_err().code, ErrorCode::HistoryLocked);
    assert_eq!(fingerprint(&path), before);
}

/// The real file schema 1 wrote (committed before schema 2 existed), copied and opened by this build.
fn real_file(version: u32, dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/history_v{version}.db"));
    let path = dir.join("history.db");
    std::fs::copy(&src, &path).unwrap_or_else(|e| {
        panic!("{}: {e} (commit the file schema v{version} wrote, examples/write_fixture_db.rs)", src.display())
    });
    path
}

#[test]
fn the_real_file_written_by_schema_1_migrates_with_its_data_and_gains_saved_batch_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = real_file(1, dir.path());
    {
        let raw = raw_keyed(&path);
        let v: u32 = raw.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, 1, "the fixture is a schema 1 file");
    }
    let mut h = open(&path);
    assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 2) };
    h.integrity_check().unwrap();
    let page = h.search(&HistoryQuery { text: Some("jose".into()), ..Default::default() }).unwrap();
    assert_eq!(page.items.len(), 1);
    let e = h.get(page.items[0].id).unwrap().unwrap();
    let lookup = e.lookup.expect("record JSON still decodes");
    assert_eq!(lookup.record.display_name(), Some("José da Silva"));
    assert_eq!(lookup.meta.activity_id.as_deref(), Some("fixture-activity-1"));
    let nf = h.search(&HistoryQuery { text: Some("630.172.859-95".into()), ..Default::default() }).unwrap();
    assert_eq!(nf.items[0].outcome, Outcome::NotFound);
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit.iter().filter(|a| a.event == AuditEvent::Lookup).count(), 2);
    assert_eq!(audit[0].detail.as_deref(), Some("exportação de lote «fixture.csv»: 2 linha(s)"));
    let q = h.quota_usage_at("demo", datetime!(2026-03-01 18:00 UTC)).unwrap();
    assert_eq!(q.iter().find(|q| q.api == ApiKind::SerproCpfV1).map(|q| q.used_today), Some(2));
    assert_eq!(h.retention().unwrap().max_entries, Some(1000));
    // Schema 2's table works in the migrated file, and a purge empties it.
    assert!(h.batch_state("app").unwrap().is_none());
    h.batch_state_begin("app", "{}", &[("40442820135".into(), "{}".into())]).unwrap();
    assert_eq!(h.batch_state_summary("app").unwrap(), Some(("{}".to_owned(), 1)));
    h.purge(&balcao_history::Actor { clerk_cpf: None, os_user: "ti".into() }, &PurgeScope::All).unwrap();
    assert!(h.batch_state("app").unwrap().is_none());
    drop(h);
    // Reopening the migrated file changes nothing.
    assert_eq!(open(&path).schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn audit_lines_say_whether_they_came_from_the_app_or_the_cli_and_older_lines_say_nothing() {
    use balcao_core::history_api::AuditOrigin;
    let dir = tempfile::tempdir().unwrap();
    let path = file_at_version(dir.path(), 2);
    let mut h = open(&path);
    let before = h.audit(&Default::default(), None, None).unwrap().items;
    assert!(before.iter().all(|a| a.origin.is_none()), "lines written before v3 claim no origin");
    h.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    drop(h);
    let mut cli = open(&path).with_origin(AuditOrigin::Cli);
    cli.record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    let actor = balcao_history::Actor { clerk_cpf: None, os_user: "ti".into() };
    let mut csv = Vec::new();
    cli.export_audit_csv(&mut csv, &Default::default(), &actor).unwrap();
    let audit = cli.audit(&Default::default(), None, None).unwrap().items;
    // Newest first: the CLI's export, the CLI's lookup, the app's lookup.
    assert_eq!(audit[0].event, AuditEvent::Export);
    assert_eq!(audit[0].origin, Some(AuditOrigin::Cli));
    assert_eq!(audit[1].origin, Some(AuditOrigin::Cli));
    assert_eq!(audit[2].origin, Some(AuditOrigin::App));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains(";Origem"), "{csv}");
    assert!(csv.lines().any(|l| l.contains(";consulta;") && l.ends_with(";linha de comando (balcao-cli)")), "{csv}");
    assert!(csv.lines().any(|l| l.contains(";consulta;") && l.ends_with(";aplicativo")), "{csv}");
}

/// Schema 4 (issue 16): a history written before the name index gets it filled on upgrade, from the real file
/// schema 3 wrote and from the SQL fixture of schema 3, so an existing clerk's lookups are found by any word.
#[test]
fn a_schema_3_file_gets_its_name_index_filled_on_upgrade() {
    const { assert!(SCHEMA_VERSION >= 4) };
    for from_real_file in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = if from_real_file { real_file(3, dir.path()) } else { file_at_version(dir.path(), 3) };
        {
            let raw = raw_keyed(&path);
            assert_eq!(raw.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0)).unwrap(), 3);
            let fts: i64 = raw
                .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'lookups_fts'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(fts, 0, "schema 3 has no name index");
        }
        let h = open(&path);
        assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
        h.integrity_check().unwrap();
        for text in ["silva", "SILVA", "da sil", "josé", "jose da silva"] {
            let page = h.search(&HistoryQuery { text: Some(text.into()), ..Default::default() }).unwrap();
            let names: Vec<_> = page.items.iter().filter_map(|s| s.name.as_deref()).collect();
            assert_eq!(names, ["José da Silva"], "{text:?} (real file: {from_real_file})");
        }
        drop(h);
        let raw = raw_keyed(&path);
        raw.execute_batch("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, lookups_fts, row);").unwrap();
        let terms: Vec<String> = raw
            .prepare("SELECT term FROM temp.vocab ORDER BY term")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(terms, ["da", "jose", "silva"], "the index holds the existing row's words");
    }
}
