//! The history across an update, at the level the app opens it (the service's start-up): a newer build opens the
//! file and finds the lookups; going back to an older build (a downgrade) is refused by the forward-compatibility
//! guard with a pt-BR message, and the file is left byte for byte untouched.

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

#[tokio::test]
async fn the_history_survives_an_update_and_a_downgrade_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());

    // The installed version records a lookup.
    let before = start(dir.path(), &secrets).await;
    let r = before.lookup(request("404.428.201-35")).await.expect("trial CPF");
    let id = r.history_id.expect("recorded");
    drop(before);

    // The updated app (same data folder, same keyring) finds it and keeps recording.
    let after = start(dir.path(), &secrets).await;
    let page = after.history_search(query("40442820135")).await.expect("history opens after the update");
    assert_eq!(page.items.first().map(|i| i.id), Some(id));
    after.lookup(request("11.222.333/0001-81")).await.ok();
    drop(after);

    // A newer Balcão migrated the file; this (older) build must refuse it and not write a byte.
    stamp_newer_schema(dir.path(), &secrets);
    let db = dir.path().join(DB_FILE_NAME);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("{DB_FILE_NAME}{suffix}")));
    }
    let bytes = digest(&db);
    let older = start(dir.path(), &secrets).await;
    let e = older.history_search(query("40442820135")).await.expect_err("a downgrade must be refused");
    assert_eq!(e.code, ErrorCode::HistoryLocked);
    assert!(e.message.contains("versão mais nova do Balcão"), "{}", e.message);
    assert!(e.message.contains("não foi alterado"), "{}", e.message);
    let e = older.lookup(request("404.428.201-35")).await.expect_err("no lookup without an audit trail");
    assert_eq!(e.code, ErrorCode::HistoryLocked);
    drop(older);
    assert_eq!(digest(&db), bytes, "the newer file is untouched");
}
