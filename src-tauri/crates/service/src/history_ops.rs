//! History use cases: search, open, snapshot, purge, CSV export to the clerk's folder, and the chart statistics.

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
    data_dir: PathBuf,
    history: Arc<HistoryCell>,
    settings: Arc<SettingsCell>,
    active: Arc<ActiveCell>,
    who: Arc<Who>,
}

impl HistoryService {
    pub(crate) fn new(
        data_dir: &Path,
        history: &Arc<HistoryCell>,
        settings: &Arc<SettingsCell>,
        active: &Arc<ActiveCell>,
        who: &Arc<Who>,
    ) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            history: history.clone(),
            settings: settings.clone(),
            active: active.clone(),
            who: who.clone(),
        }
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

    /// "Expurgar agora": removes every history entry; the audit trail stays. Returns how many were removed.
    pub async fn purge(&self) -> Result<u64, AppError> {
        let actor = self.actor().await;
        self.history.with(move |h| h.purge(&actor, &PurgeScope::All)).await.map(|r| r.removed)
    }

    /// Writes a CSV of the history or the audit trail into the clerk's Downloads folder; returns its path.
    pub async fn export(&self, kind: ExportKind, from: Option<String>, to: Option<String>) -> Result<String, AppError> {
        self.export_to(&downloads_dir(&self.data_dir), kind, from, to).await
    }

    /// [`HistoryService::export`] into `dir`. The file is created private (0600 on Unix) and removed again when the
    /// export, or its audit line, could not be written.
    pub async fn export_to(
        &self,
        dir: &Path,
        kind: ExportKind,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<String, AppError> {
        let actor = self.actor().await;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let name = match kind {
            ExportKind::History => format!("balcao-historico-{stamp}.csv"),
            ExportKind::Audit => format!("balcao-auditoria-{stamp}.csv"),
        };
        let path = dir.join(name);
        let file = self
            .history
            .with(move |h| {
                let (file, mut out) = ExportFile::create(&path)?;
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

/// An export being written (history, audit, batch result): created private to the user (0600 on Unix: Downloads
/// may be readable by others) and removed again unless [`ExportFile::keep`] is called once the file is complete AND
/// its audit line is written. The one rule for every export of lookup results: none stays on disk without its trace
/// in the audit trail.
#[derive(Debug)]
pub(crate) struct ExportFile {
    path: PathBuf,
    kept: bool,
}

impl ExportFile {
    /// Creates the file (and its folder) and a buffered writer to it.
    pub(crate) fn create(path: &Path) -> Result<(ExportFile, BufWriter<std::fs::File>), AppError> {
        let io = |e: std::io::Error| io_failure(ErrorCode::Config, "Não foi possível gravar", path, &e);
        std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(io)?;
        let file = balcao_platform::create_private_file(path).map_err(io)?;
        Ok((ExportFile { path: path.to_owned(), kept: false }, BufWriter::new(file)))
    }

    /// Flushes and syncs what was written (a full disk shows up here, not later).
    pub(crate) fn finish(&self, mut out: BufWriter<std::fs::File>) -> Result<(), AppError> {
        let io = |e: std::io::Error| io_failure(ErrorCode::Config, "Não foi possível gravar", &self.path, &e);
        out.flush().map_err(io)?;
        out.get_ref().sync_all().map_err(io)
    }

    /// The export is complete and audited: keep it; returns its path.
    pub(crate) fn keep(mut self) -> String {
        self.kept = true;
        self.path.to_string_lossy().into_owned()
    }
}

impl Drop for ExportFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `~/Downloads` (or the XDG download folder) when it exists, else `exports/` in the data folder.
pub(crate) fn downloads_dir(data_dir: &std::path::Path) -> PathBuf {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
    let candidates = [std::env::var_os("XDG_DOWNLOAD_DIR").map(PathBuf::from), home.map(|h| h.join("Downloads"))];
    candidates.into_iter().flatten().find(|d| d.is_dir()).unwrap_or_else(|| data_dir.join("exports"))
}
