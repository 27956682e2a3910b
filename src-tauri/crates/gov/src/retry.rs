//! When a failed call is retried, and after how long: bounded exponential backoff with jitter, `Retry-After`.
//!
//! GETs (Consulta CPF, Consulta CNPJ) and the token request are retried on network errors before an answer
//! (connection refused/reset, DNS, connect timeout, a body cut short), 502/503/504 and 429. CPF Light is a POST
//! billed per call, so it is retried only when the request certainly never reached the API: a failure to connect
//! or a 429 (the gateway refused it before processing). A total timeout is never retried: the call may have been
//! billed, and the clerk already waited the whole timeout. Nothing else is retried (400, 401 after the one token
//! refresh, 403, 404, 422, 500 and TLS errors are deterministic or billed).

use std::time::Duration;

use balcao_core::bounds;
use balcao_core::profile::NetworkSettings;
#[cfg(feature = "http")]
use rand::Rng;
#[cfg(feature = "http")]
use reqwest::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// The longest `Retry-After` taken literally (one day); a longer one (`1e20`, a date in year 9999) is read as
/// this, which is far beyond any `retry_max_delay_ms` and so ends the call with `RateLimited`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Whether repeating the request can charge or change anything twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// A GET, or the token request.
    Idempotent,
    /// CPF Light's POST: a read, but billed per call.
    BilledPost,
}

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure {
    /// The connection could not be opened (includes the connect timeout): the request was never sent.
    Connect,
    /// The connection broke after the request was (maybe) sent.
    Transfer,
    /// The whole-call timeout elapsed.
    TotalTimeout,
    /// The TLS handshake was refused.
    Tls,
    /// An HTTP answer with this status.
    Status(u16),
}

impl AttemptFailure {
    pub fn retryable(self, kind: Idempotency) -> bool {
        matches!(
            (self, kind),
            (AttemptFailure::Connect | AttemptFailure::Status(429), _)
                | (AttemptFailure::Transfer | AttemptFailure::Status(502..=504), Idempotency::Idempotent)
        )
    }
}

/// The retry knobs of a profile, each clamped to its documented bound (`balcao_core::bounds`) so that even an
/// unvalidated profile cannot retry for ever or wait for years.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    base: Duration,
    max_delay: Duration,
}

fn clamp(v: u32, range: &std::ops::RangeInclusive<u32>) -> u32 {
    v.clamp(*range.start(), *range.end())
}

impl RetryPolicy {
    pub fn new(n: &NetworkSettings) -> Self {
        Self {
            max_retries: clamp(n.max_retries, &bounds::MAX_RETRIES),
            base: Duration::from_millis(clamp(n.retry_base_ms, &bounds::RETRY_BASE_MS).into()),
            max_delay: Duration::from_millis(clamp(n.retry_max_delay_ms, &bounds::RETRY_MAX_DELAY_MS).into()),
        }
    }

    /// The wait before retry number `retry` (0 for the first retry): `base·2^retry` capped at `max_delay`,
    /// with jitter drawn uniformly from its upper half.
    #[cfg(feature = "http")]
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        self.backoff_with(retry, rand::rng().random())
    }

    /// [`RetryPolicy::backoff`] with the jitter given (any `u64`; the wait is `ms/2 + jitter mod (ms/2 + 1)`).
    pub fn backoff_with(&self, retry: u32, jitter: u64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << retry.min(16)).min(self.max_delay);
        let ms = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        if ms < 2 {
            return exp;
        }
        let low = ms / 2;
        let span = ms - low;
        Duration::from_millis(low.saturating_add(jitter % span.saturating_add(1)))
    }

    /// The wait before retrying a 429/503 that carried `Retry-After`: `Ok(wait)` when it is within `max_delay`,
    /// `Err(asked)` when the gateway asks for longer (the call then ends with `RateLimited`).
    pub fn honour_retry_after(&self, asked: Duration) -> Result<Duration, Duration> {
        if asked <= self.max_delay { Ok(asked) } else { Err(asked) }
    }
}

/// `Retry-After` as a delay: delta-seconds or an HTTP-date (a date in the past is zero).
#[cfg(feature = "http")]
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_value(headers.get(RETRY_AFTER)?.as_bytes(), OffsetDateTime::now_utc())
}

/// A `Retry-After` value as a delay, as of `now`: delta-seconds (integer or decimal) or an HTTP-date (a date
/// in the past is zero). Whatever the server sends, the result is at most [`MAX_RETRY_AFTER`]; an unreadable
/// value is `None` (as if absent).
pub fn retry_after_value(raw: &[u8], now: OffsetDateTime) -> Option<Duration> {
    let v = std::str::from_utf8(raw).ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        // try_from_secs_f64 refuses what does not fit a Duration (1e20) instead of panicking.
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(MAX_RETRY_AFTER).min(MAX_RETRY_AFTER));
    }
    let when = OffsetDateTime::parse(v, &Rfc2822).ok()?;
    let delta = when - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn what_is_retried() {
        use AttemptFailure::*;
        use Idempotency::*;
        for f in [Connect, Transfer, Status(429), Status(502), Status(503), Status(504)] {
            assert!(f.retryable(Idempotent), "{f:?}");
        }
        for f in [TotalTimeout, Tls, Status(400), Status(401), Status(403), Status(404), Status(422), Status(500)] {
            assert!(!f.retryable(Idempotent), "{f:?}");
        }
        assert!(Connect.retryable(BilledPost));
        assert!(Status(429).retryable(BilledPost));
        for f in [Transfer, TotalTimeout, Status(502), Status(503), Status(504)] {
            assert!(!f.retryable(BilledPost), "{f:?}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p =
            RetryPolicy::new(&NetworkSettings { retry_base_ms: 100, retry_max_delay_ms: 1000, ..Default::default() });
        for _ in 0..50 {
            let d0 = p.backoff(0).as_millis();
            assert!((50..=100).contains(&d0), "{d0}");
            let d2 = p.backoff(2).as_millis();
            assert!((200..=400).contains(&d2), "{d2}");
            let d9 = p.backoff(9).as_millis();
            assert!((500..=1000).contains(&d9), "{d9}");
            assert!(p.backoff(40).as_millis() <= 1000);
        }
        assert_eq!(p.honour_retry_after(Duration::from_secs(1)), Ok(Duration::from_secs(1)));
        assert_eq!(p.honour_retry_after(Duration::from_secs(30)), Err(Duration::from_secs(30)));
    }

    #[test]
    fn hostile_retry_after_values_are_capped_not_panicking() {
        let now = OffsetDateTime::now_utc();
        for v in ["1e20", "1e308", "18446744073709551615", "99999999999999999999999", "1.7976931348623157e308"] {
            assert_eq!(retry_after_value(v.as_bytes(), now), Some(MAX_RETRY_AFTER), "{v}");
        }
        for v in ["-1", "nan", "NaN", "inf", "-inf", "", "1e", "\u{ff}", "Fri, 31 Dec 9999 23:59:59 GMT x"] {
            assert_eq!(retry_after_value(v.as_bytes(), now), None, "{v}");
        }
        assert_eq!(retry_after_value(b"0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(retry_after_value(b"Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after_value(b"\xff\xfe", now), None);
    }

    #[test]
    fn retry_knobs_are_clamped_to_their_bounds() {
        let p = RetryPolicy::new(&NetworkSettings {
            max_retries: u32::MAX,
            retry_base_ms: u32::MAX,
            retry_max_delay_ms: u32::MAX,
            ..Default::default()
        });
        assert_eq!(p.max_retries, *bounds::MAX_RETRIES.end());
        for retry in [0, 1, 31, u32::MAX] {
            for jitter in [0, 1, u64::MAX] {
                assert!(p.backoff_with(retry, jitter) <= Duration::from_secs(300), "{retry} {jitter}");
            }
        }
        let p = RetryPolicy::new(&NetworkSettings { retry_base_ms: 0, retry_max_delay_ms: 0, ..Default::default() });
        assert!(p.backoff_with(3, u64::MAX) <= Duration::from_millis(1));
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let future = (OffsetDateTime::now_utc() + time::Duration::seconds(120)).format(&Rfc2822).unwrap();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&future).unwrap());
        let d = retry_after(&h).unwrap().as_secs();
        assert!((110..=120).contains(&d), "{d}");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
