//! What the app is doing right now (lookups, batches): an update is never installed while any of it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Work in progress, counted by guards.
#[derive(Debug, Default)]
pub struct Activity {
    running: Arc<AtomicUsize>,
}

impl Activity {
    /// Marks work as running until the guard is dropped (also on error or panic).
    pub fn begin(&self) -> BusyGuard<'_> {
        self.running.fetch_add(1, Ordering::SeqCst);
        BusyGuard(self)
    }

    /// A guard that can travel with background work (a batch's task or its progress callback) and ends it when
    /// dropped.
    pub fn begin_owned(&self) -> OwnedBusyGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        OwnedBusyGuard(self.running.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }
}

/// Ends one piece of work when dropped.
#[derive(Debug)]
pub struct BusyGuard<'a>(&'a Activity);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Ends one piece of background work when dropped.
#[derive(Debug)]
pub struct OwnedBusyGuard(Arc<AtomicUsize>);

impl Drop for OwnedBusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_running_work_even_when_it_fails() {
        let a = Activity::default();
        assert!(!a.is_busy());
        let g1 = a.begin();
        let g2 = a.begin();
        drop(g1);
        assert!(a.is_busy());
        drop(g2);
        assert!(!a.is_busy());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = a.begin();
            panic!("a failing lookup");
        }));
        assert!(r.is_err());
        assert!(!a.is_busy());
        let owned = a.begin_owned();
        let task = std::thread::spawn(move || drop(owned));
        task.join().unwrap();
        assert!(!a.is_busy(), "an owned guard ends the work wherever it is dropped");
    }
}
