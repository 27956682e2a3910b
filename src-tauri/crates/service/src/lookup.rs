//! The lookup use case: policy, local validation, the call, the history and audit line, the answer for the UI.

use balcao_core::api::{AppInfo, LookupRequest, LookupResponse, StatusInfo};
use balcao_core::record::ApiKind;
use balcao_core::{AppError, Document, ErrorCode};
use balcao_history::{LookupContext, LookupOutcome};

use crate::Balcao;

impl Balcao {
    pub async fn app_info(&self) -> AppInfo {
        let active = self.active.read().await;
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            profile: active.profile.summary(),
            purpose_required: self.settings.read().await.settings.purpose_required,
        }
    }

    pub async fn status_info(&self) -> StatusInfo {
        let active = self.active.read().await;
        let cpf = active.profile.cpf_api.map(cpf_api_kind);
        let cnpj = (!active.profile.cnpj_views.is_empty()).then_some(match active.profile.provider {
            balcao_core::api::Provider::Serpro => ApiKind::SerproCnpj,
            balcao_core::api::Provider::Conecta => ApiKind::ConectaCnpj,
        });
        StatusInfo {
            profile: active.profile.summary(),
            token_valid_until: active.client.token_status().and_then(|t| t.valid_until),
            quotas: cpf.into_iter().chain(cnpj).map(|a| active.client.quota_status(a)).collect(),
        }
    }

    /// One lookup: nothing is sent for an invalid number or without the purpose the agency requires, and nothing
    /// is sent when the audit trail cannot be written. Every call made is recorded before the answer returns.
    pub async fn lookup(&self, req: LookupRequest) -> Result<LookupResponse, AppError> {
        let purpose = req.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        let settings = self.settings.read().await.settings.clone();
        if settings.purpose_required && purpose.is_none() {
            return Err(ErrorCode::PurposeRequired.into());
        }
        let doc = Document::parse(&req.input).map_err(|e| AppError::new(ErrorCode::InvalidDocument, e.to_string()))?;
        self.history_handle()?;
        let active = self.active.read().await.clone();
        if let Some(e) = active.unusable {
            return Err(e);
        }
        let (clerk, client) = self.caller(&active).await?;
        let ctx = LookupContext {
            purpose,
            authorization_code: req.authorization_code.clone().filter(|c| !c.trim().is_empty()),
            view: req.view,
            do_not_record: req.do_not_record,
            ..active.context(&self.os_user, clerk)
        };
        let outcome: LookupOutcome = client.lookup(&doc, req.view).await.map_err(|f| (f.error, f.meta));
        let recorded = {
            let outcome = outcome.clone();
            self.with_history(move |h| h.record(&ctx, &outcome, &doc)).await
        };
        let history_id = recorded?;
        let lookup = outcome.map_err(|(e, _)| e)?;
        Ok(LookupResponse { lookup, history_id, kind: doc.kind(), formatted: doc.formatted() })
    }
}

fn cpf_api_kind(api: balcao_core::profile::CpfApi) -> ApiKind {
    match api {
        balcao_core::profile::CpfApi::SerproV1 => ApiKind::SerproCpfV1,
        balcao_core::profile::CpfApi::SerproV2 => ApiKind::SerproCpfV2,
        balcao_core::profile::CpfApi::ConectaLight => ApiKind::ConectaCpfLight,
    }
}
