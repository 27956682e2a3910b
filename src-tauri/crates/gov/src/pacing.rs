//! Client-side pacing: at most `rate_limit_rps` calls per second per profile, spread evenly.

use std::time::Duration;

#[cfg(feature = "http")]
use tokio::time::Instant;

#[cfg(feature = "http")]
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

/// The pacing interval for `rps` calls per second, clamped to the documented bounds of `rate_limit_rps`
/// (one call every 100 s to 1000 per second). `None` (no pacing) only for a value that is not a positive finite
/// number, which profile validation refuses before a client exists.
pub fn interval(rps: f64) -> Option<Duration> {
    if !(rps.is_finite() && rps > 0.0) {
        return None;
    }
    let r = &balcao_core::bounds::RATE_LIMIT_RPS;
    let rps = rps.clamp(*r.start(), *r.end());
    Duration::try_from_secs_f64(1.0 / rps).ok()
}

#[cfg(feature = "http")]
impl Pacer {
    pub(crate) fn new(rps: f64) -> Option<Self> {
        interval(rps).map(|interval| Self { interval, next: tokio::sync::Mutex::new(Instant::now()) })
    }

    /// Waits for this call's slot.
    pub(crate) async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot.checked_add(self.interval).unwrap_or(slot);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_interval() {
        let p = Pacer::new(4.0).unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        assert!(Pacer::new(0.0).is_none());
    }

    #[test]
    fn any_rate_gives_a_bounded_interval_or_none() {
        for rps in [1e-300, f64::MIN_POSITIVE, 5e-324, 1e-3] {
            assert_eq!(interval(rps), Some(Duration::from_secs(100)), "{rps}");
        }
        for rps in [1e300, f64::MAX, 1e4] {
            assert_eq!(interval(rps), Some(Duration::from_millis(1)), "{rps}");
        }
        for rps in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(interval(rps), None, "{rps}");
        }
    }
}
