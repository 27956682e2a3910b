//! Settings: the agency's policy and the clerk's preferences in settings.json, the retention policy in the history
//! (applied at once when saved), and who an action is recorded as.

use std::sync::Arc;

use balcao_core::api::Settings;
use balcao_core::{AppError, Cpf, ErrorCode};

use crate::shared::{HistoryCell, SettingsCell, Who};

/// The settings use cases. Holds settings.json, the history (where the retention policy lives) and who is acting.
#[derive(Debug)]
pub struct SettingsService {
    settings: Arc<SettingsCell>,
    history: Arc<HistoryCell>,
    who: Arc<Who>,
}

impl SettingsService {
    pub(crate) fn new(settings: &Arc<SettingsCell>, history: &Arc<HistoryCell>, who: &Arc<Who>) -> Self {
        Self { settings: settings.clone(), history: history.clone(), who: who.clone() }
    }

    /// The effective settings (the managed policy over settings.json, and which fields it sets), with the
    /// retention policy the history holds unless the managed policy sets it.
    pub async fn get(&self) -> Settings {
        let mut s = self.settings.read().await.settings;
        if !s.managed.retention
            && let Ok(policy) = self.history.with(|h| h.retention()).await
        {
            s.retention = policy;
        }
        s
    }

    /// Saves settings; the retention policy goes to the history (and is applied at once), the rest to settings.json.
    /// A change to a field the managed policy sets is refused (nothing saved), and so is every change while the
    /// policy file is broken.
    pub async fn save(&self, settings: Settings) -> Result<(), AppError> {
        check_numeric_settings(&settings)?;
        if let Some(cpf) = settings.clerk_cpf.as_deref().filter(|c| !c.trim().is_empty()) {
            Cpf::parse(cpf).map_err(|e| AppError::new(ErrorCode::InvalidDocument, format!("CPF do atendente: {e}")))?;
        }
        self.settings.policy.check_settings_change(&self.get().await, &settings)?;
        let policy = settings.retention;
        let actor = self.who.actor_for(&settings);
        self.history
            .with(move |h| {
                h.set_retention(&policy)?;
                h.apply_retention(&actor).map(|_| ())
            })
            .await?;
        let mut file = self.settings.write().await;
        let mut next = file.clone();
        let mut saved = Settings { active_profile: next.settings.active_profile.clone(), ..settings };
        self.settings.policy.keep_own(&mut saved, &file.settings);
        next.settings = saved;
        self.settings.store.save(&next)?;
        *file = next;
        Ok(())
    }
}

/// The numeric settings within their bounds (retention days and entries, idle minutes), with a pt-BR message.
fn check_numeric_settings(settings: &Settings) -> Result<(), AppError> {
    balcao_core::bounds::check_settings(settings)
        .map_err(|e| AppError::new(ErrorCode::Config, format!("Configurações: {e} Corrija o valor e salve de novo.")))
}
