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
