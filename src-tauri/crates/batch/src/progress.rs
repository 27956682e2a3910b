//! Progress: row counts from the answers (each distinct number weighs as many rows as hold it), the recent rate
//! and the time left.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use balcao_core::batch_api::{BatchProgress, BatchState};
use balcao_core::history_api::Outcome;

use crate::batch::Batch;

/// Cancels a running batch: the calls in flight finish and are recorded, no new call starts. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How long the rate is averaged over.
const WINDOW: Duration = Duration::from_secs(15);

/// Numbers answered per second over the last seconds.
#[derive(Debug)]
pub(crate) struct Meter {
    started: Instant,
    samples: VecDeque<(Instant, u32)>,
}

impl Meter {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Self { started: now, samples: VecDeque::from([(now, 0)]) }
    }

    pub(crate) fn record(&mut self, done: u32) {
        let now = Instant::now();
        self.samples.push_back((now, done));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now - *t > WINDOW) {
            self.samples.pop_front();
        }
    }

    pub(crate) fn per_second(&self) -> f64 {
        let (Some((t0, d0)), Some((t1, d1))) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let span = (*t1 - *t0).as_secs_f64();
        if span < 0.2 { 0.0 } else { f64::from(d1.saturating_sub(*d0)) / span }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The counters a run adds to the row counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunCounts {
    pub numbers_total: u32,
    pub numbers_done: u32,
    pub calls: u32,
    pub billable_calls: u32,
}

impl Batch {
    /// The progress as of the answers held, in `state`, with a run's counters.
    pub(crate) fn snapshot(&self, state: BatchState, run: RunCounts, meter: Option<&Meter>) -> BatchProgress {
        let (mut found, mut not_found, mut errors, mut reused, mut pending) = (0u32, 0u32, 0u32, 0u32, 0u32);
        for (v, &m) in self.verdicts.iter().zip(&self.plan.multiplicity) {
            match v {
                None => pending += m,
                Some(v) => {
                    match v.outcome {
                        Outcome::Found | Outcome::Partial => found += m,
                        Outcome::NotFound => not_found += m,
                        Outcome::Failed => errors += m,
                    }
                    if v.reused_from.is_some() {
                        reused += m;
                    }
                }
            }
        }
        let c = &self.plan.counts;
        let per_second = meter.map_or(0.0, Meter::per_second);
        let left = run.numbers_total.saturating_sub(run.numbers_done);
        let seconds_left = (state == BatchState::Running && per_second > 0.0)
            .then(|| (f64::from(left) / per_second).ceil().min(f64::from(u32::MAX)) as u32);
        BatchProgress {
            state,
            rows: c.rows,
            done_rows: c.rows - pending,
            found,
            not_found,
            invalid: c.invalid,
            empty: c.empty,
            errors,
            reused,
            numbers_total: run.numbers_total,
            numbers_done: run.numbers_done,
            calls: run.calls,
            billable_calls: run.billable_calls,
            per_second,
            seconds_left,
            elapsed_seconds: meter.map_or(0, |m| u32::try_from(m.elapsed().as_secs()).unwrap_or(u32::MAX)),
            stop: if state == BatchState::Stopped { self.stop.clone() } else { None },
            resume_hint: state.is_resumable().then(|| self.resume_hint.clone()),
        }
    }

    /// Where the batch stands now: the last run's progress, or the counts before any run.
    pub fn progress(&self) -> BatchProgress {
        match &self.last {
            Some(p) => BatchProgress { state: self.state, ..p.clone() },
            None => self.snapshot(self.state, RunCounts::default(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_is_shared_between_clones() {
        let c = Cancel::new();
        let d = c.clone();
        assert!(!d.is_cancelled());
        c.cancel();
        assert!(d.is_cancelled());
    }

    #[test]
    fn a_fresh_meter_reports_no_rate() {
        let mut m = Meter::new();
        assert_eq!(m.per_second(), 0.0);
        m.record(10);
        assert_eq!(m.per_second(), 0.0, "too short a span to tell");
    }
}
