//! The file is encrypted (no plaintext in the db, -wal or -shm), the key lives in the secret store, and a
//! wrong or missing key is refused with `HistoryLocked`, leaving the file byte-for-byte unchanged.

mod common;

use balcao_core::history_api::HistoryQuery;
use balcao_core::{ErrorCode, Sensitive};
use balcao_history::{History, KEY_NAME};
use balcao_platform::{MemoryStore, SecretStore};
use common::*;

const NAME: &str = "Zuleica Aparecida Quintanilha";

#[test]
fn no_plaintext_in_the_database_the_wal_or_the_shm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut h = open(&path);
    let mut c = ctx();
    c.purpose = Some("Processo SEI 00042.000777/2026".into());
    for _ in 0..50 {
        h.record(&c, &found_cpf("630.172.859-95", NAME), &doc("63017285995")).unwrap();
    }
    h.record(&c, &found(cnpj_record("12ABC34501DE35", "Quintanilha Comércio")), &doc("12ABC34501DE35")).unwrap();
    // Scan while the connection is open (the WAL holds the recent pages) and after it closed (checkpointed).
    let needles = [
        NAME,
        "Zuleica",
        "zuleica aparecida",
        "QUINTANILHA",
        "Quintanilha",
        "63017285995",
        "630.172.859-95",
        "12ABC34501DE35",
        "11144477735",
        "SEI 00042",
        "SQLite format 3",
        "serproCpfV1",
        "lookups",
    ];
    let wal = path.with_file_name("history.db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len() > 0).unwrap_or(false), "the WAL is in use while open");
    assert_eq!(plaintext_hits(&path, &needles), Vec::<(String, String)>::new());
    drop(h);
    assert_eq!(plaintext_hits(&path, &needles), Vec::<(String, String)>::new());
    // And it is really there, for the right key.
    let h = open(&path);
    let page = h.search(&HistoryQuery { text: Some("zuleica".into()), ..Default::default() }).unwrap();
    assert_eq!(page.items.len(), 50);
}

#[test]
fn a_wrong_key_is_refused_and_the_file_is_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let mut h = open(&path);
        h.record(&ctx(), &found_cpf("40442820135", NAME), &doc("40442820135")).unwrap();
    }
    let before = fingerprint(&path);
    let err = History::open_with_key(&path, &Sensitive::new(OTHER_KEY.to_owned())).unwrap_err();
    assert_eq!(err.code, ErrorCode::HistoryLocked);
    assert!(err.message.contains("chave"), "{}", err.message);
    assert!(err.message.contains("não foi alterado"), "{}", err.message);
    assert_eq!(fingerprint(&path), before, "db, -wal and -shm untouched");
    // The right key still opens it, with the data intact.
    let h = open(&path);
    assert_eq!(h.count().unwrap(), 1);
}

#[test]
fn first_open_generates_and_stores_the_key_and_later_opens_reuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let id = {
        let mut h = History::open(dir.path(), &store).unwrap();
        h.record(&ctx(), &found_cpf("40442820135", NAME), &doc("40442820135")).unwrap().unwrap()
    };
    let key = store.get(KEY_NAME).unwrap().expect("key stored on first run");
    assert_eq!(key.expose().len(), 64);
    let h = History::open(dir.path(), &store).unwrap();
    assert!(h.get(id).unwrap().is_some());
    drop(h);
    // The stored key is the file's key.
    History::open_with_key(&History::path_in(dir.path()), &key).unwrap();
}

#[test]
fn a_missing_or_replaced_key_is_refused_and_the_file_is_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    {
        let mut h = History::open(dir.path(), &store).unwrap();
        h.record(&ctx(), &found_cpf("40442820135", NAME), &doc("40442820135")).unwrap();
    }
    let path = History::path_in(dir.path());
    let before = fingerprint(&path);

    let empty = MemoryStore::new();
    let err = History::open(dir.path(), &empty).unwrap_err();
    assert_eq!(err.code, ErrorCode::HistoryLocked);
    assert!(err.message.contains("cofre de senhas"), "{}", err.message);
    assert_eq!(empty.get(KEY_NAME).unwrap(), None, "no new key is made for an existing file");
    assert_eq!(fingerprint(&path), before);

    let replaced = MemoryStore::new();
    replaced.set(KEY_NAME, &Sensitive::new(OTHER_KEY.to_owned())).unwrap();
    let err = History::open(dir.path(), &replaced).unwrap_err();
    assert_eq!(err.code, ErrorCode::HistoryLocked);
    assert_eq!(fingerprint(&path), before);

    let garbage = MemoryStore::new();
    garbage.set(KEY_NAME, &Sensitive::new("not-a-key".to_owned())).unwrap();
    assert_eq!(History::open(dir.path(), &garbage).unwrap_err().code, ErrorCode::HistoryLocked);
    assert_eq!(fingerprint(&path), before);
}

#[test]
fn an_unavailable_keyring_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let err = History::open(dir.path(), &MemoryStore::unavailable()).unwrap_err();
    assert_eq!(err.code, ErrorCode::KeychainUnavailable);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "no file without a key");
}

#[test]
fn a_plain_sqlite_file_is_not_opened_as_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES ('plain');").unwrap();
    }
    let before = fingerprint(&path);
    let err = History::open_with_key(&path, &key()).unwrap_err();
    assert_eq!(err.code, ErrorCode::HistoryLocked);
    assert_eq!(fingerprint(&path), before);
}
