//! `Batch`: one file's validation job — its plan, the answer of each distinct number, and its saved state.

use std::fmt;

use balcao_core::batch_api::{BatchOptions, BatchState};
use balcao_core::history_api::Outcome;
use balcao_core::{AppError, Document, ErrorCode};
use balcao_history::{History, LookupContext};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::input::Table;
use crate::journal::{FORMAT, Journal, JournalHeader, VERSION};
use crate::plan::Plan;
use crate::verdict::Verdict;

/// The default pt-BR resume advice (the CLI replaces it with its own command line).
pub const RESUME_HINT: &str = "O que já foi consultado está salvo e não será consultado de novo. Para concluir, \
     retome o lote escolhendo o mesmo arquivo: só os números que faltam serão consultados.";

/// A batch: built from a file with [`Batch::prepare`] (or [`Batch::resume`] from its saved state), estimated,
/// given a saved state in the history with [`Batch::start_journal`], then run with [`Batch::run`] and written with
/// [`Batch::write_csv`]. `Debug` shows counts only (the answers hold personal data).
pub struct Batch {
    pub(crate) file_name: String,
    pub(crate) fingerprint: String,
    pub(crate) table: Table,
    pub(crate) plan: Plan,
    /// The options with the detected column, header and ambiguous reading filled in.
    pub(crate) options: BatchOptions,
    /// One per distinct number (`plan.numbers`); `None` while it has no answer.
    pub(crate) verdicts: Vec<Option<Verdict>>,
    pub(crate) journal: Option<Journal>,
    pub(crate) header: Option<JournalHeader>,
    pub(crate) state: BatchState,
    pub(crate) stop: Option<AppError>,
    pub(crate) resume_hint: String,
    /// Distinct numbers answered by an earlier run (read from the saved state).
    pub(crate) done_before: u32,
    /// Distinct numbers answered from the history in this session.
    pub(crate) reused: u32,
    /// The last progress a run reported.
    pub(crate) last: Option<balcao_core::batch_api::BatchProgress>,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("file_name", &self.file_name)
            .field("rows", &self.plan.rows.len())
            .field("numbers", &self.plan.numbers.len())
            .field("answered", &self.verdicts.iter().flatten().count())
            .field("state", &self.state)
            .field("journal", &self.journal.as_ref().map(Journal::slot))
            .finish_non_exhaustive()
    }
}

fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now).format(&Rfc3339).unwrap_or_default()
}

impl Batch {
    /// Reads `bytes` (the file named `file_name`) and validates it locally. No call, no file written.
    pub fn prepare(file_name: &str, bytes: &[u8], options: &BatchOptions) -> Result<Batch, AppError> {
        let table = Table::read(bytes)?;
        let plan = Plan::build(&table, options)?;
        let resolved = BatchOptions {
            column: Some(u32::try_from(plan.column + 1).unwrap_or(u32::MAX)),
            has_header: Some(plan.has_header),
            ambiguous_as: Some(plan.ambiguous_as),
            purpose: options.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned),
            ..options.clone()
        };
        Ok(Batch {
            file_name: file_name.to_owned(),
            fingerprint: Table::fingerprint(bytes),
            verdicts: vec![None; plan.numbers.len()],
            table,
            plan,
            options: resolved,
            journal: None,
            header: None,
            state: BatchState::Ready,
            stop: None,
            resume_hint: RESUME_HINT.to_owned(),
            done_before: 0,
            reused: 0,
            last: None,
        })
    }

    /// Reopens the batch saved in `slot` of `history` with the same file's `bytes`: the plan is rebuilt with the
    /// saved reading options and every saved answer is kept (those numbers are never looked up again).
    pub fn resume(history: &History, slot: &str, file_name: &str, bytes: &[u8]) -> Result<Batch, AppError> {
        let (header, answers) = Journal::load(history, slot)?
            .ok_or_else(|| AppError::new(ErrorCode::Config, "Não há lote salvo para retomar."))?;
        if Table::fingerprint(bytes) != header.fingerprint {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "O arquivo escolhido ({file_name}) não é o mesmo do lote salvo ({}, iniciado em {}). Escolha o \
                     arquivo original, sem alterações, para retomar; ou comece um lote novo.",
                    header.file_name, header.started_at
                ),
            ));
        }
        let options = BatchOptions {
            column: Some(header.column),
            has_header: Some(header.has_header),
            reuse_max_age_days: header.reuse_max_age_days,
            ambiguous_as: Some(header.ambiguous_as),
            purpose: header.purpose.clone(),
            view: header.view,
        };
        let mut batch = Batch::prepare(&header.file_name, bytes, &options)?;
        for (doc, verdict) in answers {
            if let Some(&i) = batch.plan.index.get(&doc) {
                batch.verdicts[i as usize] = Some(verdict);
                batch.done_before += 1;
            }
        }
        batch.journal = Some(Journal::reopen(slot));
        batch.header = Some(header);
        if batch.pending() == 0 {
            batch.state = BatchState::Completed;
        }
        Ok(batch)
    }

    /// Saves the batch in `slot` of `history` (replacing any batch saved there) for a run under `ctx`; answers
    /// already known (history reuse) are saved at once.
    pub fn start_journal(&mut self, history: &mut History, slot: &str, ctx: &LookupContext) -> Result<(), AppError> {
        let header = JournalHeader {
            format: FORMAT.to_owned(),
            version: VERSION,
            file_name: self.file_name.clone(),
            fingerprint: self.fingerprint.clone(),
            column: self.options.column.unwrap_or(1),
            has_header: self.plan.has_header,
            ambiguous_as: self.plan.ambiguous_as,
            reuse_max_age_days: self.options.reuse_max_age_days,
            purpose: self.options.purpose.clone(),
            view: self.options.view,
            profile_id: ctx.profile_id.clone(),
            profile_name: ctx.profile_name.clone(),
            environment: ctx.environment,
            started_at: now_rfc3339(),
        };
        let known: Vec<(Document, Verdict)> = self.answered().map(|(d, v)| (*d, v.clone())).collect();
        self.journal = Some(Journal::create(history, slot, &header, &known)?);
        self.header = Some(header);
        Ok(())
    }

    /// Puts the numbers whose lookup failed (not "not found") back in the queue for the next run. Returns how many.
    pub fn retry_failed(&mut self) -> u32 {
        let mut n = 0;
        for v in &mut self.verdicts {
            if v.as_ref().is_some_and(|v| v.outcome == Outcome::Failed) {
                *v = None;
                n += 1;
            }
        }
        if n > 0 && self.state == BatchState::Completed {
            self.state = BatchState::Ready;
        }
        n
    }

    /// Replaces the pt-BR advice shown when the batch stops or is cancelled.
    pub fn set_resume_hint(&mut self, hint: impl Into<String>) {
        self.resume_hint = hint.into();
    }

    pub fn state(&self) -> BatchState {
        self.state
    }

    /// Why the last run stopped (state `stopped`).
    pub fn stop_reason(&self) -> Option<&AppError> {
        self.stop.as_ref()
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The options in force, with the detected column (from 1), header and ambiguous reading filled in.
    pub fn options(&self) -> &BatchOptions {
        &self.options
    }

    /// The saved state's header, once there is one.
    pub fn header(&self) -> Option<&JournalHeader> {
        self.header.as_ref()
    }

    /// The slot of the history where this batch is saved, once it is.
    pub fn journal_slot(&self) -> Option<&str> {
        self.journal.as_ref().map(Journal::slot)
    }

    /// The answer for `doc`, if it has one.
    pub fn verdict(&self, doc: &Document) -> Option<&Verdict> {
        let i = *self.plan.index.get(doc)?;
        self.verdicts[i as usize].as_ref()
    }

    /// Distinct numbers without an answer.
    pub fn pending(&self) -> usize {
        self.verdicts.iter().filter(|v| v.is_none()).count()
    }

    pub(crate) fn answered(&self) -> impl Iterator<Item = (&Document, &Verdict)> {
        self.plan.numbers.iter().zip(&self.verdicts).filter_map(|(d, v)| v.as_ref().map(|v| (d, v)))
    }
}
