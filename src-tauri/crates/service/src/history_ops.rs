//! History use cases: search, open, snapshot, purge, CSV export to the clerk's folder, and the chart statistics.

use std::path::PathBuf;

use balcao_core::api::{ExportKind, HistoryStats};
use balcao_core::history_api::{DayRange, HistoryEntry, HistoryPage, HistoryQuery, PurgeScope};
use balcao_core::{AppError, ErrorCode};
use balcao_history::Actor;

use crate::Balcao;

impl Balcao {
    pub(crate) async fn actor(&self) -> Actor {
        self.actor_for(&self.settings.read().await.settings)
    }

    pub async fn history_search(&self, query: HistoryQuery) -> Result<HistoryPage, AppError> {
        self.with_history(move |h| h.search(&query)).await
    }

    pub async fn history_get(&self, id: i64) -> Result<HistoryEntry, AppError> {
        self.with_history(move |h| h.get(id))
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "Esta consulta não está mais no histórico (expurgada?)."))
    }

    /// The earlier snapshot of the same number, for "o que mudou desde …".
    pub async fn history_previous(&self, id: i64) -> Result<Option<HistoryEntry>, AppError> {
        self.with_history(move |h| h.previous(id)).await
    }

    /// "Expurgar agora": removes every history entry; the audit trail stays. Returns how many were removed.
    pub async fn history_purge(&self) -> Result<u64, AppError> {
        let actor = self.actor().await;
        self.with_history(move |h| h.purge(&actor, &PurgeScope::All)).await.map(|r| r.removed)
    }

    /// Writes a CSV of the history or the audit trail into the clerk's Downloads folder; returns its path.
    pub async fn history_export(
        &self,
        kind: ExportKind,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<String, AppError> {
        let actor = self.actor().await;
        let dir = downloads_dir(&self.data_dir);
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let name = match kind {
            ExportKind::History => format!("balcao-historico-{stamp}.csv"),
            ExportKind::Audit => format!("balcao-auditoria-{stamp}.csv"),
        };
        let path = dir.join(name);
        let target = path.clone();
        self.with_history(move |h| {
            let io = |e: std::io::Error| {
                AppError::new(ErrorCode::Config, format!("Não foi possível gravar {}: {e}.", target.display()))
            };
            std::fs::create_dir_all(target.parent().unwrap_or(&target)).map_err(io)?;
            let mut file = std::io::BufWriter::new(std::fs::File::create(&target).map_err(io)?);
            let range = DayRange { from, to };
            match kind {
                ExportKind::History => h.export_history_csv(&mut file, &range, &actor)?,
                ExportKind::Audit => h.export_audit_csv(&mut file, &range, &actor)?,
            };
            std::io::Write::flush(&mut file).map_err(io)
        })
        .await?;
        Ok(path.to_string_lossy().into_owned())
    }

    pub async fn history_stats(&self, days: u32) -> Result<HistoryStats, AppError> {
        let profile_id = self.active.read().await.profile.id.clone();
        self.with_history(move |h| {
            Ok(HistoryStats { daily: h.daily_stats(days.clamp(1, 366), None)?, quota: h.quota_usage(&profile_id)? })
        })
        .await
    }
}

/// `~/Downloads` (or the XDG download folder) when it exists, else `exports/` in the data folder.
pub(crate) fn downloads_dir(data_dir: &std::path::Path) -> PathBuf {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
    let candidates = [std::env::var_os("XDG_DOWNLOAD_DIR").map(PathBuf::from), home.map(|h| h.join("Downloads"))];
    candidates.into_iter().flatten().find(|d| d.is_dir()).unwrap_or_else(|| data_dir.join("exports"))
}
