//! The history across restarts and updates, at the level the app opens it (the service's start-up):
//! - an update: the real file the previous schema wrote (`crates/history/tests/fixtures/history_v{N-1}.db`, committed
//!   when that schema shipped) is opened by this build, migrated, read and written to;
//! - a restart of the same build finds its lookups and keeps recording;
//! - going back to an older build (a downgrade) is refused by the forward-compatibility guard with a pt-BR message,
//!   and the file is left byte for byte untouched.

use std::path::Path;
use std::sync::Arc;

use balcao_core::ErrorCode;
use balcao_core::api::LookupRequest;
use balcao_core::history_api::HistoryQuery;
use balcao_history::{DB_FILE_NAME, KEY_NAME, SCHEMA_VERSION};
use balcao_platform::{MemoryStore, SecretStore};
use balcao_service::{Balcao, StartOptions};

async fn start(dir: &Path, secrets: &Arc<MemoryStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets.clone()),
    };
    Balcao::start(opts).await.expect("starts in Demonstração")
}

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

fn query(text: &str) -> HistoryQuery {
    HistoryQuery { text: Some(text.into()), ..Default::default() }
}

/// What a newer Balcão would leave: the same file with a schema version this build does not know.
fn stamp_newer_schema(dir: &Path, secrets: &MemoryStore) {
    let key = secrets.get(KEY_NAME).unwrap().expect("the history key");
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.expose())).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// The key the history fixtures were written with (`crates/history/tests/common::KEY`, never a real key).
const FIXTURE_KEY: &str = "7f1c0de5a11ce0ffee0ddba11c0ffee07f1c0de5a11ce0ffee0ddba11c0ffee0";

fn user_version(db: &Path, key: &str) -> u32 {
    balcao_history::sqlcipher_ready();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";")).unwrap();
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn the_file_the_previous_schema_wrote_opens_after_the_update_with_its_lookups_and_keeps_recording() {
    const { assert!(SCHEMA_VERSION >= 2, "there is a previous schema to update from") };
    let previous = SCHEMA_VERSION - 1;
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("crates/history/tests/fixtures/history_v{previous}.db"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE_NAME);
    std::fs::copy(&fixture, &db).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    assert_eq!(user_version(&db, FIXTURE_KEY), previous, "the fixture is a file of the previous schema");
    let secrets = Arc::new(MemoryStore::new());
    secrets.set(KEY_NAME, &balcao_core::Sensitive::new(FIXTURE_KEY.to_owned())).unwrap();

    let updated = start(dir.path(), &secrets).await;
    let page = updated.history().search(query("40442820135")).await.expect("history opens after the update");
    assert_eq!(page.items.len(), 1, "{page:?}");
    assert_eq!(page.items[0].name.as_deref(), Some("José da Silva"), "the previous build's lookup reads back");
    let entry = updated.history().get(page.items[0].id).await.expect("the entry in full");
    assert_eq!(entry.lookup.and_then(|l| l.meta.activity_id).as_deref(), Some("fixture-activity-1"));
    let r = updated.lookup().lookup(request("11.222.333/0001-81")).await.expect("a lookup after the update");
    let id = r.history_id.expect("recorded in the migrated file");
    let page = updated.history().search(query("11222333000181")).await.unwrap();
    assert_eq!(page.items.first().map(|i| i.id), Some(id));
    drop(updated);
    assert_eq!(user_version(&db, FIXTURE_KEY), SCHEMA_VERSION, "the file was migrated to this build's schema");
}

#[tokio::test]
async fn a_restart_finds_the_history_and_keeps_recording_and_a_downgrade_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());

    // The installed version records a lookup.
    let before = start(dir.path(), &secrets).await;
    let r = before.lookup().lookup(request("404.428.201-35")).await.expect("trial CPF");
    let id = r.history_id.expect("recorded");
    drop(before);

    // The same build started again (same data folder, same keyring) finds it and keeps recording. (An update from
    // the previous schema's real file is the test above.)
    let after = start(dir.path(), &secrets).await;
    let page = after.history().search(query("40442820135")).await.expect("history opens after a restart");
    assert_eq!(page.items.first().map(|i| i.id), Some(id));
    let second = after.lookup().lookup(request("11.222.333/0001-81")).await.expect("the known CNPJ answers");
    let second_id = second.history_id.expect("recorded");
    assert_ne!(second_id, id);
    let page = after.history().search(query("11222333000181")).await.unwrap();
    assert_eq!(page.items.first().map(|i| i.id), Some(second_id));
    drop(after);

    // A newer Balcão migrated the file; this (older) build must refuse it and not write a byte.
    stamp_newer_schema(dir.path(), &secrets);
    let db = dir.path().join(DB_FILE_NAME);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("{DB_FILE_NAME}{suffix}")));
    }
    let bytes = digest(&db);
    let older = start(dir.path(), &secrets).await;
    let e = older.history().search(query("40442820135")).await.expect_err("a downgrade must be refused");
    assert_eq!(e.code, ErrorCode::HistoryLocked);
    assert!(e.message.contains("versão mais nova do Balcão"), "{}", e.message);
    assert!(e.message.contains("não foi alterado"), "{}", e.message);
    let e = older.lookup().lookup(request("404.428.201-35")).await.expect_err("no lookup without an audit trail");
    assert_eq!(e.code, ErrorCode::HistoryLocked);
    drop(older);
    assert_eq!(digest(&db), bytes, "the newer file is untouched");
}
