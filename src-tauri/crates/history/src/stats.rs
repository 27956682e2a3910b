//! Counters for the UI: lookups and billable calls per local day (the activity chart) and quota usage per
//! profile and API (today, this month, all time).

use std::collections::BTreeMap;

use balcao_core::AppError;
use balcao_core::history_api::{ApiCount, DailyStat, QuotaUsage};
use balcao_core::record::ApiKind;
use rusqlite::params;
use time::{Duration, OffsetDateTime};

use crate::codec::enum_from;
use crate::text::{day_of, day_start, day_string, local_date};
use crate::{History, error};

impl History {
    /// The last `days` local days (oldest first, today last), zeros included. `profile_id` narrows to one profile.
    pub fn daily_stats(&self, days: u32, profile_id: Option<&str>) -> Result<Vec<DailyStat>, AppError> {
        self.daily_stats_at(days, profile_id, OffsetDateTime::now_utc())
    }

    /// [`History::daily_stats`] as of `now`. Days are the clerk's (the machine's zone, each day with its own
    /// offset); billable calls are counted from the audit trail on those same days, one per HTTP call.
    pub fn daily_stats_at(
        &self,
        days: u32,
        profile_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Vec<DailyStat>, AppError> {
        let zone = self.zones.local();
        let days = days.clamp(1, 3660);
        let today = local_date(now, zone);
        let first = today.checked_sub(Duration::days(i64::from(days) - 1)).unwrap_or(today);
        let mut out: BTreeMap<String, DailyStat> = BTreeMap::new();
        // [day, start, end) of every local day, as one JSON parameter: SQLite joins the audit lines to them.
        let mut bounds = Vec::new();
        let mut d = first;
        while d <= today {
            let day = day_string(d);
            let next = d.next_day();
            let end = next.map(|n| day_start(n, zone)).unwrap_or_else(|| "9999".to_owned());
            bounds.push(serde_json::json!([day, day_start(d, zone), end]));
            out.insert(day.clone(), DailyStat { day, lookups: 0, billable: 0, by_api: Vec::new() });
            match next {
                Some(n) => d = n,
                None => break,
            }
        }
        let bounds = serde_json::Value::Array(bounds).to_string();
        let err = |e| error::db(e, "ler as estatísticas");
        // One HTTP call may answer several numbers (CPF Light): recorded together, its lookups share the request id
        // and the instant, and count once, as the quota counts them; a billable line without a request id counts alone.
        let mut stmt = self
            .conn
            .prepare_cached(
                "WITH days AS (SELECT json_extract(value, '$[0]') AS day, json_extract(value, '$[1]') AS s,
                                      json_extract(value, '$[2]') AS e FROM json_each(?1))
                 SELECT days.day, a.api, count(*),
                        count(DISTINCT CASE WHEN a.billable AND a.activity_id IS NOT NULL THEN a.activity_id || '|' || a.at END)
                          + sum(CASE WHEN a.billable AND a.activity_id IS NULL THEN 1 ELSE 0 END)
                 FROM days JOIN audit a ON a.at >= days.s AND a.at < days.e
                 WHERE a.event = 'lookup' AND (?2 IS NULL OR a.profile_id = ?2)
                 GROUP BY days.day, a.api ORDER BY days.day, a.api",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![bounds, profile_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, u32>(2)?, r.get::<_, u32>(3)?))
            })
            .map_err(err)?;
        for row in rows {
            let (day, api, lookups, billable) = row.map_err(err)?;
            if let Some(s) = out.get_mut(&day) {
                s.lookups += lookups;
                if let (Some(api), true) = (api.as_deref().and_then(enum_from::<ApiKind>), billable > 0) {
                    s.billable += billable;
                    s.by_api.push(ApiCount { api, count: billable });
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Billable calls used by `profile_id`, one line per API it has used.
    pub fn quota_usage(&self, profile_id: &str) -> Result<Vec<QuotaUsage>, AppError> {
        self.quota_usage_at(profile_id, OffsetDateTime::now_utc())
    }

    /// [`History::quota_usage`] as of `now`: today and this month are the gateway's (the quota zone's).
    pub fn quota_usage_at(&self, profile_id: &str, now: OffsetDateTime) -> Result<Vec<QuotaUsage>, AppError> {
        let today = day_of(now, self.quota_zone_of(profile_id));
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
