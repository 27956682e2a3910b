//! Several threads opening their first encrypted history at the same moment, in a fresh process: SQLCipher
//! finishes its own set-up just after SQLite marks itself initialised, and a keyed open in that window failed
//! with "An error occurred with PRAGMA key" (seen in CI's parallel tests). This file runs in its own process so
//! that nothing else has initialised SQLite before the threads start.

mod common;

use std::sync::{Arc, Barrier};

#[test]
fn threads_opening_their_first_history_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let threads = 16;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let path = dir.path().join(format!("history-{i}.db"));
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                balcao_history::History::open_with_key(&path, &common::key()).map(drop)
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        h.join().unwrap().unwrap_or_else(|e| panic!("thread {i}: {e:?}"));
    }
}

/// The app and a `balcao-cli` command started at once on a new PC: both find no key. Only one key may be made, and
/// every program opens the file with it (before, the second could overwrite the key the first had just used to
/// create the file, leaving a history nobody could open).
#[test]
fn programs_opening_a_new_history_at_once_agree_on_one_key() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(balcao_platform::MemoryStore::new());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (dir, store, barrier) = (dir.path().to_owned(), store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    balcao_history::History::open(&dir, store.as_ref()).map(|_| ())
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap().expect("every program opens the new history");
        }
        balcao_history::History::open(dir.path(), store.as_ref()).expect("and it opens again afterwards");
    }
}
