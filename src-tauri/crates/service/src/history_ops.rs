//! History use cases: search, open, snapshot, purge, CSV export to the file the clerk chose, and the chart statistics.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use balcao_core::api::{ExportKind, HistoryStats};
use balcao_core::history_api::{DayRange, HistoryEntry, HistoryPage, HistoryQuery, PurgeScope};
use balcao_core::{AppError, ErrorCode};
use balcao_history::Actor;

use crate::errors::io_failure;
use crate::shared::{ActiveCell, HistoryCell, SettingsCell, Who};

/// The history use cases. Holds the history, settings (who an action is recorded as), the active profile (whose
/// quota the chart shows) and who is acting.
#[derive(Debug)]
pub struct HistoryService {
    history: Arc<HistoryCell>,
    settings: Arc<SettingsCell>,
    active: Arc<ActiveCell>,
    who: Arc<Who>,
}

impl HistoryService {
    pub(crate) fn new(
        history: &Arc<HistoryCell>,
        settings: &Arc<SettingsCell>,
        active: &Arc<ActiveCell>,
        who: &Arc<Who>,
    ) -> Self {
        Self { history: history.clone(), settings: settings.clone(), active: active.clone(), who: who.clone() }
    }

    async fn actor(&self) -> Actor {
        self.who.actor(&self.settings).await
    }

    pub async fn search(&self, query: HistoryQuery) -> Result<HistoryPage, AppError> {
        self.history.with(move |h| h.search(&query)).await
    }

    pub async fn get(&self, id: i64) -> Result<HistoryEntry, AppError> {
        self.history
            .with(move |h| h.get(id))
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "Esta consulta não está mais no histórico (expurgada?)."))
    }

    /// The earlier snapshot of the same number, for "o que mudou desde …".
    pub async fn previous(&self, id: i64) -> Result<Option<HistoryEntry>, AppError> {
        self.history.with(move |h| h.previous(id)).await
    }

    /// Notes in the audit trail that a file made outside the history (a receipt saved as PDF, `what` names it) was
    /// saved with `rows` lookups in it: every saved copy of lookup results leaves a trace.
    pub async fn audit_file_export(&self, what: String, rows: u64) -> Result<(), AppError> {
        let actor = self.actor().await;
        self.history.with(move |h| h.audit_file_export(&what, rows, &actor)).await
    }

    /// "Expurgar agora": removes every history entry; the audit trail stays. Returns how many were removed.
    pub async fn purge(&self) -> Result<u64, AppError> {
        let actor = self.actor().await;
        self.history.with(move |h| h.purge(&actor, &PurgeScope::All)).await.map(|r| r.removed)
    }

    /// The file name «Salvar como…» offers for a history or audit export (the clerk may change it).
    pub fn export_name(kind: ExportKind) -> String {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        match kind {
            ExportKind::History => format!("balcao-historico-{stamp}.csv"),
            ExportKind::Audit => format!("balcao-auditoria-{stamp}.csv"),
        }
    }

    /// [`HistoryService::export_file`] into `dir`, under the name [`HistoryService::export_name`] offers.
    pub async fn export_to(
        &self,
        dir: &Path,
        kind: ExportKind,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<String, AppError> {
        std::fs::create_dir_all(dir).map_err(|e| io_failure(ErrorCode::Config, "Não foi possível criar", dir, &e))?;
        self.export_file(&dir.join(Self::export_name(kind)), kind, from, to).await
    }

    /// Writes a CSV of the history or the audit trail to `path` (the file the clerk chose in «Salvar como…»);
    /// returns its path. Written whole beside it and then renamed into place, private (0600 on Unix), and removed
    /// again when the export, or its audit line, could not be written.
    pub async fn export_file(
        &self,
        path: &Path,
        kind: ExportKind,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<String, AppError> {
        let actor = self.actor().await;
        let path = path.to_owned();
        let file = self
            .history
            .with(move |h| {
                let (mut file, mut out) = ExportFile::create(&path)?;
                let range = DayRange { from, to };
                // Both write their audit line after the rows: an error here (rows or audit) drops the guard.
                match kind {
                    ExportKind::History => h.export_history_csv(&mut out, &range, &actor)?,
                    ExportKind::Audit => h.export_audit_csv(&mut out, &range, &actor)?,
                };
                file.finish(out)?;
                Ok(file)
            })
            .await?;
        Ok(file.keep())
    }

    pub async fn stats(&self, days: u32) -> Result<HistoryStats, AppError> {
        let profile_id = self.active.read().await.profile.id.clone();
        self.history
            .with(move |h| {
                Ok(HistoryStats { daily: h.daily_stats(days.clamp(1, 366), None)?, quota: h.quota_usage(&profile_id)? })
            })
            .await
    }
}

/// An export being written (history, audit, batch result): written to a hidden partial file beside the target,
/// created private to the user (0600 on Unix: the folder may be readable by others), and renamed onto the target
/// only once complete and synced, so the chosen path never holds half an export. Removed again (partial or placed)
/// unless [`ExportFile::keep`] is called once the file is complete AND its audit line is written. The one rule for
/// every export of lookup results: none stays on disk without its trace in the audit trail.
#[derive(Debug)]
pub(crate) struct ExportFile {
    path: PathBuf,
    partial: PathBuf,
    placed: bool,
    kept: bool,
}

impl ExportFile {
    /// Creates the partial file beside `path` (whose folder must exist) and a buffered writer to it.
    pub(crate) fn create(path: &Path) -> Result<(ExportFile, BufWriter<std::fs::File>), AppError> {
        let io = |e: std::io::Error| io_failure(ErrorCode::Config, "Não foi possível gravar", path, &e);
        // Never a folder, a device, a symbolic link or a file inside Balcão's data folder.
        balcao_platform::check_result_path(path, &[]).map_err(AppError::from)?;
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let partial = folder.join(format!(".{name}.{}-{nanos}.parcial", std::process::id()));
        let file = balcao_platform::create_private_file(&partial).map_err(io)?;
        let export = ExportFile { path: path.to_owned(), partial, placed: false, kept: false };
        Ok((export, BufWriter::new(file)))
    }

    /// Flushes and syncs what was written (a full disk shows up here, not later), then puts it in place.
    pub(crate) fn finish(&mut self, mut out: BufWriter<std::fs::File>) -> Result<(), AppError> {
        let io = |e: std::io::Error| io_failure(ErrorCode::Config, "Não foi possível gravar", &self.path, &e);
        out.flush().map_err(io)?;
        out.get_ref().sync_all().map_err(io)?;
        drop(out);
        std::fs::rename(&self.partial, &self.path).map_err(io)?;
        self.placed = true;
        Ok(())
    }

    /// The export is complete and audited: keep it; returns its path.
    pub(crate) fn keep(mut self) -> String {
        self.kept = true;
        self.path.to_string_lossy().into_owned()
    }
}

impl Drop for ExportFile {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let _ = std::fs::remove_file(&self.partial);
        if self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_reaches_the_chosen_path_only_whole_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("escolhido.csv");
        std::fs::write(&target, "o arquivo de antes").unwrap();
        // Abandoned midway: the file already at the chosen path is untouched, nothing else stays.
        let (file, mut out) = ExportFile::create(&target).unwrap();
        out.write_all(b"metade").unwrap();
        drop((file, out));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "o arquivo de antes");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no partial file left");
        // Written whole: the chosen path holds the new content only once finished.
        let (mut file, mut out) = ExportFile::create(&target).unwrap();
        out.write_all(b"cpf;nome\n").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "o arquivo de antes", "not in place before finish");
        file.finish(out).unwrap();
        assert_eq!(file.keep(), target.to_string_lossy());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "cpf;nome\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no partial file left");
    }
}
