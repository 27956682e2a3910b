//! What the services share, each piece behind its own `Arc` so that a service holds only the pieces it needs:
//! settings.json ([`SettingsCell`]), the history ([`HistoryCell`]), the active profile ([`ActiveCell`]) and who is
//! acting ([`Who`]: the signed-in clerk, or the configured CPF, and the OS user).

use std::sync::{Arc, PoisonError};

use balcao_core::api::{Environment, Settings};
use balcao_core::{AppError, Cpf};
use balcao_gov::GovClient;
use balcao_history::{Actor, History};
use tokio::sync::{RwLock, RwLockWriteGuard};

use crate::Active;
use crate::clerks::{ClerkPolicy, clerk_required_error};
use crate::lock::IdleLock;
use crate::managed::PolicyState;
use crate::session::{HistorySlot, on_history};
use crate::settings_store::{SettingsFile, SettingsStore};

/// settings.json (its store and what it holds now: the clerk's own) and the managed policy read at start; what
/// Balcão runs with is [`SettingsCell::read`], the policy over the clerk's file.
#[derive(Debug)]
pub(crate) struct SettingsCell {
    pub(crate) store: SettingsStore,
    pub(crate) policy: PolicyState,
    file: RwLock<SettingsFile>,
}

impl SettingsCell {
    pub(crate) fn new(store: SettingsStore, policy: PolicyState, file: SettingsFile) -> Self {
        Self { store, policy, file: RwLock::new(file) }
    }

    /// The effective settings, profiles and clerk policy (the policy over the clerk's settings.json).
    pub(crate) async fn read(&self) -> SettingsFile {
        self.policy.effective(&*self.file.read().await)
    }

    /// The clerk's own file, to change and save (never the policy's values: see [`PolicyState::keep_own`]).
    pub(crate) async fn write(&self) -> RwLockWriteGuard<'_, SettingsFile> {
        self.file.write().await
    }
}

/// The history, or why it could not be opened (then no lookup is made: every lookup must be audited); «Tentar de
/// novo» opens it again.
#[derive(Debug)]
pub(crate) struct HistoryCell(std::sync::RwLock<HistorySlot>);

impl HistoryCell {
    pub(crate) fn new(slot: HistorySlot) -> Self {
        Self(std::sync::RwLock::new(slot))
    }

    /// The history, or the reason it is unavailable.
    pub(crate) fn handle(&self) -> HistorySlot {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn replace(&self, slot: HistorySlot) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = slot;
    }

    /// Runs a closure on the history off the async threads; fails with the reason the history is unavailable.
    pub(crate) async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut History) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        on_history(self.handle()?, f).await
    }
}

/// The Demonstração simulator, when one runs (started at start or when Demonstração is activated).
pub(crate) type SimCell = RwLock<Option<balcao_sim::SimHandle>>;

/// The active profile and its client.
pub(crate) type ActiveCell = RwLock<Active>;

/// Who is acting: the clerk signed in at the lock, else the CPF configured in settings; and the OS user.
#[derive(Debug)]
pub(crate) struct Who {
    pub(crate) lock: Arc<IdleLock>,
    pub(crate) os_user: String,
}

impl Who {
    /// The signed-in clerk's CPF, if any.
    pub(crate) fn signed_in_cpf(&self) -> Option<Cpf> {
        self.lock.signed_in().map(|c| c.cpf)
    }

    /// Who an export, purge or retention is recorded as under `settings`.
    pub(crate) fn actor_for(&self, settings: &Settings) -> Actor {
        Actor {
            clerk_cpf: self.signed_in_cpf().or_else(|| settings.clerk_cpf.as_deref().and_then(|c| Cpf::parse(c).ok())),
            os_user: self.os_user.clone(),
        }
    }

    /// Who an action is recorded as now.
    pub(crate) async fn actor(&self, settings: &SettingsCell) -> Actor {
        self.actor_for(&settings.read().await.settings)
    }

    /// The client and clerk CPF for a call through `active`: the signed-in clerk is named (and wins over the
    /// configured CPF); without one, refused where the agency requires a signed-in clerk (Demonstração excepted).
    pub(crate) async fn caller(
        &self,
        active: &Active,
        settings: &SettingsCell,
    ) -> Result<(Option<Cpf>, GovClient), AppError> {
        match self.signed_in_cpf() {
            Some(cpf) => Ok((Some(cpf), active.client.for_clerk(cpf))),
            None => {
                let required = ClerkPolicy::of(&settings.read().await).required;
                if required && active.profile.environment != Environment::Demonstracao {
                    return Err(clerk_required_error());
                }
                Ok((active.client.clerk_cpf(), active.client.clone()))
            }
        }
    }

    /// Fails with the reason the active profile cannot make calls, if any; also without a signed-in clerk where the
    /// agency requires one (Demonstração excepted).
    pub(crate) async fn usable(&self, active: &ActiveCell, settings: &SettingsCell) -> Result<(), AppError> {
        let active = active.read().await.clone();
        match &active.unusable {
            Some(e) => Err(e.clone()),
            None => self.caller(&active, settings).await.map(|_| ()),
        }
    }
}
