//! The lookup use case: policy, local validation, the call, the history and audit line, the answer for the UI.

use std::sync::{Arc, Mutex};

use balcao_core::api::{AppInfo, LookupRequest, LookupResponse, Settings, StatusInfo};
use balcao_core::record::CnpjView;
use balcao_core::{AppError, Document, ErrorCode};
use balcao_gov::GovClient;
use balcao_history::{History, LookupContext, LookupOutcome};

use crate::session::on_history;
use crate::shared::{ActiveCell, HistoryCell, SettingsCell, Who};

/// The lookup use case and what the status bar shows. Holds settings.json (the purpose rule), the active profile and
/// its client, the history (no call without it) and who is acting.
#[derive(Debug)]
pub struct LookupService {
    settings: Arc<SettingsCell>,
    active: Arc<ActiveCell>,
    history: Arc<HistoryCell>,
    who: Arc<Who>,
}

impl LookupService {
    pub(crate) fn new(
        settings: &Arc<SettingsCell>,
        active: &Arc<ActiveCell>,
        history: &Arc<HistoryCell>,
        who: &Arc<Who>,
    ) -> Self {
        Self { settings: settings.clone(), active: active.clone(), history: history.clone(), who: who.clone() }
    }

    pub async fn app_info(&self) -> AppInfo {
        app_info(&self.active, &self.settings).await
    }

    pub async fn status_info(&self) -> StatusInfo {
        let agency = self.settings.policy.policy().and_then(|p| p.agency_store.as_ref()).and_then(|s| s.link.get());
        let agency = match agency {
            Some(link) => Some(link.status().await),
            None => None,
        };
        let active = self.active.read().await;
        StatusInfo {
            agency,
            profile: active.profile.summary(),
            token_valid_until: active.client.token_status().and_then(|t| t.valid_until),
            quotas: balcao_gov::profile_apis(&active.profile)
                .into_iter()
                .map(|a| active.client.quota_status(a))
                .collect(),
        }
    }

    /// One lookup: nothing is sent for an invalid number or without the purpose the agency requires, and nothing
    /// is sent when the audit trail cannot be written. Every call made is recorded before the answer returns.
    pub async fn lookup(&self, req: LookupRequest) -> Result<LookupResponse, AppError> {
        let settings = self.settings.read().await.settings.clone();
        let active = self.active.read().await.clone();
        let (doc, ctx) = checked_request(&req, &settings, active.context(&self.who.os_user, None))?;
        let history = self.history.handle()?;
        if let Some(e) = active.unusable {
            return Err(e);
        }
        let (clerk, client) = self.who.caller(&active, &self.settings).await?;
        let ctx = LookupContext { clerk_cpf: clerk, ..ctx };
        audited_call(&client, history, ctx, doc, req.view).await
    }
}

/// The version, the active profile and whether the agency requires a purpose.
pub(crate) async fn app_info(active: &ActiveCell, settings: &SettingsCell) -> AppInfo {
    let active = active.read().await;
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        profile: active.profile.summary(),
        purpose_required: settings.read().await.settings.purpose_required,
    }
}

/// The request checked before anything is sent: the purpose the agency requires (`PurposeRequired`), a valid
/// number (`InvalidDocument`). Returns the number and `base` with the request's purpose, code, view and
/// "do not record".
pub(crate) fn checked_request(
    req: &LookupRequest,
    settings: &Settings,
    base: LookupContext,
) -> Result<(Document, LookupContext), AppError> {
    let purpose = req.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    if settings.purpose_required && purpose.is_none() {
        return Err(ErrorCode::PurposeRequired.into());
    }
    let doc = Document::parse(&req.input).map_err(|e| AppError::new(ErrorCode::InvalidDocument, e.to_string()))?;
    let ctx = LookupContext {
        purpose,
        authorization_code: req.authorization_code.clone().filter(|c| !c.trim().is_empty()),
        view: req.view,
        do_not_record: req.do_not_record,
        ..base
    };
    Ok((doc, ctx))
}

/// The one audited call, for the window and the CLI: the lookup, then its history and audit line (counted against
/// the quota), before the answer returns; a call whose line cannot be written answers with that error.
pub(crate) async fn audited_call(
    client: &GovClient,
    history: Arc<Mutex<History>>,
    ctx: LookupContext,
    doc: Document,
    view: Option<CnpjView>,
) -> Result<LookupResponse, AppError> {
    let outcome: LookupOutcome = client.lookup(&doc, view).await.map_err(|f| (f.error, f.meta));
    let recorded = {
        let outcome = outcome.clone();
        on_history(history, move |h| h.record(&ctx, &outcome, &doc)).await
    };
    let history_id = recorded?;
    let lookup = outcome.map_err(|(e, _)| e)?;
    Ok(LookupResponse { lookup, history_id, kind: doc.kind(), formatted: doc.formatted() })
}
