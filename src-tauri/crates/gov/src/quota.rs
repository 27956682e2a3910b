//! Quota awareness: billable calls counted per API, seeded from the history, reported through a callback,
//! a warning near the limit and a clean stop at it (before calling).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use balcao_core::extra_base::{BaseId, ExtraBase};
use balcao_core::profile::QuotaStatus;
use balcao_core::record::{ApiKind, CallMeta};
use balcao_core::{AppError, ErrorCode};

/// The agency-wide quota of the agency store (#18), implemented outside this crate: one unit of `profile`'s
/// credential and `api` is reserved, on the profile's quota day, before a call leaves (`limit`: the profile's own
/// daily limit, if any). An error (quota spent, store unreachable and offline allowance spent) refuses the call
/// before anything is sent.
pub trait CentralQuota: Send + Sync + fmt::Debug {
    fn reserve<'a>(
        &'a self,
        profile: &'a balcao_core::profile::Profile,
        ask: CentralAsk<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;
}

/// What one call asks of the agency's quota: its key (an API's name, or `extraBase:<id>` for a declared base), the
/// label the clerk reads in a refusal, and the daily limit the profile or the declaration sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentralAsk<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub limit: Option<u64>,
}

/// Called after every billable call ([`CallMeta::billable`]), e.g. to persist the count in the history.
pub type BillableCallback = Arc<dyn Fn(&CallMeta) + Send + Sync>;

/// What a count is for: one of the profile's APIs, or one of its extra bases (each with its own limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum QuotaKey {
    Api(ApiKind),
    Base(BaseId),
}

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    used: u64,
    in_flight: u64,
}

/// Counts billable calls per API for one profile and enforces its limit.
///
/// A call reserves one unit before it is sent (so concurrent calls can never overshoot the limit); the unit
/// becomes "used" when the answer is billable and is released otherwise.
pub struct QuotaTracker {
    limit: Option<u64>,
    warn_percent: u8,
    counts: Mutex<HashMap<QuotaKey, Counter>>,
    on_billable: RwLock<Option<BillableCallback>>,
}

impl fmt::Debug for QuotaTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaTracker")
            .field("limit", &self.limit)
            .field("warn_percent", &self.warn_percent)
            .field("counts", &*self.lock())
            .finish_non_exhaustive()
    }
}

impl QuotaTracker {
    /// `limit` calls per API (none: unlimited); warn from `warn_percent` % of it.
    pub fn new(limit: Option<u64>, warn_percent: u8) -> Self {
        Self {
            limit,
            warn_percent: warn_percent.clamp(1, 100),
            counts: Mutex::default(),
            on_billable: RwLock::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<QuotaKey, Counter>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the number of billable calls already made through `api` (from the history, at start-up).
    pub fn seed(&self, api: ApiKind, used: u64) {
        self.lock().entry(QuotaKey::Api(api)).or_default().used = used;
    }

    /// Registers the callback run after each billable call (replacing any previous one).
    pub fn on_billable(&self, callback: impl Fn(&CallMeta) + Send + Sync + 'static) {
        *self.on_billable.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(callback));
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Billable calls counted for `api`.
    pub fn used(&self, api: ApiKind) -> u64 {
        self.lock().get(&QuotaKey::Api(api)).map_or(0, |c| c.used)
    }

    fn warn_threshold(&self) -> Option<u64> {
        self.limit.map(|l| l.saturating_mul(u64::from(self.warn_percent)).div_ceil(100))
    }

    /// At or past the warning percentage of the limit.
    pub fn near_limit(&self, api: ApiKind) -> bool {
        self.warn_threshold().is_some_and(|t| self.used(api) >= t)
    }

    /// The limit is reached: the next call through `api` would be refused.
    pub fn exhausted(&self, api: ApiKind) -> bool {
        self.limit.is_some_and(|l| self.used(api) >= l)
    }

    /// What the status bar shows for `api`.
    pub fn status(&self, api: ApiKind) -> QuotaStatus {
        QuotaStatus {
            api,
            used: self.used(api),
            limit: self.limit,
            near_limit: self.near_limit(api),
            exhausted: self.exhausted(api),
        }
    }

    /// Takes one unit for a call through `api`, or `QuotaExhausted` when none is left.
    pub(crate) fn reserve(&self, api: ApiKind) -> Result<Reservation<'_>, AppError> {
        self.reserve_key(QuotaKey::Api(api), self.limit, api.label())
    }

    /// Takes one unit for a call to the extra base `base`, under its own `quota` (per credential and base).
    pub(crate) fn reserve_base(&self, base: &ExtraBase) -> Result<Reservation<'_>, AppError> {
        self.reserve_key(QuotaKey::Base(base.id), base.quota, &format!("«{}»", base.name))
    }

    /// Sets the billable calls already made to the extra base `id` (from the history).
    pub fn seed_base(&self, id: BaseId, used: u64) {
        self.lock().entry(QuotaKey::Base(id)).or_default().used = used;
    }

    /// Billable calls counted for the extra base `id`.
    pub fn base_used(&self, id: BaseId) -> u64 {
        self.lock().get(&QuotaKey::Base(id)).map_or(0, |c| c.used)
    }

    fn reserve_key(&self, key: QuotaKey, limit: Option<u64>, label: &str) -> Result<Reservation<'_>, AppError> {
        let mut counts = self.lock();
        let c = counts.entry(key).or_default();
        if let Some(limit) = limit
            && c.used.saturating_add(c.in_flight) >= limit
        {
            return Err(AppError::new(
                ErrorCode::QuotaExhausted,
                format!(
                    "A cota de {limit} consultas de {label} deste perfil acabou ({} usadas). Avise a TI; nenhuma consulta foi enviada.",
                    c.used
                ),
            ));
        }
        c.in_flight += 1;
        Ok(Reservation { tracker: self, key, settled: false })
    }

    fn settle(&self, key: QuotaKey, billable: bool) {
        let mut counts = self.lock();
        let c = counts.entry(key).or_default();
        c.in_flight = c.in_flight.saturating_sub(1);
        if billable {
            c.used += 1;
        }
    }
}

/// One reserved unit of quota; released when dropped unless a billable answer consumed it.
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    tracker: &'a QuotaTracker,
    key: QuotaKey,
    settled: bool,
}

impl Reservation<'_> {
    /// Settles the unit with the call's outcome: counted (and reported) when billable, released otherwise.
    pub(crate) fn finish(mut self, meta: &CallMeta) {
        self.settled = true;
        self.tracker.settle(self.key, meta.billable);
        if meta.billable {
            let callback = self.tracker.on_billable.read().unwrap_or_else(PoisonError::into_inner).clone();
            if let Some(cb) = callback {
                cb(meta);
            }
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.tracker.settle(self.key, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn meta(status: u16) -> CallMeta {
        CallMeta {
            api: ApiKind::ConectaCnpj,
            http_status: status,
            latency_ms: 1,
            activity_id: None,
            billable: CallMeta::billable(ApiKind::ConectaCnpj, status),
        }
    }

    #[test]
    fn counts_billable_calls_warns_and_stops_at_the_limit() {
        let q = QuotaTracker::new(Some(10), 90);
        let reported = Arc::new(AtomicU64::new(0));
        let r2 = reported.clone();
        q.on_billable(move |m| {
            assert!(m.billable);
            r2.fetch_add(1, Ordering::SeqCst);
        });
        q.seed(ApiKind::ConectaCnpj, 8);
        assert!(!q.near_limit(ApiKind::ConectaCnpj));
        q.reserve(ApiKind::ConectaCnpj).unwrap().finish(&meta(404));
        assert!(q.near_limit(ApiKind::ConectaCnpj));
        q.reserve(ApiKind::ConectaCnpj).unwrap().finish(&meta(500));
        drop(q.reserve(ApiKind::ConectaCnpj).unwrap());
        assert_eq!(q.used(ApiKind::ConectaCnpj), 9);
        let last = q.reserve(ApiKind::ConectaCnpj).unwrap();
        let e = q.reserve(ApiKind::ConectaCnpj).unwrap_err();
        assert_eq!(e.code, ErrorCode::QuotaExhausted, "in-flight calls count against the limit");
        last.finish(&meta(200));
        assert!(q.exhausted(ApiKind::ConectaCnpj));
        assert_eq!(reported.load(Ordering::SeqCst), 2);
        assert_eq!(q.used(ApiKind::SerproCnpj), 0, "each API has its own count");
        let s = q.status(ApiKind::ConectaCnpj);
        assert_eq!((s.used, s.limit, s.near_limit, s.exhausted), (10, Some(10), true, true));
    }

    #[test]
    fn unlimited_never_refuses() {
        let q = QuotaTracker::new(None, 90);
        q.seed(ApiKind::SerproCpfV2, u64::MAX - 1);
        q.reserve(ApiKind::SerproCpfV2).unwrap().finish(&meta(200));
        assert!(!q.near_limit(ApiKind::SerproCpfV2));
    }
}
