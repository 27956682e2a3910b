//! The managed policy in force: the effective settings (the policy over the clerk's settings.json for every field
//! it sets), what Configurações shows as managed, and the refusal of every change to what the policy sets. A broken
//! policy file freezes everything: no profile but the Demonstração, strict settings, nothing saved.

use balcao_core::api::{ManagedSettings, Settings};
use balcao_core::profile::DEMO_PROFILE_ID;
use balcao_core::{AppError, ErrorCode};

use crate::policy::{ManagedPolicy, PolicyError};
use crate::settings_store::SettingsFile;

/// The idle lock while the policy file is broken, when the clerk's own is longer or off: the default's 10 minutes.
const BROKEN_IDLE_LOCK_MINUTES: u32 = 10;

/// The managed policy read at start: none, the policy, or why its file was refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum PolicyState {
    /// No policy file on this PC: the clerk's settings and profiles apply.
    #[default]
    Absent,
    Managed(Box<ManagedPolicy>),
    /// The file is there but could not be used: only the Demonstração, nothing changed, until IT fixes it.
    Broken(PolicyError),
}

impl PolicyState {
    /// The state of the policy folder `dir`.
    pub fn load(dir: &std::path::Path) -> PolicyState {
        match crate::policy::load_policy(dir) {
            Ok(None) => PolicyState::Absent,
            Ok(Some(p)) => PolicyState::Managed(Box::new(p)),
            Err(e) => {
                tracing::warn!(file = %e.file.display(), line = ?e.line, field = ?e.field, "managed policy refused");
                PolicyState::Broken(e)
            }
        }
    }

    /// The policy, when there is a usable one.
    pub fn policy(&self) -> Option<&ManagedPolicy> {
        match self {
            PolicyState::Managed(p) => Some(p),
            _ => None,
        }
    }

    /// Why the policy file was refused, when it was.
    pub fn broken(&self) -> Option<&PolicyError> {
        match self {
            PolicyState::Broken(e) => Some(e),
            _ => None,
        }
    }

    /// What Balcão runs with: the policy over the clerk's own file `own` for every field it sets; the agency's
    /// profiles first (a clerk's profile of the same id is hidden), the clerk's own only when the policy allows
    /// them. With a broken policy: no profile but the Demonstração and no looser setting than the defaults.
    pub fn effective(&self, own: &SettingsFile) -> SettingsFile {
        let mut file = own.clone();
        file.settings.managed = self.view();
        match self {
            PolicyState::Absent => {}
            PolicyState::Managed(p) => {
                let s = &mut file.settings;
                if let Some(v) = p.purpose_required {
                    s.purpose_required = v;
                }
                if let Some(v) = p.idle_lock_minutes {
                    s.idle_lock_minutes = Some(v);
                }
                if let Some(v) = p.retention {
                    s.retention = v;
                }
                let mut profiles = p.profiles.clone();
                if p.clerks_may_add_profiles {
                    profiles.extend(own.profiles.iter().filter(|o| !p.profiles.iter().any(|m| m.id == o.id)).cloned());
                }
                file.profiles = profiles;
                if let Some(c) = &p.clerks {
                    file.clerk_policy = c.clone();
                }
            }
            PolicyState::Broken(_) => {
                let s = &mut file.settings;
                s.active_profile = DEMO_PROFILE_ID.to_owned();
                s.purpose_required = true;
                s.idle_lock_minutes =
                    Some(s.idle_lock_minutes.map_or(BROKEN_IDLE_LOCK_MINUTES, |m| m.min(BROKEN_IDLE_LOCK_MINUTES)));
                file.profiles.clear();
            }
        }
        file
    }

    /// What Configurações shows as managed.
    pub fn view(&self) -> ManagedSettings {
        match self {
            PolicyState::Absent => ManagedSettings::default(),
            PolicyState::Managed(p) => ManagedSettings {
                policy_file: Some(p.file.display().to_string()),
                broken: None,
                purpose_required: p.purpose_required.is_some(),
                retention: p.retention.is_some(),
                idle_lock_minutes: p.idle_lock_minutes.is_some(),
                pin_required: p.pin_required == Some(true),
                no_clerk_profiles: !p.clerks_may_add_profiles,
            },
            PolicyState::Broken(e) => ManagedSettings {
                policy_file: Some(e.file.display().to_string()),
                broken: Some(e.message()),
                purpose_required: true,
                retention: true,
                idle_lock_minutes: true,
                pin_required: true,
                no_clerk_profiles: true,
            },
        }
    }

    /// Whether `id` is one of the agency's profiles.
    pub fn is_managed_profile(&self, id: &str) -> bool {
        self.policy().is_some_and(|p| p.profiles.iter().any(|m| m.id == id))
    }

    /// Refuses a settings change to a field the policy sets (`current`: the effective settings now), and any change
    /// while the policy file is broken.
    pub fn check_settings_change(&self, current: &Settings, next: &Settings) -> Result<(), AppError> {
        self.refuse_while_broken()?;
        let Some(p) = self.policy() else { return Ok(()) };
        let changed = [
            (
                p.purpose_required.is_some() && next.purpose_required != current.purpose_required,
                "A finalidade obrigatória",
            ),
            (p.retention.is_some() && next.retention != current.retention, "A retenção do histórico"),
            (
                p.idle_lock_minutes.is_some() && next.idle_lock_minutes != current.idle_lock_minutes,
                "O bloqueio por inatividade",
            ),
        ];
        match changed.iter().find(|(c, _)| *c) {
            Some((_, what)) => Err(managed_error(what, p)),
            None => Ok(()),
        }
    }

    /// Keeps, in the clerk's file, their own value of each field the policy sets (the policy's never lands in
    /// settings.json: removing the policy gives the clerk's settings back).
    pub fn keep_own(&self, next: &mut Settings, own: &Settings) {
        next.managed = ManagedSettings::default();
        let Some(p) = self.policy() else { return };
        if p.purpose_required.is_some() {
            next.purpose_required = own.purpose_required;
        }
        if p.idle_lock_minutes.is_some() {
            next.idle_lock_minutes = own.idle_lock_minutes;
        }
    }

    /// Refuses saving profile `id` (`exists`: it is already one of the clerk's own) where the policy does not allow
    /// it: an agency profile, or a new one when clerks may not add profiles; anything while the policy is broken.
    pub fn check_profile_save(&self, id: &str, exists: bool) -> Result<(), AppError> {
        self.refuse_while_broken()?;
        let Some(p) = self.policy() else { return Ok(()) };
        if self.is_managed_profile(id) {
            return Err(managed_profile_error(id, p));
        }
        if !p.clerks_may_add_profiles && !exists {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "A TI da agência não permite cadastrar perfis neste computador: use os perfis da agência \
                     (definido pela TI em {}).",
                    p.file.display()
                ),
            ));
        }
        Ok(())
    }

    /// Refuses deleting an agency profile (and anything while the policy is broken).
    pub fn check_profile_delete(&self, id: &str) -> Result<(), AppError> {
        self.refuse_while_broken()?;
        match self.policy() {
            Some(p) if self.is_managed_profile(id) => Err(managed_profile_error(id, p)),
            _ => Ok(()),
        }
    }

    /// Refuses removing the lock's PIN where the policy requires one (and anything while the policy is broken).
    pub fn check_pin_removal(&self) -> Result<(), AppError> {
        self.refuse_while_broken()?;
        match self.policy() {
            Some(p) if p.pin_required == Some(true) => Err(managed_error("O PIN de bloqueio obrigatório", p)),
            _ => Ok(()),
        }
    }

    /// Refuses activating a profile other than the Demonstração while the policy is broken.
    pub fn check_activate(&self, id: &str) -> Result<(), AppError> {
        if id == DEMO_PROFILE_ID { Ok(()) } else { self.refuse_while_broken() }
    }

    /// Refuses any change while the policy file is broken.
    pub fn refuse_while_broken(&self) -> Result<(), AppError> {
        match self.broken() {
            Some(e) => Err(broken_error(e)),
            None => Ok(()),
        }
    }
}

/// "… é definido pela TI …": the refusal of a change to a managed field.
fn managed_error(what: &str, p: &ManagedPolicy) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "{what} é definido pela TI da agência ({}) e não pode ser alterado aqui. Nada foi salvo.",
            p.file.display()
        ),
    )
}

fn managed_profile_error(id: &str, p: &ManagedPolicy) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "O perfil «{id}» é definido pela TI da agência ({}) e não pode ser alterado, substituído nem excluído \
             aqui. Nada foi salvo.",
            p.file.display()
        ),
    )
}

/// While the policy file is broken nothing is changed: the clerk's own settings must not take the policy's place.
pub fn broken_error(e: &PolicyError) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "{} Enquanto a TI não corrigir o arquivo, só a Demonstração funciona e nada pode ser alterado nas \
             Configurações.",
            e.message()
        ),
    )
}

/// The clerk's settings.json in `data_dir` under the policy of `policy_dir`: the policy's state and the effective
/// file (what the CLI runs with, as the window does).
pub fn load_effective(
    data_dir: &std::path::Path,
    policy_dir: &std::path::Path,
) -> Result<(PolicyState, SettingsFile), AppError> {
    let own = crate::settings_store::SettingsStore::new(data_dir).load()?;
    let policy = PolicyState::load(policy_dir);
    let file = policy.effective(&own);
    Ok((policy, file))
}
