//! Client-side pacing: at most `rate_limit_rps` calls per second per profile, spread evenly.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    pub(crate) fn new(rps: f64) -> Option<Self> {
        (rps.is_finite() && rps > 0.0).then(|| Self {
            interval: Duration::from_secs_f64(1.0 / rps),
            next: tokio::sync::Mutex::new(Instant::now()),
        })
    }

    /// Waits for this call's slot.
    pub(crate) async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
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
}
