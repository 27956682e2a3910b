//! The running simulator's shared state: issued tokens, quota counters, the rate limiter, lookup counters,
//! pending faults, the request log, the seeded random generator and the count of API calls in flight.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::SimConfig;
use crate::data::Dataset;
use crate::fault::{CallKind, Fault, FaultKind, FaultQueue};
use crate::log::{LoggedRequest, RequestLog};

/// Which gateway issued a token (a SERPRO token is useless on Conecta and the reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gateway {
    Serpro,
    Conecta,
}

#[derive(Debug)]
struct IssuedToken {
    gateway: Gateway,
    expires_at: Instant,
    /// The APIs (Conecta scopes) the token covers; `None`: every API of its gateway.
    scopes: Option<Vec<String>>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
    WrongGateway,
}

/// Token bucket for `rate_limit_rps`.
#[derive(Debug)]
struct Bucket {
    rps: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rps: f64) -> Self {
        let capacity = rps.max(1.0);
        Bucket { rps, capacity, tokens: capacity, last: Instant::now() }
    }

    /// `Ok` when a call may proceed, else the seconds to wait (at least 1).
    fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rps).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.rps;
            // Saturating float-to-int cast of a positive, finite value.
            Err((wait.ceil() as u64).max(1))
        }
    }
}

#[derive(Debug)]
struct Mutable {
    rng: StdRng,
    tokens: HashMap<String, IssuedToken>,
    faults: FaultQueue,
    log: RequestLog,
    usage: BTreeMap<String, u64>,
    lookups: HashMap<String, u64>,
    bucket: Option<Bucket>,
}

impl Mutable {
    fn new(config: &SimConfig) -> Self {
        let mut faults = FaultQueue::default();
        for f in &config.faults {
            faults.push(f.clone());
        }
        Mutable {
            rng: StdRng::seed_from_u64(config.seed),
            tokens: HashMap::new(),
            faults,
            log: RequestLog::default(),
            usage: BTreeMap::new(),
            lookups: HashMap::new(),
            bucket: config.rate_limit_rps.map(Bucket::new),
        }
    }
}

/// Outcome of counting a call against its API's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaCheck {
    Allowed,
    Exhausted { limit: u64 },
}

/// Everything a request handler needs.
pub(crate) struct Sim {
    pub config: SimConfig,
    pub data: Arc<Dataset>,
    inner: Mutex<Mutable>,
    /// API calls being served right now, and the most ever served at once since start or reset.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counts one API call as in flight while it lives (from the request's arrival to its response being built).
pub(crate) struct InFlight<'a>(&'a Sim);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Issued tokens and the log hold bearer tokens: `Debug` shows only the configuration (itself redacted) and counts.
impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.lock();
        f.debug_struct("Sim")
            .field("config", &self.config)
            .field("issued_tokens", &m.tokens.len())
            .field("pending_faults", &m.faults.pending().len())
            .field("logged_requests", &m.log.len())
            .finish_non_exhaustive()
    }
}

impl Sim {
    pub fn new(config: SimConfig, data: Arc<Dataset>) -> Self {
        let inner = Mutex::new(Mutable::new(&config));
        Sim { config, data, inner, in_flight: AtomicUsize::new(0), max_in_flight: AtomicUsize::new(0) }
    }

    /// Marks an API call in flight until the guard drops, and raises the high-water mark if needed.
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// The largest number of API calls served at the same time since start (or the last reset).
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Mutable> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `n` seeded random bytes.
    pub fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; n];
        self.lock().rng.fill(&mut bytes[..]);
        bytes
    }

    /// A seeded, UUID-shaped (v4 layout) identifier for the `activityid` header.
    pub fn activity_id(&self) -> String {
        let mut b = [0u8; 16];
        self.lock().rng.fill(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex(&b);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    /// Records an issued token; `scopes` limits it to those APIs (`None`: every API of `gateway`).
    pub fn issue_token(&self, token: String, gateway: Gateway, ttl: Duration, scopes: Option<Vec<String>>) {
        let now = Instant::now();
        let mut m = self.lock();
        if m.tokens.len() > 10_000 {
            m.tokens.retain(|_, t| t.expires_at > now);
        }
        m.tokens.insert(token, IssuedToken { gateway, expires_at: now + ttl, scopes });
    }

    /// Whether `token` is a live token of `gateway`; `Ok` carries the scopes it is limited to (`None`: all).
    pub fn check_token(&self, token: &str, gateway: Gateway) -> Result<Option<Vec<String>>, TokenProblem> {
        let m = self.lock();
        match m.tokens.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(t) if t.gateway != gateway => Err(TokenProblem::WrongGateway),
            Some(t) if Instant::now() >= t.expires_at => Err(TokenProblem::Expired),
            Some(t) => Ok(t.scopes.clone()),
        }
    }

    /// Every issued token expires now (the public trial bearer is not an issued token and keeps working).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for t in self.lock().tokens.values_mut() {
            t.expires_at = t.expires_at.min(now);
        }
    }

    pub fn take_faults(&self, kind: CallKind, path: &str) -> Vec<FaultKind> {
        let mut m = self.lock();
        let Mutable { faults, rng, .. } = &mut *m;
        faults.take(kind, path, rng)
    }

    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    pub fn pending_faults(&self) -> Vec<Fault> {
        self.lock().faults.pending()
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Counts an API call; refuses it once the API's quota is used up (refused calls are not counted).
    pub fn count_quota(&self, api: &str) -> QuotaCheck {
        let mut m = self.lock();
        let used = m.usage.entry(api.to_owned()).or_insert(0);
        match self.config.quota {
            Some(limit) if *used >= limit => QuotaCheck::Exhausted { limit },
            _ => {
                *used += 1;
                QuotaCheck::Allowed
            }
        }
    }

    pub fn usage(&self) -> BTreeMap<String, u64> {
        self.lock().usage.clone()
    }

    /// `Ok` when the rate limit lets an API call through, else the `Retry-After` seconds.
    pub fn rate_limit(&self) -> Result<(), u64> {
        match self.lock().bucket.as_mut() {
            Some(bucket) => bucket.take(Instant::now()),
            None => Ok(()),
        }
    }

    /// Counts a served lookup of a document and returns its 1-based number (drives records that change).
    pub fn next_lookup(&self, document: &str) -> u64 {
        let mut m = self.lock();
        let n = m.lookups.entry(document.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    pub fn record(&self, entry: LoggedRequest) {
        self.lock().log.push(entry);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.snapshot()
    }

    pub fn request_count(&self) -> usize {
        self.lock().log.len()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Back to the state right after start (same seed, the config's faults queued again, no tokens, counters at 0).
    pub fn reset(&self) {
        *self.lock() = Mutable::new(&self.config);
        self.max_in_flight.store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token() {
        let sim = Sim::new(SimConfig::default(), Dataset::embedded().unwrap());
        sim.issue_token("secret-token-value".into(), Gateway::Serpro, Duration::from_secs(60), None);
        let text = format!("{sim:?}");
        assert!(text.contains("issued_tokens: 1"), "{text}");
        assert!(!text.contains("secret-token-value"));
    }

    #[test]
    fn in_flight_high_water_mark_counts_overlapping_calls_only() {
        let sim = Sim::new(SimConfig::default(), Dataset::embedded().unwrap());
        assert_eq!(sim.max_in_flight(), 0);
        drop(sim.enter());
        drop(sim.enter());
        assert_eq!(sim.max_in_flight(), 1, "two calls one after the other never overlap");
        let a = sim.enter();
        let b = sim.enter();
        let c = sim.enter();
        drop((a, b));
        let d = sim.enter();
        assert_eq!(sim.max_in_flight(), 3);
        drop((c, d));
        sim.reset();
        assert_eq!(sim.max_in_flight(), 0, "reset starts a new mark from the calls still in flight");
    }

    #[test]
    fn bucket_allows_burst_then_asks_to_wait() {
        let start = Instant::now();
        let mut b = Bucket::new(2.0);
        b.last = start;
        assert_eq!(b.take(start), Ok(()));
        assert_eq!(b.take(start), Ok(()));
        assert_eq!(b.take(start), Err(1));
        assert_eq!(b.take(start + Duration::from_millis(500)), Ok(()));
        let mut slow = Bucket::new(0.1);
        slow.last = start;
        assert_eq!(slow.take(start), Ok(()));
        assert_eq!(slow.take(start), Err(10));
    }
}
