//! The one safe mode of a degraded start: what keeps Balcão from working fully (the managed policy file, the
//! history, the active profile, the lock's PIN), each with a pt-BR reason and fix, and «Tentar de novo», which really tries again.

use balcao_core::ErrorCode;
use balcao_core::lock_api::{HealthArea, HealthIssue};

use crate::session::{CredentialSource, build_client, open_history};
use crate::{Active, Balcao};

impl Balcao {
    /// What is missing now, and how to fix it; empty when Balcão works fully. The window shows this list.
    pub async fn health(&self) -> Vec<HealthIssue> {
        let mut out = Vec::new();
        if let Some(e) = self.settings.policy.broken() {
            out.push(HealthIssue {
                area: HealthArea::Policy,
                code: ErrorCode::Config,
                message: format!(
                    "{} Enquanto a TI não corrigir o arquivo, nenhum perfil da agência nem do computador é usado: só \
                     a Demonstração funciona, e as Configurações não podem ser alteradas. Depois da correção, \
                     feche e abra o Balcão.",
                    e.message()
                ),
            });
        }
        if self.settings.policy.requires_pin() && !self.lock.clerk_mode() && self.lock.pin_set() == Some(false) {
            out.push(HealthIssue {
                area: HealthArea::Lock,
                code: ErrorCode::Config,
                message:
                    "A TI da agência exige um PIN de bloqueio neste computador e nenhum foi definido: defina-o em \
                          Configurações › Bloqueio da tela. Até lá só a Demonstração consulta."
                        .to_owned(),
            });
        }
        if self.lock.pin_set().is_none() {
            out.push(HealthIssue {
                area: HealthArea::Lock,
                code: ErrorCode::KeychainUnavailable,
                message: "Não foi possível ler o PIN de bloqueio no cofre de senhas do sistema, então a tela fica \
                          bloqueada. Desbloqueie o cofre de senhas (chaveiro) da sua sessão e use «Tentar de novo»."
                    .to_owned(),
            });
        }
        if let Err(e) = self.history_handle() {
            out.push(HealthIssue {
                area: HealthArea::History,
                code: e.code,
                message: format!(
                    "O histórico não abriu, e sem ele nenhuma consulta é feita (toda consulta é registrada). {} \
                     Depois de corrigir, use «Tentar de novo».",
                    e.message
                ),
            });
        }
        let agency = self.settings.policy.policy().and_then(|p| p.agency_store.as_ref()).and_then(|s| s.link.get());
        if let Some(e) = agency.and_then(|link| link.setup_problem()) {
            out.push(HealthIssue {
                area: HealthArea::AgencyStore,
                code: e.code,
                message: format!(
                    "O banco central da agência não pode ser usado, e sem ele nenhuma consulta dos perfis reais é feita \
                     (toda consulta conta na cota da agência). {} Depois de corrigir, use «Tentar de novo».",
                    e.message
                ),
            });
        }
        let active = self.active.read().await;
        if let Some(e) = &active.unusable {
            out.push(HealthIssue {
                area: HealthArea::ActiveProfile,
                code: e.code,
                message: format!(
                    "O perfil ativo «{}» não pode consultar: {} Grave a chave e o segredo em Configurações (ou mude \
                     para a Demonstração) e use «Tentar de novo».",
                    active.profile.name, e.message
                ),
            });
        }
        out
    }

    /// «Tentar de novo»: opens the history again if it failed, rebuilds the active profile's client (reading its
    /// credentials again), reads the lock's PIN again if it could not be read. Returns what is still missing.
    pub async fn retry(&self) -> Vec<HealthIssue> {
        let _turn = self.retry_turn.lock().await;
        if self.history_handle().is_err() {
            let reopened = open_history(self.data_dir.clone(), self.secrets.clone(), self.recovery_key.clone()).await;
            self.history.replace(reopened);
        }
        let (profile, was_unusable) = {
            let a = self.active.read().await;
            (a.profile.clone(), a.unusable.is_some())
        };
        let settings = self.settings.read().await.settings.clone();
        match build_client(
            &profile,
            &settings,
            self.secrets.as_ref(),
            CredentialSource::Keyring,
            &self.settings.policy,
            &self.history_handle(),
        )
        .await
        {
            Ok(client) => {
                let mut active = self.active.write().await;
                // Unless the clerk switched profile meanwhile.
                if active.profile.id == profile.id {
                    *active = Active { profile, client, unusable: None };
                }
            }
            Err(e) if was_unusable => {
                tracing::warn!(code = ?e.code, "active profile still unusable");
                let mut active = self.active.write().await;
                if active.profile.id == profile.id {
                    active.unusable = Some(e);
                }
            }
            Err(e) => tracing::warn!(code = ?e.code, "active profile client not rebuilt; the current one stays"),
        }
        // The agency store again too: its setup may have failed for the history or a key IT has stored since.
        if let Some(link) = crate::agency_link::attach(&self.settings.policy, &self.history_handle()) {
            link.run_in_background();
        }
        if self.lock.pin_set().is_none()
            && let Err(e) = self.lock_service.read_pin_hash().await
        {
            tracing::warn!(code = ?e.code, "lock PIN still unreadable");
        }
        self.health().await
    }
}
