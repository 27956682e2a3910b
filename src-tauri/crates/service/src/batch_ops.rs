//! Batch validation use cases: preview a file (local checks, history reuse, cost), start, cancel, resume (also after a
//! restart, from the batch saved in the encrypted history), export the result CSV to the clerk's Downloads, discard.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use balcao_batch::{Batch, Cancel, Journal};
use balcao_core::batch_api::{BatchOptions, BatchPreview, BatchProgress, BatchSaved, BatchState};
use balcao_core::{AppError, ErrorCode};
use balcao_history::LookupContext;
use tokio::sync::Mutex;

use crate::history_ops::ExportFile;
use crate::shared::{ActiveCell, HistoryCell, SettingsCell, Who};

/// Receives the progress of a running batch (a few times a second, and once at the end): the shell emits it as an
/// event to the window.
pub type ProgressSink = Arc<dyn Fn(BatchProgress) + Send + Sync>;

/// The app's slot in the history's saved batch state (one saved batch at a time).
const STATE_SLOT: &str = "app";
/// Where versions before the encrypted state kept it, in plain JSON Lines, inside the data folder.
const LEGACY_STATE_DIR: &str = "lote";
const LEGACY_STATE_FILE: &str = "estado.jsonl";

/// The app's pt-BR advice when a batch stops or is cancelled.
const APP_RESUME_HINT: &str = "O que já foi consultado está salvo e não será consultado (nem cobrado) de novo. \
     Para concluir, clique em «Retomar lote»; se o Balcão for fechado, escolha o mesmo arquivo na tela Lote e \
     clique em «Retomar».";

/// The batch of this session: none, one held (ready, finished, stopped, cancelled or reopened), or one running.
#[derive(Clone, Default)]
pub(crate) struct BatchSlot(Arc<Mutex<Slot>>);

#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Idle(Box<Batch>),
    Running {
        cancel: Cancel,
        progress: Arc<std::sync::Mutex<BatchProgress>>,
    },
}

impl fmt::Debug for BatchSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0.try_lock() {
            Ok(g) => match &*g {
                Slot::Empty => "empty",
                Slot::Idle(_) => "idle",
                Slot::Running { .. } => "running",
            },
            Err(_) => "busy",
        };
        f.debug_tuple("BatchSlot").field(&state).finish()
    }
}

fn running_error() -> AppError {
    AppError::new(ErrorCode::Busy, "Há um lote em andamento. Aguarde o fim ou cancele-o antes.")
}

fn export_running_error() -> AppError {
    AppError::new(ErrorCode::Busy, "Aguarde o fim do lote (ou cancele-o) para exportar o resultado.")
}

fn no_batch_error() -> AppError {
    AppError::new(ErrorCode::Config, "Nenhum lote aberto. Escolha um arquivo na tela Lote.")
}

/// Takes the held batch out of the slot (left as it was when there is none to take).
fn take_idle(slot: &mut Slot) -> Result<Box<Batch>, AppError> {
    match std::mem::take(slot) {
        Slot::Idle(b) => Ok(b),
        other => {
            let e = if matches!(other, Slot::Running { .. }) { running_error() } else { no_batch_error() };
            *slot = other;
            Err(e)
        }
    }
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    crate::errors::interrupted("A tarefa do lote", &e)
}

/// The batch use cases. Holds the data folder (exports, an older version's state file), settings (the purpose
/// rule), the active profile and its client, the history (every call and the saved state), who is acting, and this
/// session's batch.
#[derive(Debug)]
pub struct BatchService {
    data_dir: PathBuf,
    settings: Arc<SettingsCell>,
    active: Arc<ActiveCell>,
    history: Arc<HistoryCell>,
    who: Arc<Who>,
    slot: BatchSlot,
}

impl BatchService {
    pub(crate) fn new(
        data_dir: &Path,
        settings: &Arc<SettingsCell>,
        active: &Arc<ActiveCell>,
        history: &Arc<HistoryCell>,
        who: &Arc<Who>,
    ) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            settings: settings.clone(),
            active: active.clone(),
            history: history.clone(),
            who: who.clone(),
            slot: BatchSlot::default(),
        }
    }

    fn legacy_state_path(&self) -> PathBuf {
        self.data_dir.join(LEGACY_STATE_DIR).join(LEGACY_STATE_FILE)
    }

    /// At start: a plain state file left by an older version is moved into the encrypted history and erased (or
    /// erased alone when it cannot be read). Kept for later when the history is not open yet.
    pub(crate) async fn import_legacy_state(&self) {
        let path = self.legacy_state_path();
        if !path.exists() || self.history.handle().is_err() {
            return;
        }
        let file = path.clone();
        match self.history.with(move |h| Journal::import_legacy_file(h, STATE_SLOT, &file)).await {
            Ok(_) => {
                let _ = std::fs::remove_dir(self.data_dir.join(LEGACY_STATE_DIR));
            }
            Err(e) => tracing::warn!(code = ?e.code, "batch: plain state file of an older version not imported"),
        }
    }

    /// Who and through which client the batch's calls go: the signed-in clerk is named on each (a batch without
    /// one, where the agency requires one, is refused by [`Who::usable`] before it starts).
    async fn context(&self) -> (LookupContext, balcao_gov::GovClient) {
        let active = self.active.read().await.clone();
        match self.who.signed_in_cpf() {
            Some(cpf) => (active.context(&self.who.os_user, Some(cpf)), active.client.for_clerk(cpf)),
            None => (active.context(&self.who.os_user, None), active.client),
        }
    }

    /// Reads and validates a file locally (no call), answers what it can from recent history when asked, and
    /// estimates the cost. The batch is kept, ready for [`BatchService::start`]; a previous idle batch is dropped.
    pub async fn preview(
        &self,
        file_name: String,
        bytes: Vec<u8>,
        options: BatchOptions,
    ) -> Result<BatchPreview, AppError> {
        let mut slot = self.slot.0.lock().await;
        if matches!(*slot, Slot::Running { .. }) {
            return Err(running_error());
        }
        let mut batch = tokio::task::spawn_blocking(move || Batch::prepare(&file_name, &bytes, &options))
            .await
            .map_err(join_error)??;
        let (ctx, client) = self.context().await;
        if batch.options().reuse_max_age_days.is_some() {
            let environment = ctx.environment;
            batch = self
                .history
                .with(move |h| {
                    batch.reuse_history(h, environment, time::OffsetDateTime::now_utc())?;
                    Ok(batch)
                })
                .await?;
        }
        batch.set_resume_hint(APP_RESUME_HINT);
        let preview = batch.preview(&client);
        *slot = Slot::Idle(Box::new(batch));
        Ok(preview)
    }

    /// Starts the previewed batch in the background under the active profile. Its saved state (in the encrypted
    /// history) replaces any saved batch. Returns the first progress; the rest goes to `on_progress`.
    pub async fn start(&self, on_progress: ProgressSink) -> Result<BatchProgress, AppError> {
        let mut slot = self.slot.0.lock().await;
        let mut batch = take_idle(&mut slot)?;
        let (ctx, client) = match self.start_checks(&batch).await {
            Ok(ctx) => ctx,
            Err(e) => {
                *slot = Slot::Idle(batch);
                return Err(e);
            }
        };
        let saved = match self.history.handle() {
            Ok(h) => h
                .lock()
                .map_err(|_| AppError::from(ErrorCode::HistoryLocked))
                .and_then(|mut h| batch.start_journal(&mut h, STATE_SLOT, &ctx)),
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            *slot = Slot::Idle(batch);
            return Err(e);
        }
        self.launch(&mut slot, batch, ctx, client, on_progress)
    }

    /// What must hold before any call: not already started, the purpose the agency requires, a usable history.
    async fn start_checks(&self, batch: &Batch) -> Result<(LookupContext, balcao_gov::GovClient), AppError> {
        if batch.state() != BatchState::Ready || batch.journal_slot().is_some() {
            return Err(AppError::new(
                ErrorCode::Config,
                "Este lote já foi iniciado. Use «Retomar lote», ou escolha o arquivo de novo para um lote novo.",
            ));
        }
        if self.settings.read().await.settings.purpose_required && batch.options().purpose.is_none() {
            return Err(ErrorCode::PurposeRequired.into());
        }
        self.history.handle()?;
        self.who.usable(&self.active, &self.settings).await?;
        Ok(self.context().await)
    }

    /// Runs `batch` in a background task; the slot holds its cancel token and latest progress until it ends.
    fn launch(
        &self,
        slot: &mut Slot,
        batch: Box<Batch>,
        ctx: LookupContext,
        client: balcao_gov::GovClient,
        on_progress: ProgressSink,
    ) -> Result<BatchProgress, AppError> {
        let history = match self.history.handle() {
            Ok(h) => h,
            Err(e) => {
                *slot = Slot::Idle(batch);
                return Err(e);
            }
        };
        if let Some(h) = batch.header()
            && (h.profile_id != ctx.profile_id || h.environment != ctx.environment)
        {
            let e = AppError::new(
                ErrorCode::Config,
                format!(
                    "Este lote foi iniciado no perfil «{}» ({}). Ative esse perfil para retomá-lo; nenhuma consulta foi feita.",
                    h.profile_name,
                    h.environment.label()
                ),
            );
            *slot = Slot::Idle(batch);
            return Err(e);
        }
        let first = BatchProgress { state: BatchState::Running, ..batch.progress() };
        let cancel = Cancel::new();
        let progress = Arc::new(std::sync::Mutex::new(first.clone()));
        *slot = Slot::Running { cancel: cancel.clone(), progress: progress.clone() };
        let holder = self.slot.clone();
        let mut batch = batch;
        let sink = on_progress.clone();
        let last = progress.clone();
        // The final progress is announced only once the slot holds the finished batch again, so that whoever
        // hears "completed" (the window, a test) can export or resume at once.
        let ending = Arc::new(std::sync::Mutex::new(None::<BatchProgress>));
        let held_ending = ending.clone();
        let worker = tokio::spawn(async move {
            let report = move |p: &BatchProgress| {
                if matches!(p.state, BatchState::Completed | BatchState::Cancelled | BatchState::Stopped) {
                    if let Ok(mut end) = held_ending.lock() {
                        *end = Some(p.clone());
                    }
                    return;
                }
                if let Ok(mut last) = progress.lock() {
                    *last = p.clone();
                }
                sink(p.clone());
            };
            if let Err(e) = batch.run(&client, history, &ctx, &cancel, &report).await {
                tracing::error!(code = ?e.code, "batch: run refused");
                report(&BatchProgress { state: BatchState::Stopped, stop: Some(e), ..batch.progress() });
            }
            batch
        });
        // The window always gets a final event, even if the run panicked (then the batch is lost, its saved state
        // is not: it can be reopened with the same file).
        tokio::spawn(async move {
            let (next, end) = match worker.await {
                Ok(batch) => {
                    let end = ending.lock().ok().and_then(|mut e| e.take()).unwrap_or_else(|| batch.progress());
                    (Slot::Idle(batch), end)
                }
                Err(e) => {
                    tracing::error!(error = %e, "batch: task failed");
                    let before = last.lock().map(|p| p.clone()).unwrap_or_else(|p| p.into_inner().clone());
                    let stop = AppError::from(ErrorCode::Internal);
                    (Slot::Empty, BatchProgress { state: BatchState::Stopped, stop: Some(stop), ..before })
                }
            };
            *holder.0.lock().await = next;
            on_progress(end);
        });
        Ok(first)
    }

    /// Asks the running batch to stop: calls in flight finish and are recorded, no new call starts.
    pub async fn cancel(&self) -> Result<(), AppError> {
        if let Slot::Running { cancel, .. } = &*self.slot.0.lock().await {
            cancel.cancel();
        }
        Ok(())
    }

    /// The current batch's progress (`None` when there is none).
    pub async fn progress(&self) -> Option<BatchProgress> {
        match &*self.slot.0.lock().await {
            Slot::Empty => None,
            Slot::Idle(b) => Some(b.progress()),
            Slot::Running { progress, .. } => progress.lock().ok().map(|p| p.clone()),
        }
    }

    /// The batch saved in the history (for the Lote screen after a restart), if any; none while the history is not
    /// open.
    pub async fn saved(&self) -> Result<Option<BatchSaved>, AppError> {
        if self.history.handle().is_err() {
            return Ok(None);
        }
        self.import_legacy_state().await;
        let Some((header, done)) = self.history.with(|h| Journal::summary(h, STATE_SLOT)).await? else {
            return Ok(None);
        };
        Ok(Some(BatchSaved {
            file_name: header.file_name,
            started_at: header.started_at,
            profile_id: header.profile_id,
            profile_name: header.profile_name,
            numbers_done: u32::try_from(done).unwrap_or(u32::MAX),
        }))
    }

    /// Reopens the saved batch with the same file chosen again (after a restart): what is left is estimated, and
    /// the batch can be resumed or exported.
    pub async fn open_saved(&self, file_name: String, bytes: Vec<u8>) -> Result<BatchPreview, AppError> {
        let mut slot = self.slot.0.lock().await;
        if matches!(*slot, Slot::Running { .. }) {
            return Err(running_error());
        }
        self.import_legacy_state().await;
        let mut batch = self.history.with(move |h| Batch::resume(h, STATE_SLOT, &file_name, &bytes)).await?;
        batch.set_resume_hint(APP_RESUME_HINT);
        let (_, client) = self.context().await;
        let preview = batch.preview(&client);
        *slot = Slot::Idle(Box::new(batch));
        Ok(preview)
    }

    /// Resumes the held batch (stopped, cancelled, or reopened): only numbers without an answer are looked up, plus
    /// the failed ones when `retry_failed`. Returns the first progress; the rest goes to `on_progress`.
    pub async fn resume(&self, retry_failed: bool, on_progress: ProgressSink) -> Result<BatchProgress, AppError> {
        let mut slot = self.slot.0.lock().await;
        let mut batch = take_idle(&mut slot)?;
        if batch.journal_slot().is_none() {
            *slot = Slot::Idle(batch);
            return Err(AppError::new(ErrorCode::Config, "Este lote ainda não foi iniciado: use «Iniciar lote»."));
        }
        if retry_failed {
            batch.retry_failed();
        }
        if batch.pending() == 0 {
            let p = batch.progress();
            *slot = Slot::Idle(batch);
            return Ok(p);
        }
        if let Err(e) = self.who.usable(&self.active, &self.settings).await {
            *slot = Slot::Idle(batch);
            return Err(e);
        }
        let (ctx, client) = self.context().await;
        self.launch(&mut slot, batch, ctx, client, on_progress)
    }

    /// [`BatchService::export_file`] into `dir`, under the name [`BatchService::export_name`] offers.
    pub async fn export_to(&self, dir: &std::path::Path) -> Result<String, AppError> {
        let name = self.export_name().await?;
        self.export_file(&dir.join(name)).await
    }

    /// The file name «Salvar como…» offers for the held batch's result (the clerk may change it).
    pub async fn export_name(&self) -> Result<String, AppError> {
        let slot = self.slot.0.lock().await;
        let file_name = match &*slot {
            Slot::Idle(batch) => batch.file_name().to_owned(),
            Slot::Running { .. } => return Err(export_running_error()),
            Slot::Empty => return Err(no_batch_error()),
        };
        let stem: String = std::path::Path::new(&file_name)
            .file_stem()
            .map(|s| s.to_string_lossy().chars().filter(|c| c.is_alphanumeric() || "-_".contains(*c)).collect())
            .unwrap_or_default();
        let stem = if stem.is_empty() { "lista".to_owned() } else { stem };
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(format!("balcao-lote-{stem}-{stamp}.csv"))
    }

    /// Writes the held batch's result CSV (every input row with the verdict columns; rows not yet looked up marked
    /// «Pendente») to `target` (the file the clerk chose in «Salvar como…»), whole or not at all; returns its path.
    pub async fn export_file(&self, target: &std::path::Path) -> Result<String, AppError> {
        let mut slot = self.slot.0.lock().await;
        if matches!(*slot, Slot::Running { .. }) {
            return Err(export_running_error());
        }
        let batch = take_idle(&mut slot)?;
        let target = target.to_owned();
        let what = format!("lote «{}»", batch.file_name());
        let (batch, written) = tokio::task::spawn_blocking(move || {
            let write = || -> Result<(ExportFile, u64), AppError> {
                let (mut file, mut out) = ExportFile::create(&target)?;
                let rows = batch.write_csv(&mut out)?;
                file.finish(out)?;
                Ok((file, rows))
            };
            let written = write();
            (batch, written)
        })
        .await
        .map_err(join_error)?;
        *slot = Slot::Idle(batch);
        let (file, rows) = written?;
        // An export of lookup results leaves a trace in the audit trail; one that cannot is taken back (the guard
        // removes the file unless kept).
        let actor = self.who.actor(&self.settings).await;
        self.history.with(move |h| h.audit_file_export(&what, rows, &actor)).await?;
        Ok(file.keep())
    }

    /// Forgets the held batch and its saved state (its answers stay in the history).
    pub async fn discard(&self) -> Result<(), AppError> {
        let mut slot = self.slot.0.lock().await;
        if matches!(*slot, Slot::Running { .. }) {
            return Err(running_error());
        }
        *slot = Slot::Empty;
        self.import_legacy_state().await;
        self.history.with(|h| Journal::discard(h, STATE_SLOT)).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use balcao_core::history_api::HistoryQuery;
    use balcao_core::{Cpf, Document};
    use balcao_platform::{MemoryStore, SecretStore};
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    use super::*;
    use crate::{Balcao, StartOptions};

    async fn start(dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> Balcao {
        let opts = StartOptions {
            data_dir: dir.to_path_buf(),
            policy_dir: dir.join("policy"),
            sim_addr: "127.0.0.1:0".parse().unwrap(),
            secrets: Some(secrets),
        };
        Balcao::start(opts).await.expect("starts in Demonstração")
    }

    fn sink() -> (ProgressSink, UnboundedReceiver<BatchProgress>) {
        let (tx, rx) = unbounded_channel();
        (Arc::new(move |p| drop(tx.send(p))), rx)
    }

    async fn end_of(rx: &mut UnboundedReceiver<BatchProgress>) -> BatchProgress {
        loop {
            let p = tokio::time::timeout(Duration::from_secs(120), rx.recv()).await.expect("progress").expect("open");
            if !matches!(p.state, BatchState::Running | BatchState::Cancelling) {
                return p;
            }
        }
    }

    /// `n` distinct valid CPFs (mostly unknown to the simulator: 404), each twice, plus two invalid rows.
    fn list(n: u32) -> Vec<u8> {
        let mut s = String::from("nome;cpf\n");
        for i in 0..n {
            let cpf = Cpf::with_check_digits(&(210_000_000 + i).to_string()).unwrap();
            s.push_str(&format!("Pessoa {i};{}\nDe novo {i};{cpf}\n", cpf.formatted()));
        }
        s.push_str("Erro;404.428.201-36\nVazio;\n");
        s.into_bytes()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn preview_start_export_and_discard() {
        let dir = tempfile::tempdir().unwrap();
        let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
        assert!(b.batch().progress().await.is_none());
        let preview = b.batch().preview("lista.csv".into(), list(60), BatchOptions::default()).await.unwrap();
        assert_eq!((preview.column, preview.has_header), (2, true));
        assert_eq!((preview.counts.rows, preview.counts.unique, preview.counts.duplicates), (122, 60, 60));
        assert_eq!(preview.estimate.calls, 60);
        let (on_progress, mut rx) = sink();
        let first = b.batch().start(on_progress.clone()).await.unwrap();
        assert_eq!(first.state, BatchState::Running);
        assert!(b.batch().start(on_progress).await.is_err(), "one batch at a time");
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Completed, "{end:?}");
        assert_eq!((end.done_rows, end.not_found, end.invalid, end.empty), (122, 120, 1, 1));
        let page = b.history().search(HistoryQuery::default()).await.unwrap();
        assert_eq!(page.items.len(), 50, "every call is in the history");
        let saved = b.batch().saved().await.unwrap().expect("state saved in the data folder");
        assert_eq!((saved.file_name.as_str(), saved.numbers_done), ("lista.csv", 60));
        let out = tempfile::tempdir().unwrap();
        let path = b.batch().export_to(out.path()).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with('\u{FEFF}') && path.ends_with(".csv"), "{path}");
        assert_eq!(text.lines().count(), 123);
        assert!(text.lines().nth(1).unwrap().contains("Não encontrado"));
        let audit = b.with_history(|h| h.audit(&Default::default(), None, None)).await.unwrap().items;
        assert_eq!(audit[0].event, balcao_core::history_api::AuditEvent::Export);
        assert_eq!(audit[0].detail.as_deref(), Some("exportação de lote «lista.csv»: 122 linha(s)"));
        b.batch().discard().await.unwrap();
        assert!(b.batch().saved().await.unwrap().is_none());
        assert!(b.batch().export_to(out.path()).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_answered_wholly_from_the_history_completes_without_a_call() {
        let dir = tempfile::tempdir().unwrap();
        let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
        let bytes = b"nome;cpf\nAna;404.428.201-35\n".to_vec();
        b.batch().preview("lista.csv".into(), bytes.clone(), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        assert_eq!(end_of(&mut rx).await.state, BatchState::Completed);

        let reuse = BatchOptions { reuse_max_age_days: Some(30), ..BatchOptions::default() };
        let preview = b.batch().preview("lista.csv".into(), bytes, reuse).await.unwrap();
        assert_eq!((preview.estimate.reused, preview.estimate.to_look_up), (1, 0), "{:?}", preview.estimate);
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Completed, "{end:?}");
        assert!(end.stop.is_none(), "{end:?}");
        assert_eq!((end.done_rows, end.found, end.calls), (1, 1, 0), "{end:?}");
        let page = b.history().search(HistoryQuery::default()).await.unwrap();
        assert_eq!(page.items.len(), 1, "no second lookup");
        let out = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(b.batch().export_to(out.path()).await.unwrap()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_then_resume_after_a_restart_with_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let bytes = list(1500);
        let b = start(dir.path(), secrets.clone()).await;
        b.batch().preview("grande.csv".into(), bytes.clone(), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        loop {
            let p = rx.recv().await.unwrap();
            if p.numbers_done > 0 {
                break;
            }
        }
        let (again, _rx) = sink();
        assert_eq!(b.batch().start(again).await.unwrap_err().code, ErrorCode::Busy, "one batch at a time");
        let out = tempfile::tempdir().unwrap();
        assert_eq!(b.batch().export_to(out.path()).await.unwrap_err().code, ErrorCode::Busy, "no export mid-batch");
        b.batch().cancel().await.unwrap();
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Cancelled, "{end:?}");
        assert!(end.resume_hint.as_deref().is_some_and(|h| h.contains("Retomar")));
        let done = end.numbers_done;
        assert!(done > 0 && done < 1500, "{done}");
        drop(b);

        let b = start(dir.path(), secrets).await;
        let saved = b.batch().saved().await.unwrap().unwrap();
        assert_eq!(saved.numbers_done, done);
        let mut other = bytes.clone();
        other.extend_from_slice(b"X;40442820135\n");
        let e = b.batch().open_saved("grande.csv".into(), other).await.unwrap_err();
        assert!(e.message.contains("não é o mesmo"), "{}", e.message);
        let preview = b.batch().open_saved("grande.csv".into(), bytes).await.unwrap();
        assert_eq!(preview.estimate.already_done, done);
        assert_eq!(preview.estimate.to_look_up, 1500 - done);
        let (on_progress, mut rx) = sink();
        b.batch().resume(false, on_progress).await.unwrap();
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Completed, "{end:?}");
        assert_eq!(end.numbers_total, 1500 - done, "only what was left was looked up");
        let doc = Document::Cpf(Cpf::with_check_digits("210000000").unwrap());
        let page =
            b.history().search(HistoryQuery { text: Some(doc.to_string()), ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), 1, "looked up once across both sessions");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purpose_policy_is_enforced_before_any_call() {
        let dir = tempfile::tempdir().unwrap();
        let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
        b.settings()
            .save(balcao_core::api::Settings { purpose_required: true, ..b.settings().get().await })
            .await
            .unwrap();
        b.batch().preview("l.csv".into(), list(3), BatchOptions::default()).await.unwrap();
        let (on_progress, _rx) = sink();
        let e = b.batch().start(on_progress.clone()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PurposeRequired);
        let opts = BatchOptions { purpose: Some("Recadastramento 2026".into()), ..Default::default() };
        b.batch().preview("l.csv".into(), list(3), opts).await.unwrap();
        assert!(b.batch().start(on_progress).await.is_ok());
    }

    /// Every file under `dir`, recursively (links not followed).
    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                out.extend(files_under(&e.path()));
            } else if m.is_file() {
                out.push(e.path());
            }
        }
        out
    }

    /// Known CPFs (found, with names) and unknown ones, each on a row with a clerk's note.
    fn list_with_names() -> (Vec<u8>, Vec<String>) {
        let data = balcao_sim::data::Dataset::embedded().unwrap();
        let known: Vec<String> = data.persons().iter().take(8).map(|p| p.cpf().to_owned()).collect();
        let mut s = String::from("obs;cpf\n");
        for (i, c) in known.iter().enumerate() {
            s.push_str(&format!("linha {i};{c}\n"));
        }
        for i in 0..20u32 {
            s.push_str(&format!("nova {i};{}\n", Cpf::with_check_digits(&(230_000_000 + i).to_string()).unwrap()));
        }
        (s.into_bytes(), known)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saved_batch_leaves_no_plaintext_cpf_or_name_anywhere_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let b = start(dir.path(), secrets.clone()).await;
        let (bytes, known) = list_with_names();
        b.batch().preview("nomes.csv".into(), bytes, BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Completed, "{end:?}");
        assert!(b.batch().saved().await.unwrap().is_some(), "the finished batch stays saved until discarded");
        let names: Vec<String> = b
            .history()
            .search(HistoryQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|s| s.name)
            .collect();
        assert!(names.len() >= 5, "the simulator named the known CPFs: {names:?}");
        drop(b);
        let mut needles: Vec<String> = names;
        for c in &known {
            needles.push(c.clone());
            needles.push(Cpf::parse(c).unwrap().formatted());
        }
        needles.push(Cpf::with_check_digits("230000000").unwrap().to_string());
        for f in files_under(dir.path()) {
            let bytes = std::fs::read(&f).unwrap();
            for n in &needles {
                assert!(!bytes.windows(n.len()).any(|w| w == n.as_bytes()), "{} holds {n:?} in the clear", f.display());
            }
        }
        // And the batch is still there to resume after a restart (it lives in the encrypted history).
        let b = start(dir.path(), secrets).await;
        assert_eq!(b.batch().saved().await.unwrap().map(|s| s.numbers_done), Some(28));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_of_more_numbers_than_the_retention_limit_runs_to_the_end() {
        // The count limit trims the history every 100 lookups while the batch runs; it must not take the batch's
        // own saved state (with the limit at 20 000 entries, any batch of more distinct numbers stopped half-way).
        let dir = tempfile::tempdir().unwrap();
        let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
        let retention = balcao_core::history_api::RetentionPolicy { max_age_days: None, max_entries: Some(50) };
        b.settings().save(balcao_core::api::Settings { retention, ..b.settings().get().await }).await.unwrap();
        b.batch().preview("l.csv".into(), list(250), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        let end = end_of(&mut rx).await;
        assert_eq!(end.state, BatchState::Completed, "{end:?}");
        assert_eq!(end.numbers_done, 250, "{end:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purge_and_retention_remove_the_saved_batch() {
        let dir = tempfile::tempdir().unwrap();
        let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
        for purge in [true, false] {
            b.batch().preview("l.csv".into(), list(30), BatchOptions::default()).await.unwrap();
            let (on_progress, mut rx) = sink();
            b.batch().start(on_progress).await.unwrap();
            assert_eq!(end_of(&mut rx).await.state, BatchState::Completed);
            assert!(b.batch().saved().await.unwrap().is_some());
            if purge {
                b.history().purge().await.unwrap();
            } else {
                // Keep the 10 newest lookups: the batch started before the oldest one kept goes with the rest.
                let retention = balcao_core::history_api::RetentionPolicy { max_age_days: None, max_entries: Some(10) };
                b.settings().save(balcao_core::api::Settings { retention, ..b.settings().get().await }).await.unwrap();
            }
            assert!(b.batch().saved().await.unwrap().is_none(), "purge {purge}: the saved batch is gone");
            let e = b.batch().open_saved("l.csv".into(), list(30)).await.unwrap_err();
            assert!(e.message.contains("Não há lote salvo"), "{}", e.message);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_older_versions_plain_state_file_is_imported_then_erased_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let bytes = list(40);
        let b = start(dir.path(), secrets.clone()).await;
        b.batch().preview("velho.csv".into(), bytes.clone(), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        assert_eq!(end_of(&mut rx).await.state, BatchState::Completed);
        // What an older version wrote: the same batch as plain JSON Lines in lote/estado.jsonl.
        let (header, answers) =
            b.with_history(|h| Journal::load(h, STATE_SLOT)).await.unwrap().expect("saved in the history");
        b.batch().discard().await.unwrap();
        drop(b);
        let mut text = serde_json::to_string(&header).unwrap();
        for (doc, v) in &answers {
            let mut line = serde_json::to_value(v).unwrap();
            line["kind"] = serde_json::to_value(doc.kind()).unwrap();
            line["number"] = doc.as_str().into();
            text.push_str(&format!("\n{line}"));
        }
        let legacy = dir.path().join("lote/estado.jsonl");
        std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        std::fs::write(&legacy, format!("{text}\n")).unwrap();

        let b = start(dir.path(), secrets).await;
        assert!(!legacy.exists() && !dir.path().join("lote").exists(), "the plain file is erased at start");
        let saved = b.batch().saved().await.unwrap().expect("imported");
        assert_eq!((saved.file_name.as_str(), saved.numbers_done), ("velho.csv", 40));
        let preview = b.batch().open_saved("velho.csv".into(), bytes).await.unwrap();
        assert_eq!(preview.estimate.already_done, 40);
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_data_folder_and_its_files_are_private_after_start_and_exports_are_too() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("dados");
        // As an older version left it: folder 0755, settings (with the clerk's CPF) 0644.
        std::fs::create_dir_all(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(data.join("settings.json"), r#"{"settings":{"clerkCpf":"40442820135"}}"#).unwrap();
        std::fs::set_permissions(data.join("settings.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let b = start(&data, Arc::new(MemoryStore::new())).await;
        b.settings().save(b.settings().get().await).await.unwrap();
        b.batch().preview("l.csv".into(), list(3), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        assert_eq!(end_of(&mut rx).await.state, BatchState::Completed);
        assert_eq!(mode(&data), 0o700, "data folder");
        let files = files_under(&data);
        assert!(files.iter().any(|f| f.ends_with("history.db")) && files.iter().any(|f| f.ends_with("settings.json")));
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        let out = dir.path().join("Downloads");
        std::fs::create_dir_all(&out).unwrap();
        let exports = [
            b.batch().export_to(&out).await.unwrap(),
            b.history().export_to(&out, balcao_core::api::ExportKind::History, None, None).await.unwrap(),
            b.history().export_to(&out, balcao_core::api::ExportKind::Audit, None, None).await.unwrap(),
        ];
        for e in &exports {
            assert_eq!(mode(std::path::Path::new(e)), 0o600, "{e}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_export_whose_audit_line_cannot_be_written_does_not_stay_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::new());
        let b = start(dir.path(), secrets.clone()).await;
        b.batch().preview("l.csv".into(), list(3), BatchOptions::default()).await.unwrap();
        let (on_progress, mut rx) = sink();
        b.batch().start(on_progress).await.unwrap();
        assert_eq!(end_of(&mut rx).await.state, BatchState::Completed);
        // Another program holds the history's write lock: reads go on (WAL), the audit line cannot be written.
        let key = secrets.get(balcao_history::KEY_NAME).unwrap().unwrap();
        balcao_history::sqlcipher_ready();
        let other = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
        other.execute_batch(&format!("PRAGMA key = \"x'{}'\"; BEGIN IMMEDIATE;", key.expose())).unwrap();
        let out = dir.path().join("Downloads");
        std::fs::create_dir_all(&out).unwrap();
        let e = b.batch().export_to(&out).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::HistoryLocked, "{e:?}");
        for kind in [balcao_core::api::ExportKind::History, balcao_core::api::ExportKind::Audit] {
            let e = b.history().export_to(&out, kind, None, None).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::HistoryLocked, "{kind:?}: {e:?}");
        }
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "no export without its audit line");
        other.execute_batch("ROLLBACK;").unwrap();
        drop(other);
        b.history().export_to(&out, balcao_core::api::ExportKind::Audit, None, None).await.unwrap();
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    }
}
