//! History reuse: a number found in the history of the same environment, recently enough, is answered from there
//! instead of being looked up again (no call, nothing billed). Only found records are reused; a "not found" is
//! always asked again.

use balcao_core::AppError;
use balcao_core::api::Environment;
use balcao_core::history_api::HistoryEntry;
use balcao_history::History;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::batch::Batch;
use crate::verdict::Verdict;

/// Whether `entry` may stand in for a call made in `environment` at `now`, reusing nothing older than `days`.
fn reusable(entry: &HistoryEntry, environment: Environment, days: u32, now: OffsetDateTime) -> bool {
    let oldest = oldest_reusable(now, days);
    entry.summary.environment == environment
        && OffsetDateTime::parse(&entry.summary.at, &Rfc3339).is_ok_and(|at| at >= oldest && at <= now)
}

/// The oldest instant a reused answer may have. `days` comes from the UI or `--reuse-days`: clamped to the
/// documented bound (100 years), and a date that cannot be represented means "no limit", so it never panics.
fn oldest_reusable(now: OffsetDateTime, days: u32) -> OffsetDateTime {
    let days = days.min(*balcao_core::bounds::DAYS.end());
    now.checked_sub(Duration::days(i64::from(days))).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Batch {
    /// Answers from `history` the numbers without an answer, when `reuseMaxAgeDays` is set. Blocking (one indexed
    /// read per number): call it off the async threads, before [`Batch::start_journal`] (which saves what it found).
    /// Returns how many numbers were answered.
    pub fn reuse_history(
        &mut self,
        history: &History,
        environment: Environment,
        now: OffsetDateTime,
    ) -> Result<u32, AppError> {
        let Some(days) = self.options.reuse_max_age_days else {
            return Ok(0);
        };
        if self.journal.is_some() {
            return Err(AppError::new(
                balcao_core::ErrorCode::Internal,
                "O histórico só pode ser reaproveitado antes de o lote começar.",
            ));
        }
        let mut found = Vec::new();
        for (i, doc) in self.plan.numbers.iter().enumerate() {
            if self.verdicts[i].is_some() {
                continue;
            }
            let Some(entry) = history.latest_for(doc)? else { continue };
            if !reusable(&entry, environment, days, now) {
                continue;
            }
            if let Some(v) = Verdict::of_history(&entry, history.local_datetime(&entry.summary.at)) {
                found.push((i, v));
            }
        }
        let n = u32::try_from(found.len()).unwrap_or(u32::MAX);
        for (i, v) in found {
            self.verdicts[i] = Some(v);
        }
        self.reused += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_reuse_age_gives_an_oldest_instant_without_panicking() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(oldest_reusable(now, 30), now - Duration::days(30));
        for days in [0, 1, 36_500, 99_999_999, u32::MAX] {
            let oldest = oldest_reusable(now, days);
            assert!(oldest <= now && oldest >= now - Duration::days(36_500), "{days}: {oldest}");
        }
    }
}
