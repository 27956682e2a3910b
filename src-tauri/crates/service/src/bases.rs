//! «Outras bases» (#19): what the clerk may ask after a CPF/CNPJ lookup, and the audited call to a declared base.

use std::sync::Arc;

use balcao_core::extra_base::{
    BaseAnswer, BaseLookupRequest, BaseLookupResponse, BaseOffer, TemplateValues, changed_fields,
};
use balcao_core::record::Record;
use balcao_core::{AppError, DocKind, Document, ErrorCode};
use balcao_history::LookupContext;

use crate::session::on_history;
use crate::shared::{ActiveCell, HistoryCell, SettingsCell, Who};

/// The extra bases of the active profile: which apply, and the call to one (purpose rule, signed-in clerk, audit
/// line and history like every lookup).
#[derive(Debug)]
pub struct BasesService {
    settings: Arc<SettingsCell>,
    active: Arc<ActiveCell>,
    history: Arc<HistoryCell>,
    who: Arc<Who>,
}

/// A CEP as the APIs take it: 8 digits (a typed `70355-030` or `70.355-030` is accepted).
fn clean_cep(raw: &str) -> Result<String, AppError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, '-' | '.' | ' ')).collect();
    if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(AppError::new(ErrorCode::InvalidDocument, "CEP inválido: informe os 8 dígitos (por exemplo 70355-030)."))
    }
}

/// An e-CAC authorisation code as typed: letters, digits, `-`, `_`, `.`, at most 200 (the citizen copies it).
fn clean_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim();
    if !code.is_empty()
        && code.len() <= 200
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(code.to_owned())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidDocument,
            "Código de autorização do e-CAC inválido: copie o código que o cidadão recebeu (letras, dígitos e «-»).",
        ))
    }
}

/// The billable calls already made to each extra base (profile id, base id), from the history's audit trail.
pub(crate) fn billed_so_far(
    history: &balcao_history::History,
    bases: &[(String, balcao_core::extra_base::BaseId)],
) -> Vec<(balcao_core::extra_base::BaseId, u64)> {
    bases
        .iter()
        .filter_map(|(profile, id)| history.base_calls_billed(profile, id.as_str()).ok().map(|n| (*id, n)))
        .collect()
}

impl BasesService {
    pub(crate) fn new(
        settings: &Arc<SettingsCell>,
        active: &Arc<ActiveCell>,
        history: &Arc<HistoryCell>,
        who: &Arc<Who>,
    ) -> Self {
        Self { settings: settings.clone(), active: active.clone(), history: history.clone(), who: who.clone() }
    }

    /// The extra bases of the active profile that apply to `kind`, in declaration order.
    pub async fn offers(&self, kind: DocKind) -> Vec<BaseOffer> {
        let active = self.active.read().await;
        active.profile.bases().iter().filter(|b| b.applies(kind)).map(|b| b.offer()).collect()
    }

    /// Asks one extra base about the number of a lookup: nothing is sent for an undeclared base, a number it does not
    /// apply to, a missing or malformed CEP or e-CAC code, without the purpose the agency requires, or when the
    /// audit line cannot be written; the answer is kept with its lookup (and compared with the previous one).
    pub async fn lookup(&self, req: BaseLookupRequest) -> Result<BaseLookupResponse, AppError> {
        let settings = self.settings.read().await.settings.clone();
        let active = self.active.read().await.clone();
        let purpose = req.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        if settings.purpose_required && purpose.is_none() {
            return Err(ErrorCode::PurposeRequired.into());
        }
        let doc = Document::parse(&req.input).map_err(|e| AppError::new(ErrorCode::InvalidDocument, e.to_string()))?;
        let base = active.profile.base(&req.base_id).cloned().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                format!("A base «{}» não está declarada no perfil ativo. Peça à TI para incluí-la.", req.base_id),
            )
        })?;
        if !base.applies(doc.kind()) {
            return Err(AppError::new(
                ErrorCode::InvalidDocument,
                format!("A base «{}» não se aplica a {}.", base.name, doc.kind().label()),
            ));
        }
        let history = self.history.handle()?;
        if let Some(e) = active.unusable.clone() {
            return Err(e);
        }
        let needs = base.variables();
        let code = req.authorization_code.as_deref().filter(|c| !c.trim().is_empty());
        let mut values = TemplateValues {
            cpf: matches!(doc, Document::Cpf(_)).then(|| doc.as_str().to_owned()),
            cnpj: matches!(doc, Document::Cnpj(_)).then(|| doc.as_str().to_owned()),
            ni: Some(doc.as_str().to_owned()),
            autorizacao: code.map(clean_code).transpose()?,
            ..TemplateValues::default()
        };
        if needs.contains(&"cep") {
            values.cep = match req.cep.as_deref().filter(|c| !c.trim().is_empty()) {
                Some(typed) => Some(clean_cep(typed)?),
                None => self.record_cep(req.history_id).await.map(|c| clean_cep(&c)).transpose()?,
            };
        }
        let (clerk, client) = self.who.caller(&active, &self.settings).await?;
        let ctx = LookupContext {
            clerk_cpf: clerk,
            purpose,
            authorization_code: code.map(str::to_owned),
            ..active.context(&self.who.os_user, None)
        };
        let outcome = client.lookup_base(&req.base_id, &values).await.map_err(|f| (f.error, f.meta));
        let (id, name, history_id) = (base.id.as_str().to_owned(), base.name.clone(), req.history_id);
        let recorded = {
            let outcome = outcome.clone();
            let id = id.clone();
            on_history(history.clone(), move |h| {
                let kept = h.record_base(&ctx, history_id, &doc, (&id, &name), &outcome)?;
                let previous = match history_id {
                    Some(l) => h.previous_base_answer(l, &id)?,
                    None => None,
                };
                Ok((kept, previous))
            })
            .await
        };
        let (kept, previous) = recorded?;
        let answer = outcome.map_err(|(e, _)| e)?;
        Ok(BaseLookupResponse {
            changed: previous.as_ref().map(|p| changed_fields(p, &answer)).unwrap_or_default(),
            previous_at: previous.map(|p| p.consulted_at),
            saved: kept.is_some(),
            answer,
        })
    }

    /// The extra bases' answers kept with the history entry `id` (the receipt and the history show them).
    pub async fn of_entry(&self, id: i64) -> Result<Vec<BaseAnswer>, AppError> {
        let history = self.history.handle()?;
        on_history(history, move |h| h.base_answers(id)).await
    }

    /// The CEP of the record of the history entry `history_id`, if it has an address with one.
    async fn record_cep(&self, history_id: Option<i64>) -> Option<String> {
        let id = history_id?;
        let history = self.history.handle().ok()?;
        let entry = on_history(history, move |h| h.get(id)).await.ok().flatten()?;
        let address = match entry.lookup?.record {
            Record::Cpf(r) => r.address,
            Record::Cnpj(r) => r.address,
        };
        address?.cep
    }
}
