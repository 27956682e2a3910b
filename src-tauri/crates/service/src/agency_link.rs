//! The counter's live link to the agency store (#18): the agency-wide quota before each real call, the offline
//! allowance while the store cannot be reached, and the outbox's drain to the store, in order, with backoff.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use balcao_agency::{AuditLine, ConnectOptions, CounterStore, DocumentRef, QuotaKey, Reservation};
use balcao_core::api::AgencyStatus;
use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_gov::{CentralAsk, CentralQuota};
use balcao_history::{History, OfflineUnit, OutboxItem, OutboxPayload};
use balcao_platform::SecretStore;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::managed::PolicyState;
use crate::policy::AgencyStore;
use crate::session::{HistorySlot, on_history};

/// Where the counter's database password lives in the machine store (`balcao-cli admin set-agency-password`).
pub const AGENCY_PASSWORD_ENTRY: &str = "balcao.agency-store.password";
/// A reservation that takes longer goes to the offline allowance: a clerk never waits on a slow store.
const RESERVE_TIMEOUT: Duration = Duration::from_secs(3);
/// Lines sent to the store in one transaction.
const CHUNK: usize = 500;
/// How often an idle drain looks for new lines.
const IDLE_POLL: Duration = Duration::from_secs(2);
/// The backoff after a failure: doubling from the first, never longer than the last.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The largest CA file read.
const MAX_CA_BYTES: u64 = 1024 * 1024;

/// The live link of a policy's `[agency_store]`, shared by every copy of the policy once attached. It is not part of
/// what the policy says, so two policies compare equal whatever their links.
#[derive(Clone, Default)]
pub struct LinkSlot(Arc<Mutex<Option<Arc<AgencyLink>>>>);

impl PartialEq for LinkSlot {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LinkSlot {}

impl fmt::Debug for LinkSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.get().is_some() { "LinkSlot(attached)" } else { "LinkSlot(none)" })
    }
}

impl LinkSlot {
    pub fn get(&self) -> Option<Arc<AgencyLink>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What a working link needs: where the store is and who this counter is there.
struct Ready {
    opts: ConnectOptions,
    counter_id: String,
}

/// What the link knows of the store. Only a reservation that could not reach it sends the next ones to the offline
/// allowance for a while (`down_until`); the drain keeps its own backoff, so a line the store refuses never turns
/// reservations offline.
#[derive(Debug, Default)]
struct LinkState {
    reserve_failures: u32,
    down_until: Option<Instant>,
    /// `None` until the store was tried.
    reachable: Option<bool>,
    problem: Option<String>,
    offline_spent: u32,
    /// Lines the store refused (kept in this PC's history, set aside from the outbox).
    rejected: u64,
}

/// The link: a broken setup (no key, no CA…) refuses every real call with IT's message rather than let calls go
/// uncounted.
pub struct AgencyLink {
    setup: Result<Ready, AppError>,
    history: HistorySlot,
    offline_allowance: u32,
    conn: tokio::sync::Mutex<Option<CounterStore>>,
    state: Mutex<LinkState>,
    /// The app's background drain was started (once per link).
    draining: AtomicBool,
}

impl fmt::Debug for AgencyLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgencyLink")
            .field("counter_id", &self.setup.as_ref().map(|r| r.counter_id.as_str()).ok())
            .field("offline_allowance", &self.offline_allowance)
            .finish_non_exhaustive()
    }
}

/// Attaches the agency store the managed policy names (once per policy, again while its setup fails: «Tentar de
/// novo» after IT stored the key, or once the history opens): the outbox on the history, the link that every real
/// profile's client reserves quota through. `None` without a policy or an `[agency_store]`.
pub fn attach(policy: &PolicyState, history: &HistorySlot) -> Option<Arc<AgencyLink>> {
    let store = policy.policy()?.agency_store.as_ref()?;
    if let Some(link) = store.link.get().filter(|l| l.setup.is_ok()) {
        return Some(link);
    }
    let machine = crate::agency_credentials::machine_store_under(policy)?;
    let setup = prepare(store, machine.as_ref(), history);
    if let Err(e) = &setup {
        tracing::warn!(code = ?e.code, "agency store not usable: {}", e.message);
    }
    let problem = setup.as_ref().err().map(|e| e.message.clone());
    let link = Arc::new(AgencyLink {
        setup,
        history: history.clone(),
        offline_allowance: store.offline_allowance,
        conn: tokio::sync::Mutex::new(None),
        state: Mutex::new(LinkState { problem, ..LinkState::default() }),
        draining: AtomicBool::new(false),
    });
    // Prepared without the slot held (the status bar reads it meanwhile); if another caller linked a working store in
    // the meantime, that one stays.
    let mut slot = store.link.0.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(working) = slot.as_ref().filter(|l| l.setup.is_ok()) {
        return Some(working.clone());
    }
    *slot = Some(link.clone());
    Some(link)
}

/// The key, password and CA from the machine, the outbox on the history, the counter's id.
fn prepare(store: &AgencyStore, machine: &dyn SecretStore, history: &HistorySlot) -> Result<Ready, AppError> {
    let key = Arc::new(crate::agency_store::agency_key(machine)?);
    let password = machine.get(AGENCY_PASSWORD_ENTRY)?;
    let ca = read_ca(&store.ca_file)?;
    let opts = ConnectOptions::new(store.url.expose(), password, &ca)?;
    let history = history.as_ref().map_err(Clone::clone)?;
    let mut h = history.lock().map_err(|_| AppError::from(ErrorCode::HistoryLocked))?;
    h.set_agency_outbox(Some(Arc::new(move |d| key.reference(d).hash)));
    let counter_id = h.agency_counter_id(new_counter_id)?;
    Ok(Ready { opts, counter_id })
}

fn read_ca(path: &Path) -> Result<Vec<u8>, AppError> {
    use std::io::Read as _;
    let unreadable = |why: String| {
        AppError::new(
            ErrorCode::Config,
            format!(
                "O certificado da autoridade (CA) do banco da agência não pôde ser lido em {} ({why}). A TI deve \
                 colocá-lo ali ou indicar outro em [agency_store] ca_file.",
                path.display()
            ),
        )
    };
    // Whoever could replace the CA could put a server of their own between the counter and the store.
    if let Err(problem) = balcao_platform::check_admin_file(path, false) {
        let (p, what) = match &problem {
            balcao_platform::AdminFileProblem::Writable { path, .. } => (path, "outros usuários podem alterá-lo"),
            balcao_platform::AdminFileProblem::Owner { path, .. } => (path, "pertence a outro usuário"),
        };
        return Err(unreadable(format!("{}: {what}; só o administrador pode escrever nele", p.display())));
    }
    let file = std::fs::File::open(path).map_err(|e| unreadable(balcao_core::error::io_reason(&e)))?;
    let mut pem = Vec::new();
    file.take(MAX_CA_BYTES + 1).read_to_end(&mut pem).map_err(|e| unreadable(balcao_core::error::io_reason(&e)))?;
    if pem.len() as u64 > MAX_CA_BYTES {
        return Err(unreadable("arquivo grande demais".to_owned()));
    }
    Ok(pem)
}

/// The machine's name and a random part: a new history file (a reinstalled PC) is a new counter.
fn new_counter_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).take(64).collect())
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "balcao".to_owned());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}#{}", id.get(..12).unwrap_or(&id))
}

/// Today in the profile's quota zone: the gateway's (the quota day of #13), or the one the profile names.
fn gateway_day(profile: &Profile) -> time::Date {
    let zone = profile
        .quota_time_zone
        .as_deref()
        .and_then(|z| balcao_history::zone_named(z).ok())
        .unwrap_or_else(gateway_zone);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let month = time::Month::try_from(u8::try_from(today.month()).unwrap_or(1)).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(i32::from(today.year()), month, u8::try_from(today.day()).unwrap_or(1))
        .unwrap_or_else(|_| OffsetDateTime::now_utc().date())
}

fn gateway_zone() -> jiff::tz::TimeZone {
    balcao_history::zone_named(balcao_history::GATEWAY_ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn too_slow() -> AppError {
    AppError::new(ErrorCode::Network, "O banco da agência não respondeu a tempo.")
}

/// The wait after `failures` failures in a row: doubling from the first, never longer than the last.
fn backoff(failures: u32) -> Duration {
    BACKOFF_FIRST.saturating_mul(1 << failures.saturating_sub(1).min(6)).min(BACKOFF_MAX)
}

fn agency_quota_spent(label: &str) -> AppError {
    AppError::new(
        ErrorCode::QuotaExhausted,
        format!(
            "A cota da agência para {label} acabou hoje (contada em todos os balcões). Nenhuma consulta foi enviada; \
             avise a TI."
        ),
    )
}

fn offline_spent(allowance: u32) -> AppError {
    AppError::new(
        ErrorCode::QuotaExhausted,
        format!(
            "O banco da agência não responde e este balcão já usou hoje as {allowance} consultas que pode fazer sem \
             ele. Nenhuma consulta foi enviada; avise a TI e tente de novo quando a conexão voltar."
        ),
    )
}

impl AgencyLink {
    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_down(&self) -> bool {
        self.state().down_until.is_some_and(|t| Instant::now() < t)
    }

    /// The store answered: reservations go to it again.
    fn mark_up(&self) {
        let mut s = self.state();
        s.reserve_failures = 0;
        s.down_until = None;
        s.reachable = Some(true);
        s.problem = None;
    }

    /// A reservation could not reach the store: the next ones go to the offline allowance for a while (doubling).
    fn mark_down(&self, why: &str) {
        let mut s = self.state();
        s.reserve_failures = s.reserve_failures.saturating_add(1);
        s.down_until = Instant::now().checked_add(backoff(s.reserve_failures));
        s.reachable = Some(false);
        s.problem = Some(why.to_owned());
    }

    /// The drain could not reach the store (its own backoff; reservations are not sent offline by it).
    fn mark_unreachable(&self, why: &str) {
        let mut s = self.state();
        s.reachable = Some(false);
        s.problem = Some(why.to_owned());
    }

    /// Why this link cannot be used at all (a missing key, password or CA), if so.
    pub fn setup_problem(&self) -> Option<AppError> {
        self.setup.as_ref().err().cloned()
    }

    /// What the status bar shows.
    pub async fn status(&self) -> AgencyStatus {
        let waiting = match &self.history {
            Ok(h) => on_history(h.clone(), |h| h.outbox_waiting()).await.unwrap_or(0),
            Err(_) => 0,
        };
        let s = self.state();
        let rejected = (s.rejected > 0).then(|| {
            format!(
                "{} linha(s) de auditoria recusada(s) pelo banco da agência ficaram guardadas neste computador (no \
                 histórico); avise a TI.",
                s.rejected
            )
        });
        AgencyStatus {
            waiting,
            // Until the store was tried (the app tries at start), nothing says it is down.
            reachable: s.reachable.unwrap_or(true),
            offline_spent: s.offline_spent,
            offline_allowance: self.offline_allowance,
            problem: match (&s.problem, rejected) {
                (Some(p), Some(r)) => Some(format!("{p} {r}")),
                (p, r) => p.clone().or(r),
            },
        }
    }

    /// One reservation within [`RESERVE_TIMEOUT`], on the kept connection or a new one. A kept connection may have
    /// died unseen (a firewall dropping idle connections): then it is tried once more on a fresh one. A connection that
    /// failed or timed out is never kept.
    async fn reserve_online(&self, ready: &Ready, key: &QuotaKey, limit: u32) -> Result<Reservation, AppError> {
        let deadline = Instant::now().checked_add(RESERVE_TIMEOUT).unwrap_or_else(Instant::now);
        let mut conn = tokio::time::timeout_at(deadline, self.conn.lock()).await.map_err(|_| too_slow())?;
        for _ in 0..2 {
            let fresh = conn.as_ref().is_none_or(CounterStore::is_closed);
            if fresh {
                *conn = None;
                let opened = tokio::time::timeout_at(deadline, CounterStore::open(&ready.opts)).await;
                *conn = Some(opened.map_err(|_| too_slow())??);
            }
            let Some(c) = conn.as_ref() else { return Err(too_slow()) };
            match tokio::time::timeout_at(deadline, c.reserve(key, limit)).await {
                Ok(Ok(r)) => return Ok(r),
                Ok(Err(e)) => {
                    *conn = None;
                    if fresh || e.code != ErrorCode::Network {
                        return Err(e);
                    }
                }
                Err(_) => {
                    *conn = None;
                    return Err(too_slow());
                }
            }
        }
        Err(too_slow())
    }

    async fn reserve_unit(&self, profile: &Profile, ask: CentralAsk<'_>) -> Result<(), AppError> {
        let ready = self.setup.as_ref().map_err(Clone::clone)?;
        let key =
            QuotaKey { credential: profile.id.clone(), api: ask.key.to_owned(), gateway_day: gateway_day(profile) };
        let limit = ask.limit;
        if !self.is_down() {
            let limit = limit.map_or(u32::MAX, |l| u32::try_from(l).unwrap_or(u32::MAX));
            match self.reserve_online(ready, &key, limit).await {
                Ok(Reservation::Granted) => {
                    self.mark_up();
                    return Ok(());
                }
                Ok(Reservation::Refused) => {
                    self.mark_up();
                    return Err(agency_quota_spent(ask.label));
                }
                // Only a store that cannot be reached falls back to the offline allowance. A store that answers
                // with a refusal (a newer schema, a wrong password, a role without the privilege, a certificate
                // from another authority) is refused here: none of those is worked around offline.
                Err(e) if e.code != ErrorCode::Network => {
                    self.state().problem = Some(e.message.clone());
                    return Err(e);
                }
                Err(e) => self.mark_down(&e.message),
            }
        }
        self.spend_offline(&key).await
    }

    /// One unit of the offline allowance, queued to be added to the agency's count when the store is back.
    async fn spend_offline(&self, key: &QuotaKey) -> Result<(), AppError> {
        let history = self.history.as_ref().map_err(Clone::clone)?.clone();
        let unit =
            OfflineUnit { credential: key.credential.clone(), api: key.api.clone(), day: key.gateway_day.to_string() };
        let allowance = self.offline_allowance;
        match on_history(history, move |h| h.outbox_spend_offline(&unit, allowance)).await? {
            Some(spent) => {
                tracing::warn!(spent, allowance, "agency store unreachable: a unit of the offline allowance spent");
                self.state().offline_spent = spent;
                Ok(())
            }
            None => Err(offline_spent(allowance)),
        }
    }

    /// Sends the oldest waiting lines (at most one chunk) to the store, in order; returns how many left the outbox.
    /// A line the store refuses (or that cannot be read back) is set aside and the others keep flowing; only a store
    /// that cannot be reached stops the drain.
    async fn drain_once(&self, conn: &mut Option<CounterStore>) -> Result<usize, AppError> {
        let ready = self.setup.as_ref().map_err(Clone::clone)?;
        let history = self.history.as_ref().map_err(Clone::clone)?.clone();
        let items = on_history(history.clone(), |h| h.outbox_take(CHUNK)).await?;
        if items.is_empty() {
            return Ok(0);
        }
        if conn.as_ref().is_none_or(CounterStore::is_closed) {
            *conn = None;
            *conn = Some(CounterStore::open(&ready.opts).await?);
        }
        let Some(store) = conn.as_mut() else { return Err(AppError::from(ErrorCode::Internal)) };
        let mut rest = items.as_slice();
        while let Some(first) = rest.first() {
            let n = match first.payload {
                OutboxPayload::Audit(_) => {
                    rest.iter().take_while(|i| matches!(i.payload, OutboxPayload::Audit(_))).count()
                }
                OutboxPayload::Quota(_) => 1,
            };
            let (run, after) = rest.split_at(n.max(1));
            rest = after;
            let sent = match &first.payload {
                OutboxPayload::Audit(_) => self.send_lines(store, run, &ready.counter_id).await,
                OutboxPayload::Quota(unit) => self.send_unit(store, first, unit, &ready.counter_id).await,
            };
            match sent {
                Ok(()) => {}
                // Anything but a refused line (the store unreachable, a password or role IT must fix) stops here:
                // the lines wait, in order, for the next attempt.
                Err(e) if e.code != ErrorCode::Upstream => return Err(e),
                // The store refused a line of the lot: one at a time, to set aside only the line it refuses.
                Err(_) if run.len() > 1 => {
                    for item in run {
                        let one = std::slice::from_ref(item);
                        match self.send_lines(store, one, &ready.counter_id).await {
                            Ok(()) => {}
                            Err(e) if e.code != ErrorCode::Upstream => return Err(e),
                            Err(e) => self.reject(&history, item.seq, &e.message).await?,
                        }
                        let seq = item.seq;
                        on_history(history.clone(), move |h: &mut History| h.outbox_sent(seq)).await?;
                    }
                    continue;
                }
                Err(e) => self.reject(&history, first.seq, &e.message).await?,
            }
            let last = run.last().map_or(first.seq, |i| i.seq);
            on_history(history.clone(), move |h: &mut History| h.outbox_sent(last)).await?;
        }
        self.mark_up();
        Ok(items.len())
    }

    /// One run of audit lines in one transaction; a line that cannot be read back is refused as a whole run would be.
    async fn send_lines(&self, store: &mut CounterStore, run: &[OutboxItem], counter_id: &str) -> Result<(), AppError> {
        let lines = run.iter().map(|i| audit_line(i, counter_id)).collect::<Result<Vec<_>, _>>()?;
        store.append_all(&lines).await.map(|_| ())
    }

    async fn send_unit(
        &self,
        store: &CounterStore,
        item: &OutboxItem,
        unit: &OfflineUnit,
        counter_id: &str,
    ) -> Result<(), AppError> {
        store.record_offline_use(item_id(item)?, counter_id, &quota_key(unit)?).await.map(|_| ())
    }

    /// Sets a refused line aside (kept in the local history) and counts it for the status bar.
    async fn reject(&self, history: &Arc<std::sync::Mutex<History>>, seq: i64, why: &str) -> Result<(), AppError> {
        tracing::warn!(seq, "agency store: a line was set aside: {why}");
        let reason = why.to_owned();
        let rejected = on_history(history.clone(), move |h| {
            h.outbox_reject(seq, &reason)?;
            h.outbox_rejected()
        })
        .await?;
        self.state().rejected = rejected;
        Ok(())
    }

    /// Drains until the outbox is empty, the store cannot be reached or `budget` is spent (the CLI, before it exits).
    pub async fn drain_for(&self, budget: Duration) -> Result<(), AppError> {
        let mut conn = None;
        let deadline = Instant::now().checked_add(budget).unwrap_or_else(Instant::now);
        loop {
            match tokio::time::timeout_at(deadline, self.drain_once(&mut conn)).await {
                Ok(Ok(0)) | Err(_) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    self.mark_unreachable(&e.message);
                    return Err(e);
                }
            }
        }
    }

    /// Starts the app's drain in the background (once per link; not for a link whose setup failed).
    pub fn run_in_background(self: &Arc<Self>) {
        if self.setup.is_ok() && !self.draining.swap(true, Ordering::SeqCst) {
            tokio::spawn(self.clone().drain_forever());
        }
    }

    /// The app's drain: first a connection, so the status bar knows at once whether the store answers; then forever,
    /// waiting out failures with its own bounded, doubling backoff.
    async fn drain_forever(self: Arc<Self>) {
        let mut conn = None;
        let mut failures = 0u32;
        if let Ok(ready) = self.setup.as_ref() {
            match CounterStore::open(&ready.opts).await {
                Ok(c) => {
                    conn = Some(c);
                    self.mark_up();
                }
                Err(e) => self.mark_unreachable(&e.message),
            }
        }
        if let Ok(h) = &self.history
            && let Ok(rejected) = on_history(h.clone(), |h| h.outbox_rejected()).await
        {
            self.state().rejected = rejected;
        }
        loop {
            match self.drain_once(&mut conn).await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => failures = 0,
                Err(e) => {
                    conn = None;
                    failures = failures.saturating_add(1);
                    self.mark_unreachable(&e.message);
                    let wait = backoff(failures);
                    tracing::info!(code = ?e.code, ?wait, "agency store: drain paused");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

impl CentralQuota for AgencyLink {
    fn reserve<'a>(
        &'a self,
        profile: &'a Profile,
        ask: CentralAsk<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>> {
        Box::pin(self.reserve_unit(profile, ask))
    }
}

/// A line that cannot be read back: like a line the store refuses (`Upstream`), it is set aside.
fn damaged() -> AppError {
    AppError::new(
        ErrorCode::Upstream,
        "Uma linha à espera do banco da agência está danificada no histórico deste computador: ela foi separada \
         (a trilha de auditoria local continua com ela) e as demais seguem. Avise a TI.",
    )
}

fn item_id(item: &OutboxItem) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(&item.id).map_err(|_| damaged())
}

fn quota_key(unit: &OfflineUnit) -> Result<QuotaKey, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(&unit.day, &format).map_err(|_| damaged())?;
    Ok(QuotaKey { credential: unit.credential.clone(), api: unit.api.clone(), gateway_day: day })
}

fn audit_line(item: &OutboxItem, counter_id: &str) -> Result<AuditLine, AppError> {
    let OutboxPayload::Audit(line) = &item.payload else { return Err(damaged()) };
    let at = OffsetDateTime::parse(&item.at, &time::format_description::well_known::Rfc3339).map_err(|_| damaged())?;
    let mut hash = [0u8; 32];
    let hex = line.hash_hex.as_bytes();
    if hex.len() != 64 {
        return Err(damaged());
    }
    for (byte, pair) in hash.iter_mut().zip(hex.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).map_err(|_| damaged())?;
        *byte = u8::from_str_radix(text, 16).map_err(|_| damaged())?;
    }
    Ok(AuditLine {
        id: item_id(item)?,
        counter_id: counter_id.to_owned(),
        seq: item.seq,
        at,
        clerk: line.clerk.clone(),
        api: line.api.clone(),
        purpose: line.purpose.clone(),
        authorization_code: line.authorization_code.clone(),
        document: DocumentRef { hash, masked: line.masked.clone() },
        outcome: line.outcome.clone(),
    })
}

/// Stores the counter's database password in the machine store (from standard input in `balcao-cli`).
pub fn set_agency_password(store: &dyn SecretStore, password: Sensitive<String>) -> Result<String, AppError> {
    if password.expose().trim().is_empty() {
        return Err(AppError::new(ErrorCode::Config, "A senha do banco da agência veio vazia: nada foi gravado."));
    }
    store.set(AGENCY_PASSWORD_ENTRY, &password)?;
    Ok("Gravada a senha deste balcão no banco da agência, no cofre de credenciais da máquina.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile_in(zone: Option<&str>) -> Profile {
        let mut p = Profile::demo("http://127.0.0.1:1");
        p.quota_time_zone = zone.map(str::to_owned);
        p
    }

    #[test]
    fn the_agencys_quota_day_is_the_profiles_quota_day() {
        // 25 hours apart: at every instant these two zones are on different dates.
        let east = gateway_day(&profile_in(Some("Pacific/Kiritimati")));
        let west = gateway_day(&profile_in(Some("Pacific/Pago_Pago")));
        assert_eq!(east, west.next_day().expect("a next day"), "{east} / {west}");
        let brasilia = jiff::Timestamp::now().to_zoned(gateway_zone()).date();
        let default = gateway_day(&profile_in(None));
        assert_eq!(
            (default.year(), u8::from(default.month()), default.day()),
            (
                i32::from(brasilia.year()),
                u8::try_from(brasilia.month()).unwrap(),
                u8::try_from(brasilia.day()).unwrap()
            )
        );
    }

    #[test]
    fn a_damaged_outbox_line_stops_the_drain_with_a_message_and_never_panics() {
        let line = balcao_history::OutboxLine {
            clerk: "x".into(),
            api: "serproCpfV2".into(),
            purpose: None,
            authorization_code: None,
            hash_hex: "zz".repeat(32),
            masked: "***.444.777-**".into(),
            outcome: "found".into(),
        };
        let item = |id: &str, at: &str, hash: &str| OutboxItem {
            seq: 1,
            id: id.into(),
            at: at.into(),
            payload: OutboxPayload::Audit(balcao_history::OutboxLine { hash_hex: hash.into(), ..line.clone() }),
        };
        let good_id = "6f1f2a9e-8f0e-4d6b-9f55-0d3f1f0c2a11";
        let good_hash = "ab".repeat(32);
        assert!(audit_line(&item(good_id, "2026-12-07T14:00:00Z", &good_hash), "pc").is_ok());
        for bad in [
            item("not-a-uuid", "2026-12-07T14:00:00Z", &good_hash),
            item(good_id, "ontem", &good_hash),
            item(good_id, "2026-12-07T14:00:00Z", &"zz".repeat(32)),
            item(good_id, "2026-12-07T14:00:00Z", "ab"),
            item(good_id, "2026-12-07T14:00:00Z", &"é".repeat(32)),
        ] {
            let e = audit_line(&bad, "pc").unwrap_err();
            assert!(e.message.contains("danificada"), "{}", e.message);
        }
        let unit = OfflineUnit { credential: "c".into(), api: "a".into(), day: "31/12/2026".into() };
        assert!(quota_key(&unit).is_err());
    }
}
