//! The lower and upper bound of every numeric setting (network knobs, retention, idle lock, history reuse) and
//! the pt-BR checks that refuse a value outside them, wherever the value enters (Configurações, a profiles file).
//!
//! Why bounds: these numbers come from a file IT provisions, from the settings form and from the command line.
//! Unbounded, `max_retries = 4294967295` retries for ever, `rate_limit_rps = 1e-300` waits 10^300 seconds and a
//! retention of 5 000 000 days points before year −9999. The bounds are wide enough for any real agency and
//! narrow enough that every duration and date built from them is representable. Documented in docs/profiles.md.

use std::ops::RangeInclusive;

use crate::api::Settings;
use crate::history_api::RetentionPolicy;
use crate::profile::NetworkSettings;

/// `connectTimeoutMs`: 100 ms (a loopback simulator) to 2 minutes.
pub const CONNECT_TIMEOUT_MS: RangeInclusive<u32> = 100..=120_000;
/// `totalTimeoutMs`: 100 ms to 10 minutes; also the bound of a whole call, retries included.
pub const TOTAL_TIMEOUT_MS: RangeInclusive<u32> = 100..=600_000;
/// `maxRetries`: none to 10 extra attempts.
pub const MAX_RETRIES: RangeInclusive<u32> = 0..=10;
/// `retryBaseMs`: 1 ms to 1 minute.
pub const RETRY_BASE_MS: RangeInclusive<u32> = 1..=60_000;
/// `retryMaxDelayMs`: 1 ms to 5 minutes.
pub const RETRY_MAX_DELAY_MS: RangeInclusive<u32> = 1..=300_000;
/// `maxConcurrency`: 1 to 64 lookups in flight.
pub const MAX_CONCURRENCY: RangeInclusive<u32> = 1..=64;
/// `rateLimitRps`: one call every 100 s to 1000 calls per second.
pub const RATE_LIMIT_RPS: RangeInclusive<f64> = 0.01..=1000.0;
/// `quotaLimit`: 1 to 10^12 calls.
pub const QUOTA_LIMIT: RangeInclusive<u64> = 1..=1_000_000_000_000;
/// Retention `maxAgeDays`, "purge older than", history reuse: 1 day to 100 years.
pub const DAYS: RangeInclusive<u32> = 1..=36_500;
/// Retention `maxEntries`: 1 to 100 million entries.
pub const MAX_ENTRIES: RangeInclusive<u32> = 1..=100_000_000;
/// `idleLockMinutes`: 1 minute to 24 hours.
pub const IDLE_LOCK_MINUTES: RangeInclusive<u32> = 1..=1_440;

/// "`field` deve estar entre a e b (recebido v)."
fn out_of_range<T: std::fmt::Display>(field: &str, range: &RangeInclusive<T>, got: impl std::fmt::Display) -> String {
    format!("{field} deve estar entre {} e {} (recebido {got}).", range.start(), range.end())
}

fn check_u32(field: &str, range: &RangeInclusive<u32>, v: u32) -> Result<(), String> {
    if range.contains(&v) { Ok(()) } else { Err(out_of_range(field, range, v)) }
}

/// Checks every network knob of a profile; the error names the field (camelCase, as in the form and the file).
pub fn check_network(n: &NetworkSettings) -> Result<(), String> {
    check_u32("connectTimeoutMs", &CONNECT_TIMEOUT_MS, n.connect_timeout_ms)?;
    check_u32("totalTimeoutMs", &TOTAL_TIMEOUT_MS, n.total_timeout_ms)?;
    check_u32("maxRetries", &MAX_RETRIES, n.max_retries)?;
    check_u32("retryBaseMs", &RETRY_BASE_MS, n.retry_base_ms)?;
    check_u32("retryMaxDelayMs", &RETRY_MAX_DELAY_MS, n.retry_max_delay_ms)?;
    check_u32("maxConcurrency", &MAX_CONCURRENCY, n.max_concurrency)?;
    if let Some(rps) = n.rate_limit_rps
        && !RATE_LIMIT_RPS.contains(&rps)
    {
        // NaN and ±inf are not contained in the range either.
        return Err(out_of_range("rateLimitRps", &RATE_LIMIT_RPS, rps));
    }
    Ok(())
}

/// Checks a profile's `quotaLimit`.
pub fn check_quota_limit(limit: Option<u64>) -> Result<(), String> {
    match limit {
        Some(v) if !QUOTA_LIMIT.contains(&v) => Err(out_of_range("quotaLimit", &QUOTA_LIMIT, v)),
        _ => Ok(()),
    }
}

/// Checks a retention policy ("Guardar consultas por N dias", "no máximo N consultas").
pub fn check_retention(p: &RetentionPolicy) -> Result<(), String> {
    if let Some(days) = p.max_age_days {
        check_u32("Dias de retenção (maxAgeDays)", &DAYS, days)?;
    }
    if let Some(n) = p.max_entries {
        check_u32("Máximo de consultas guardadas (maxEntries)", &MAX_ENTRIES, n)?;
    }
    Ok(())
}

/// Checks the numeric settings of Configurações (retention and idle lock).
pub fn check_settings(s: &Settings) -> Result<(), String> {
    check_retention(&s.retention)?;
    if let Some(m) = s.idle_lock_minutes {
        check_u32("Bloqueio por inatividade (idleLockMinutes)", &IDLE_LOCK_MINUTES, m)?;
    }
    Ok(())
}

/// Checks the "reuse results newer than N days" of a batch.
pub fn check_reuse_days(days: Option<u32>) -> Result<(), String> {
    match days {
        Some(d) => check_u32("Reaproveitar consultas de até N dias (reuseMaxAgeDays)", &DAYS, d),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_within_bounds() {
        check_network(&NetworkSettings::default()).unwrap();
        check_settings(&Settings::default()).unwrap();
        check_retention(&RetentionPolicy::default()).unwrap();
    }

    #[test]
    fn each_network_knob_is_refused_outside_its_bounds_by_name() {
        type Set = fn(&mut NetworkSettings, u32);
        let knobs: [(&str, Set); 6] = [
            ("connectTimeoutMs", |n, v| n.connect_timeout_ms = v),
            ("totalTimeoutMs", |n, v| n.total_timeout_ms = v),
            ("maxRetries", |n, v| n.max_retries = v),
            ("retryBaseMs", |n, v| n.retry_base_ms = v),
            ("retryMaxDelayMs", |n, v| n.retry_max_delay_ms = v),
            ("maxConcurrency", |n, v| n.max_concurrency = v),
        ];
        for (name, set) in knobs {
            let mut n = NetworkSettings::default();
            set(&mut n, u32::MAX);
            let e = check_network(&n).unwrap_err();
            assert!(e.contains(name) && e.contains("entre"), "{e}");
        }
        for rps in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0, 1e-300, 1e300] {
            let n = NetworkSettings { rate_limit_rps: Some(rps), ..Default::default() };
            assert!(check_network(&n).unwrap_err().contains("rateLimitRps"), "{rps}");
        }
        let n = NetworkSettings { rate_limit_rps: Some(0.01), ..Default::default() };
        check_network(&n).unwrap();
    }

    #[test]
    fn settings_days_and_minutes_are_bounded() {
        let mut s = Settings::default();
        s.retention.max_age_days = Some(9_999_999);
        assert!(check_settings(&s).unwrap_err().contains("maxAgeDays"));
        let s = Settings { idle_lock_minutes: Some(0), ..Default::default() };
        assert!(check_settings(&s).unwrap_err().contains("idleLockMinutes"));
        assert!(check_reuse_days(Some(99_999_999)).unwrap_err().contains("reuseMaxAgeDays"));
        check_reuse_days(Some(36_500)).unwrap();
        assert!(check_quota_limit(Some(0)).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn extreme_u32() -> impl Strategy<Value = u32> {
            prop_oneof![Just(0u32), Just(1), Just(u32::MAX), any::<u32>()]
        }

        fn extreme_f64() -> impl Strategy<Value = f64> {
            prop_oneof![
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(0.0),
                Just(-0.0),
                Just(1e-300),
                Just(1e300),
                Just(f64::MIN_POSITIVE),
                any::<f64>()
            ]
        }

        proptest! {
            /// Whatever the numbers, the check answers (never panics), accepts exactly the values inside every
            /// bound, and a refusal names a field.
            #[test]
            fn network_checks_accept_exactly_the_bounded_values(
                v in proptest::collection::vec(extreme_u32(), 6),
                rps in proptest::option::of(extreme_f64()),
            ) {
                let n = NetworkSettings {
                    connect_timeout_ms: v[0],
                    total_timeout_ms: v[1],
                    max_retries: v[2],
                    retry_base_ms: v[3],
                    retry_max_delay_ms: v[4],
                    max_concurrency: v[5],
                    rate_limit_rps: rps,
                };
                let inside = CONNECT_TIMEOUT_MS.contains(&v[0])
                    && TOTAL_TIMEOUT_MS.contains(&v[1])
                    && MAX_RETRIES.contains(&v[2])
                    && RETRY_BASE_MS.contains(&v[3])
                    && RETRY_MAX_DELAY_MS.contains(&v[4])
                    && MAX_CONCURRENCY.contains(&v[5])
                    && rps.is_none_or(|r| r.is_finite() && RATE_LIMIT_RPS.contains(&r));
                match check_network(&n) {
                    Ok(()) => prop_assert!(inside),
                    Err(e) => prop_assert!(!inside && e.contains("deve estar entre"), "{}", e),
                }
            }

            #[test]
            fn settings_checks_accept_exactly_the_bounded_values(
                days in proptest::option::of(extreme_u32()),
                entries in proptest::option::of(extreme_u32()),
                idle in proptest::option::of(extreme_u32()),
            ) {
                let s = Settings {
                    retention: RetentionPolicy { max_age_days: days, max_entries: entries },
                    idle_lock_minutes: idle,
                    ..Default::default()
                };
                let inside = days.is_none_or(|d| DAYS.contains(&d))
                    && entries.is_none_or(|n| MAX_ENTRIES.contains(&n))
                    && idle.is_none_or(|m| IDLE_LOCK_MINUTES.contains(&m));
                prop_assert_eq!(check_settings(&s).is_ok(), inside);
                prop_assert_eq!(check_reuse_days(days).is_ok(), days.is_none_or(|d| DAYS.contains(&d)));
            }
        }
    }
}
