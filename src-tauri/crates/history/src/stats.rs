//! Counters for the UI: lookups and billable calls per local day (the activity chart) and quota usage per
//! profile and API (today, this month, all time).

use std::collections::BTreeMap;

use balcao_core::AppError;
use balcao_core::history_api::{ApiCount, DailyStat, QuotaUsage};
use balcao_core::record::ApiKind;
use rusqlite::params;
use time::{Duration, OffsetDateTime};

use crate::codec::enum_from;
use crate::text::{day_of, day_start, day_string};
use crate::{History, error};

impl History {
    /// The last `days` local days (oldest first, today last), zeros included. `profile_id` narrows to one profile.
    pub fn daily_stats(&self, days: u32, profile_id: Option<&str>) -> Result<Vec<DailyStat>, AppError> {
        self.daily_stats_at(days, profile_id, OffsetDateTime::now_utc())
    }

    /// [`History::daily_stats`] as of `now`.
    pub fn daily_stats_at(
        &self,
        days: u32,
        profile_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Vec<DailyStat>, AppError> {
        let days = days.clamp(1, 3660);
        let today = now.to_offset(self.offset).date();
        let first = today.checked_sub(Duration::days(i64::from(days) - 1)).unwrap_or(today);
        let mut out: BTreeMap<String, DailyStat> = BTreeMap::new();
        let mut d = first;
        while d <= today {
            let day = day_string(d);
            out.insert(day.clone(), DailyStat { day, lookups: 0, billable: 0, by_api: Vec::new() });
            match d.next_day() {
                Some(n) => d = n,
                None => break,
            }
        }
        let err = |e| error::db(e, "ler as estatísticas");
        // SQLite's date() takes "+MM minutes" modifiers: shift each UTC instant to the local day.
        let shift = format!("{:+} minutes", self.offset.whole_minutes());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT date(at, ?1) AS d, count(*) FROM audit
                 WHERE event = 'lookup' AND at >= ?2 AND (?3 IS NULL OR profile_id = ?3) GROUP BY d",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![shift, day_start(first, self.offset), profile_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (day, n) = row.map_err(err)?;
            if let Some(s) = out.get_mut(&day) {
                s.lookups = n;
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT day, api, sum(count) FROM quota WHERE day >= ?1 AND (?2 IS NULL OR profile_id = ?2)
                 GROUP BY day, api ORDER BY day, api",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![day_string(first), profile_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?))
            })
            .map_err(err)?;
        for row in rows {
            let (day, api, n) = row.map_err(err)?;
            if let (Some(s), Some(api)) = (out.get_mut(&day), enum_from::<ApiKind>(&api)) {
                s.billable += n;
                s.by_api.push(ApiCount { api, count: n });
            }
        }
        Ok(out.into_values().collect())
    }

    /// Billable calls used by `profile_id`, one line per API it has used.
    pub fn quota_usage(&self, profile_id: &str) -> Result<Vec<QuotaUsage>, AppError> {
        self.quota_usage_at(profile_id, OffsetDateTime::now_utc())
    }

    /// [`History::quota_usage`] as of `now`.
    pub fn quota_usage_at(&self, profile_id: &str, now: OffsetDateTime) -> Result<Vec<QuotaUsage>, AppError> {
        let today = day_of(now, self.offset);
        let month = format!("{}%", &today[..8]);
        let err = |e| error::db(e, "ler o consumo da cota");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT api,
                        sum(CASE WHEN day = ?2 THEN count ELSE 0 END),
                        sum(CASE WHEN day LIKE ?3 THEN count ELSE 0 END),
                        sum(count)
                 FROM quota WHERE profile_id = ?1 GROUP BY api ORDER BY api",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![profile_id, today, month], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (api, used_today, used_this_month, used_total) = row.map_err(err)?;
            if let Some(api) = enum_from(&api) {
                let (used_today, used_this_month, used_total) =
                    (used_today.max(0) as u64, used_this_month.max(0) as u64, used_total.max(0) as u64);
                out.push(QuotaUsage {
                    profile_id: profile_id.to_owned(),
                    api,
                    used_today,
                    used_this_month,
                    used_total,
                });
            }
        }
        Ok(out)
    }

    /// Billable calls used by `profile_id` on `api` (zeros when none).
    pub fn quota_for(&self, profile_id: &str, api: ApiKind) -> Result<QuotaUsage, AppError> {
        Ok(self.quota_usage(profile_id)?.into_iter().find(|q| q.api == api).unwrap_or(QuotaUsage {
            profile_id: profile_id.to_owned(),
            api,
            used_today: 0,
            used_this_month: 0,
            used_total: 0,
        }))
    }
}
