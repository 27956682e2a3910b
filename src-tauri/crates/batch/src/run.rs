//! Running a batch: the distinct numbers without an answer go out in units (a CPF Light call of up to 50 CPFs, or
//! one number), at most `maxConcurrency` at a time, through the profile's client (its pacing, retries and quota).
//! Every answer is recorded in the history and audit trail in chunks (`History::record_batch`), then saved in
//! the batch's state (inside the history). The run stops cleanly — calls in flight finish and are recorded — on cancel, at the quota, on
//! refused credentials or TLS, after a run of network failures, or when the gateway keeps asking to slow down.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use balcao_core::batch_api::{BatchProgress, BatchState};
use balcao_core::profile::CpfApi;
use balcao_core::record::{CallMeta, Lookup};
use balcao_core::{AppError, Cpf, Document, ErrorCode};
use balcao_gov::{CPF_LIGHT_BATCH, CallFailure, GovClient};
use balcao_history::{History, LookupContext, LookupOutcome};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;

use crate::batch::Batch;
use crate::estimate::api_of;
use crate::progress::{Cancel, Meter, RunCounts};
use crate::verdict::Verdict;

/// Answers recorded per history transaction, at most.
const FLUSH_AT: usize = 200;
/// Answers wait at most this long before being recorded.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
const TICK: Duration = Duration::from_millis(100);
/// Failures that every following call would repeat: the run stops and the number stays to be looked up.
const STOP_CODES: [ErrorCode; 6] = [
    ErrorCode::QuotaExhausted,
    ErrorCode::Unauthorized,
    ErrorCode::Tls,
    ErrorCode::Config,
    ErrorCode::KeychainUnavailable,
    ErrorCode::HistoryLocked,
];
/// Consecutive network failures (no answer at all) that stop the run; those numbers stay to be looked up.
const TRANSPORT_STREAK: usize = 10;
/// Consecutive units refused for rate (after the client's own retries) that stop the run.
const RATE_STREAK: u32 = 6;
/// Times a number refused for rate goes back to the queue before it is reported as an error.
const MAX_REQUEUES: u8 = 3;
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// What one task looks up.
#[derive(Debug)]
enum Unit {
    /// Up to 50 CPFs in one CPF Light call.
    Light(Vec<u32>),
    /// One number, one call.
    One(u32),
}

type UnitResult = Vec<(u32, Result<Lookup, CallFailure>)>;

fn meta_of(r: &Result<Lookup, CallFailure>) -> Option<&CallMeta> {
    match r {
        Ok(l) => Some(&l.meta),
        Err(f) => f.meta.as_ref(),
    }
}

fn is_rate_limited(r: &Result<Lookup, CallFailure>) -> bool {
    matches!(r, Err(f) if f.code() == ErrorCode::RateLimited && !f.meta.as_ref().is_some_and(|m| m.billable))
}

fn is_transport(outcome: &LookupOutcome) -> bool {
    matches!(outcome, Err((e, m)) if matches!(e.code, ErrorCode::Network | ErrorCode::Timeout)
        && !m.as_ref().is_some_and(|m| m.billable))
}

fn internal(what: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Internal, format!("{} ({what})", ErrorCode::Internal.default_message()))
}

struct Runner<'a> {
    client: &'a GovClient,
    history: Arc<Mutex<History>>,
    ctx: LookupContext,
    cancel: &'a Cancel,
    on_progress: &'a (dyn Fn(&BatchProgress) + Send + Sync),
    light: bool,
    max_concurrency: usize,
    queue: VecDeque<Unit>,
    inflight: JoinSet<UnitResult>,
    units: HashMap<Id, Vec<u32>>,
    /// Outcomes not yet in the history.
    buffer: Vec<(LookupOutcome, Document)>,
    /// Answers not yet in the state file.
    answers: Vec<(u32, Verdict)>,
    /// Network failures of the current streak: answered once the streak breaks, left to look up if it stops the run.
    deferred: Vec<(u32, Verdict)>,
    transport_stop: bool,
    requeues: HashMap<u32, u8>,
    rate_streak: u32,
    pause_until: Option<Instant>,
    stop: Option<AppError>,
    counts: RunCounts,
    meter: Meter,
    last_flush: Instant,
    last_progress: Instant,
}

impl Batch {
    /// Looks up every number without an answer through `client`, recording each answer in `history` under `ctx`
    /// (its purpose and view are the batch's), and reports progress to `on_progress` a few times a second.
    /// Returns the final progress: `completed`, `cancelled` or `stopped` (with the reason and how to resume).
    ///
    /// Fails without calling when the batch is not saved yet ([`Batch::start_journal`]) or was started under
    /// another profile.
    pub async fn run(
        &mut self,
        client: &GovClient,
        history: Arc<Mutex<History>>,
        ctx: &LookupContext,
        cancel: &Cancel,
        on_progress: &(dyn Fn(&BatchProgress) + Send + Sync),
    ) -> Result<BatchProgress, AppError> {
        let header = self.header.as_ref().ok_or_else(|| internal("o lote não foi salvo no histórico"))?;
        if header.profile_id != ctx.profile_id || header.environment != ctx.environment {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "Este lote foi iniciado no perfil «{}» ({}). Ative esse perfil para retomá-lo; nenhuma consulta foi feita.",
                    header.profile_name,
                    header.environment.label()
                ),
            ));
        }
        let ctx = LookupContext {
            purpose: self.options.purpose.clone(),
            view: self.options.view,
            do_not_record: false,
            ..ctx.clone()
        };
        let mut runner = Runner::new(self, client, history, ctx, cancel, on_progress);
        self.stop = None;
        self.state = BatchState::Running;
        runner.emit(self, BatchState::Running);
        // Retention (run as the history fills) must not take this batch's saved state from under the run.
        let slot = self.journal.as_ref().map(|j| j.slot().to_owned());
        let history = runner.history.clone();
        running(&history, slot.as_deref());
        runner.drive(self).await;
        let end = runner.finish(self).await;
        running(&history, None);
        Ok(end)
    }
}

/// Tells the history which saved batch runs now (`None`: none); a poisoned lock is left alone (the run reports it).
fn running(history: &Mutex<History>, slot: Option<&str>) {
    if let Ok(mut h) = history.lock() {
        h.set_running_batch(slot);
    }
}

impl<'a> Runner<'a> {
    fn new(
        batch: &Batch,
        client: &'a GovClient,
        history: Arc<Mutex<History>>,
        ctx: LookupContext,
        cancel: &'a Cancel,
        on_progress: &'a (dyn Fn(&BatchProgress) + Send + Sync),
    ) -> Self {
        let light = client.profile().cpf_api == Some(CpfApi::ConectaLight);
        let mut queue = VecDeque::new();
        let mut light_cpfs = Vec::new();
        let mut total = 0u32;
        for (i, (doc, v)) in batch.plan.numbers.iter().zip(&batch.verdicts).enumerate() {
            if v.is_some() {
                continue;
            }
            total += 1;
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            let contracted = api_of(client, doc, batch.options.view).is_some();
            if light && contracted && matches!(doc, Document::Cpf(_)) {
                light_cpfs.push(idx);
                if light_cpfs.len() == CPF_LIGHT_BATCH {
                    queue.push_back(Unit::Light(std::mem::take(&mut light_cpfs)));
                }
            } else {
                queue.push_back(Unit::One(idx));
            }
        }
        if !light_cpfs.is_empty() {
            queue.push_back(Unit::Light(light_cpfs));
        }
        let now = Instant::now();
        Runner {
            client,
            history,
            ctx,
            cancel,
            on_progress,
            light,
            max_concurrency: client.profile().network.max_concurrency.max(1) as usize,
            queue,
            inflight: JoinSet::new(),
            units: HashMap::new(),
            buffer: Vec::new(),
            answers: Vec::new(),
            deferred: Vec::new(),
            transport_stop: false,
            requeues: HashMap::new(),
            rate_streak: 0,
            pause_until: None,
            stop: None,
            counts: RunCounts { numbers_total: total, ..RunCounts::default() },
            meter: Meter::new(),
            last_flush: now,
            last_progress: now,
        }
    }

    fn halted(&self) -> bool {
        self.stop.is_some() || self.cancel.is_cancelled()
    }

    fn paused(&self) -> bool {
        self.pause_until.is_some_and(|t| t > Instant::now())
    }

    /// The dispatch loop: keeps up to `max_concurrency` units in flight until the queue is empty or the run halts,
    /// then waits for the units in flight.
    async fn drive(&mut self, batch: &mut Batch) {
        loop {
            while !self.halted() && !self.paused() && self.inflight.len() < self.max_concurrency {
                let Some(unit) = self.queue.pop_front() else { break };
                self.spawn(batch, unit);
            }
            if self.inflight.is_empty() && (self.halted() || !self.paused()) {
                break;
            }
            tokio::select! {
                Some(joined) = self.inflight.join_next_with_id() => self.absorb(batch, joined),
                () = tokio::time::sleep(TICK) => {}
            }
            self.tick(batch).await;
        }
    }

    fn spawn(&mut self, batch: &Batch, unit: Unit) {
        let client = self.client.clone();
        let (idxs, handle) = match unit {
            Unit::Light(idxs) => {
                let cpfs: Vec<Cpf> = idxs
                    .iter()
                    .filter_map(|&i| match batch.plan.numbers[i as usize] {
                        Document::Cpf(c) => Some(c),
                        Document::Cnpj(_) => None,
                    })
                    .collect();
                let ids = idxs.clone();
                let handle = self.inflight.spawn(async move {
                    let results = client.lookup_cpfs(&cpfs).await;
                    ids.into_iter().zip(results).collect()
                });
                (idxs, handle)
            }
            Unit::One(idx) => {
                let doc = batch.plan.numbers[idx as usize];
                let view = batch.options.view;
                let handle = self.inflight.spawn(async move { vec![(idx, client.lookup(&doc, view).await)] });
                (vec![idx], handle)
            }
        };
        self.units.insert(handle.id(), idxs);
    }

    /// Takes one finished unit's results: outcomes for the history, answers for the saved state, requeues, stops.
    fn absorb(&mut self, batch: &Batch, joined: Result<(Id, UnitResult), JoinError>) {
        let results = match joined {
            Ok((id, results)) => {
                self.units.remove(&id);
                results
            }
            Err(e) => {
                let idxs = self.units.remove(&e.id()).unwrap_or_default();
                tracing::error!(error = %e, numbers = idxs.len(), "batch: lookup task failed");
                self.stop.get_or_insert_with(|| internal(e));
                return;
            }
        };
        if let Some(meta) = results.iter().find_map(|(_, r)| meta_of(r)) {
            self.counts.calls += 1;
            self.counts.billable_calls += u32::from(meta.billable);
        }
        let rate_limited = !results.is_empty() && results.iter().all(|(_, r)| is_rate_limited(r));
        if rate_limited {
            self.rate_streak += 1;
            let wait = Duration::from_secs(1 << self.rate_streak.min(5)).min(MAX_PAUSE);
            self.pause_until = Some(Instant::now() + wait);
        } else {
            self.rate_streak = 0;
        }
        let mut requeue = Vec::new();
        for (idx, r) in results {
            let doc = batch.plan.numbers[idx as usize];
            let outcome: LookupOutcome = r.map_err(|f| (f.error, f.meta));
            match &outcome {
                Err((e, _)) if STOP_CODES.contains(&e.code) => {
                    self.stop.get_or_insert_with(|| e.clone());
                }
                Err((e, _)) if rate_limited => {
                    let n = self.requeues.entry(idx).or_insert(0);
                    *n += 1;
                    if *n <= MAX_REQUEUES && self.rate_streak < RATE_STREAK {
                        requeue.push(idx);
                    } else if self.rate_streak >= RATE_STREAK {
                        self.stop.get_or_insert_with(|| e.clone());
                    } else {
                        self.answers.push((idx, Verdict::of_outcome(&outcome)));
                    }
                }
                Err((e, _)) if is_transport(&outcome) => {
                    self.deferred.push((idx, Verdict::of_outcome(&outcome)));
                    if self.deferred.len() >= TRANSPORT_STREAK && self.stop.is_none() {
                        self.transport_stop = true;
                        self.stop = Some(AppError::new(
                            e.code,
                            format!("{} O lote parou após {TRANSPORT_STREAK} falhas seguidas.", e.message),
                        ));
                    }
                }
                _ => {
                    self.answers.append(&mut self.deferred);
                    self.answers.push((idx, Verdict::of_outcome(&outcome)));
                }
            }
            self.buffer.push((outcome, doc));
        }
        if self.light && requeue.len() > 1 {
            self.queue.push_front(Unit::Light(requeue));
        } else {
            requeue.into_iter().rev().for_each(|i| self.queue.push_front(Unit::One(i)));
        }
    }

    /// Records what is due and reports progress when due.
    async fn tick(&mut self, batch: &mut Batch) {
        let due = self.buffer.len() >= FLUSH_AT || self.last_flush.elapsed() >= FLUSH_EVERY;
        if due && !(self.buffer.is_empty() && self.answers.is_empty()) {
            self.flush(batch).await;
        }
        if self.last_progress.elapsed() >= PROGRESS_EVERY {
            let state = if self.cancel.is_cancelled() { BatchState::Cancelling } else { BatchState::Running };
            self.emit(batch, state);
        }
    }

    /// Writes the outcomes to the history (one transaction), then the answers to the batch's saved state, under the
    /// same lock. An answer whose outcome could not be recorded stays to be looked up again, and the run stops.
    async fn flush(&mut self, batch: &mut Batch) {
        self.last_flush = Instant::now();
        let items = std::mem::take(&mut self.buffer);
        let answers = std::mem::take(&mut self.answers);
        if items.is_empty() && answers.is_empty() {
            return;
        }
        let lines: Vec<_> = answers.iter().map(|(i, v)| (batch.plan.numbers[*i as usize], v.clone())).collect();
        let (history, ctx, journal) = (self.history.clone(), self.ctx.clone(), batch.journal.clone());
        let written = tokio::task::spawn_blocking(move || {
            let mut h = history.lock().map_err(|_| AppError::from(ErrorCode::HistoryLocked))?;
            if !items.is_empty() {
                h.record_batch(&ctx, &items)?;
            }
            // Recorded: from here a failure to save the answers only stops the run (they are in the history).
            Ok(match (journal, lines.is_empty()) {
                (Some(j), false) => j.append(&mut h, &lines).err(),
                _ => None,
            })
        })
        .await
        .map_err(internal)
        .and_then(|r| r);
        match written {
            Err(e) => {
                tracing::error!(code = ?e.code, "batch: history write failed");
                self.stop.get_or_insert(e);
                return;
            }
            Ok(Some(e)) => {
                tracing::error!(code = ?e.code, "batch: saving the batch state failed");
                self.stop.get_or_insert(e);
            }
            Ok(None) => {}
        }
        for (i, v) in answers {
            if batch.verdicts[i as usize].replace(v).is_none() {
                self.counts.numbers_done += 1;
            }
        }
        self.meter.record(self.counts.numbers_done);
    }

    fn emit(&mut self, batch: &mut Batch, state: BatchState) {
        self.last_progress = Instant::now();
        batch.stop = self.stop.clone();
        let p = batch.snapshot(state, self.counts, Some(&self.meter));
        (self.on_progress)(&p);
        batch.last = Some(p);
    }

    /// Records the rest, settles the state and reports the final progress.
    async fn finish(mut self, batch: &mut Batch) -> BatchProgress {
        if !self.transport_stop {
            self.answers.append(&mut self.deferred);
        }
        self.flush(batch).await;
        let pending = batch.pending();
        let state = if self.stop.is_some() {
            BatchState::Stopped
        } else if pending == 0 {
            BatchState::Completed
        } else if self.cancel.is_cancelled() {
            BatchState::Cancelled
        } else {
            self.stop = Some(internal(format!("{pending} números ficaram sem resposta")));
            BatchState::Stopped
        };
        batch.state = state;
        self.emit(batch, state);
        batch.last.clone().unwrap_or_else(|| batch.progress())
    }
}
