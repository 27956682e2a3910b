//! The clerks of this PC: the agency's rules and list ([`ClerkPolicy`]), clerks added on the PC, each one's PIN (its
//! Argon2id hash in the OS keyring), signing in as oneself and naming the signed-in clerk on every call.

use balcao_core::lock_api::{ClerkEntry, ClerkSummary, ClerksView, LockStatus};
use balcao_core::{AppError, Cpf, ErrorCode, Sensitive};
use serde::{Deserialize, Serialize};

use crate::lock::LockService;
use crate::lock::{hash_pin, validate_pin};
use crate::settings_store::SettingsFile;

/// One clerk: CPF and name. The PIN is never here (its hash is in the OS keyring under [`clerk_pin_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clerk {
    pub cpf: Cpf,
    pub name: String,
}

impl Clerk {
    pub fn summary(&self) -> ClerkSummary {
        ClerkSummary { cpf: self.cpf.to_string(), masked: self.cpf.masked(), name: self.name.clone() }
    }
}

/// The agency's rules about clerks: the managed policy's `[clerks]` (policy.toml, #17) when it has one, else the
/// `clerkPolicy` section of settings.json ([`ClerkPolicy::of`] an effective settings file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClerkPolicy {
    /// No lookup leaves (outside Demonstração) without a signed-in clerk; the CLI needs `--atendente`.
    pub required: bool,
    /// Clerks may be added on this PC (Configurações); else only the listed ones sign in.
    pub pc_may_add: bool,
    /// The agency's clerks (managed: not removable on the PC).
    pub listed: Vec<Clerk>,
    /// The first PIN the agency gives a listed clerk (its Argon2id hash, from `balcao-cli admin pin-hash`): it
    /// signs them in until they choose their own, which then asks for it. Only from the managed policy.
    #[serde(skip)]
    pub initial_pins: Vec<(Cpf, Sensitive<String>)>,
}

impl Default for ClerkPolicy {
    fn default() -> Self {
        Self { required: false, pc_may_add: true, listed: Vec::new(), initial_pins: Vec::new() }
    }
}

impl ClerkPolicy {
    /// The policy in force for an effective settings file (where the managed policy's `[clerks]` replaced
    /// settings.json's: see `PolicyState::effective`).
    pub fn of(file: &SettingsFile) -> ClerkPolicy {
        file.clerk_policy.clone()
    }

    /// The agency's first PIN hash for `cpf`, when the policy gives one.
    pub fn initial_pin(&self, cpf: &Cpf) -> Option<&Sensitive<String>> {
        self.initial_pins.iter().find(|(c, _)| c == cpf).map(|(_, h)| h)
    }

    /// The clerks who may sign in: the listed ones (managed), then those added on the PC when the policy allows.
    pub fn clerks(&self, pc_added: &[Clerk]) -> Vec<(Clerk, bool)> {
        let mut out: Vec<(Clerk, bool)> = self.listed.iter().map(|c| (c.clone(), true)).collect();
        if self.pc_may_add {
            for c in pc_added {
                if !out.iter().any(|(o, _)| o.cpf == c.cpf) {
                    out.push((c.clone(), false));
                }
            }
        }
        out
    }
}

/// The secret-store key of a clerk's PIN hash (a PHC string). Never the PIN itself.
pub fn clerk_pin_key(cpf: &Cpf) -> String {
    format!("clerk/{cpf}/pin-hash")
}

/// The CPF a clerk typed (or picked), checked.
fn parse_cpf(input: &str) -> Result<Cpf, AppError> {
    Cpf::parse(input).map_err(|e| AppError::new(ErrorCode::InvalidDocument, format!("CPF do atendente: {e}")))
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    crate::errors::interrupted("A verificação do PIN", &e)
}

/// The refusal of a lookup without a signed-in clerk where the agency requires one.
pub fn clerk_required_error() -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        "A agência exige que o atendente se identifique: escolha quem está atendendo e digite o seu PIN (ou use a \
         Demonstração). Nenhuma consulta foi feita.",
    )
}

impl LockService {
    /// The clerk policy in force and the clerks who may sign in (managed flag each).
    pub(crate) async fn clerk_policy(&self) -> (ClerkPolicy, Vec<(Clerk, bool)>) {
        let file = self.settings.read().await;
        let policy = ClerkPolicy::of(&file);
        let clerks = policy.clerks(&file.clerks);
        (policy, clerks)
    }

    /// Whether this PC signs clerks in (it has clerks): then the lock screen asks «Quem está atendendo?».
    pub(crate) async fn refresh_clerk_mode(&self) {
        let (_, clerks) = self.clerk_policy().await;
        self.lock.set_clerk_mode(!clerks.is_empty());
    }

    /// The clerks of this PC and the policy, for Configurações and the sign-in screen.
    pub async fn clerks(&self) -> ClerksView {
        let (policy, clerks) = self.clerk_policy().await;
        let secrets = self.secrets.clone();
        let initial: Vec<Cpf> = policy.initial_pins.iter().map(|(c, _)| *c).collect();
        let entries = tokio::task::spawn_blocking(move || {
            clerks
                .into_iter()
                .map(|(c, managed)| {
                    let pin_set =
                        initial.contains(&c.cpf) || matches!(secrets.get(&clerk_pin_key(&c.cpf)), Ok(Some(_)));
                    ClerkEntry { clerk: c.summary(), managed, pin_set }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        ClerksView { required: policy.required, pc_may_add: policy.pc_may_add, clerks: entries }
    }

    /// Adds a clerk on this PC (when the policy allows), with their PIN (only its hash is kept, in the keyring).
    pub async fn clerk_add(&self, cpf: &str, name: &str, pin: Sensitive<String>) -> Result<ClerksView, AppError> {
        let cpf = parse_cpf(cpf)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(AppError::new(ErrorCode::Config, "Informe o nome do atendente (até 120 caracteres)."));
        }
        validate_pin(pin.expose())?;
        self.settings.policy.refuse_while_broken()?;
        {
            let (policy, clerks) = self.clerk_policy().await;
            if !policy.pc_may_add {
                return Err(AppError::new(
                    ErrorCode::Config,
                    "A TI da agência não permite cadastrar atendentes neste computador: só os da lista da agência \
                     entram. Peça à TI para incluir este atendente.",
                ));
            }
            if clerks.iter().any(|(c, _)| c.cpf == cpf) {
                return Err(AppError::new(ErrorCode::Config, "Este CPF já é de um atendente deste computador."));
            }
        }
        let secrets = self.secrets.clone();
        let key = clerk_pin_key(&cpf);
        tokio::task::spawn_blocking(move || {
            let hash = hash_pin(&pin)?;
            secrets.set(&key, &hash).map_err(AppError::from)
        })
        .await
        .map_err(join_error)??;
        {
            let mut file = self.settings.write().await;
            let mut next = file.clone();
            next.clerks.push(Clerk { cpf, name: name.to_owned() });
            self.settings.store.save(&next)?;
            *file = next;
        }
        self.refresh_clerk_mode().await;
        Ok(self.clerks().await)
    }

    /// Removes a clerk added on this PC (the agency's are not removable here) and their PIN hash.
    pub async fn clerk_remove(&self, cpf: &str) -> Result<ClerksView, AppError> {
        let cpf = parse_cpf(cpf)?;
        {
            self.settings.policy.refuse_while_broken()?;
            let mut file = self.settings.write().await;
            if ClerkPolicy::of(&self.settings.policy.effective(&file)).listed.iter().any(|c| c.cpf == cpf) {
                return Err(AppError::new(
                    ErrorCode::Config,
                    "Este atendente é da lista da agência (definido pela TI) e não pode ser removido aqui.",
                ));
            }
            let mut next = file.clone();
            next.clerks.retain(|c| c.cpf != cpf);
            self.settings.store.save(&next)?;
            *file = next;
        }
        self.secrets.delete(&clerk_pin_key(&cpf)).map_err(AppError::from)?;
        if self.lock.signed_in().is_some_and(|c| c.cpf == cpf) {
            self.lock.sign_out();
        }
        self.refresh_clerk_mode().await;
        Ok(self.clerks().await)
    }

    /// Sets or changes a clerk's PIN (a clerk of the agency's list gets theirs here the first time). Changing an
    /// existing PIN asks for the current one, with that clerk's back-off.
    pub async fn clerk_set_pin(
        &self,
        cpf: &str,
        new_pin: Sensitive<String>,
        current: Option<Sensitive<String>>,
    ) -> Result<ClerksView, AppError> {
        let cpf = parse_cpf(cpf)?;
        validate_pin(new_pin.expose())?;
        let (policy, clerks) = self.clerk_policy().await;
        if !clerks.iter().any(|(c, _)| c.cpf == cpf) {
            return Err(not_a_clerk());
        }
        let _turn = self.lock.turn.lock().await;
        let stored = self.read_clerk_pin(&cpf, policy.initial_pin(&cpf)).await?;
        if stored.is_some() {
            let current = current.filter(|c| !c.expose().is_empty());
            self.checked_pin(cpf.as_str(), current, stored, "O PIN atual não confere; nada foi alterado. ").await?;
        }
        let secrets = self.secrets.clone();
        let key = clerk_pin_key(&cpf);
        tokio::task::spawn_blocking(move || {
            let hash = hash_pin(&new_pin)?;
            secrets.set(&key, &hash).map_err(AppError::from)
        })
        .await
        .map_err(join_error)??;
        Ok(self.clerks().await)
    }

    /// The clerk's PIN hash: their own (keyring), else `initial`, the first one the agency's policy gives them.
    async fn read_clerk_pin(
        &self,
        cpf: &Cpf,
        initial: Option<&Sensitive<String>>,
    ) -> Result<Option<Sensitive<String>>, AppError> {
        let secrets = self.secrets.clone();
        let key = clerk_pin_key(cpf);
        let own = tokio::task::spawn_blocking(move || secrets.get(&key).map_err(AppError::from))
            .await
            .map_err(join_error)??;
        Ok(own.or_else(|| initial.cloned()))
    }

    /// «Quem está atendendo?»: signs `cpf` in with their own PIN, with their own back-off (kept across restarts).
    /// A wrong PIN signs nobody in and leaves the screen locked.
    pub async fn clerk_sign_in(&self, cpf: &str, pin: Sensitive<String>) -> Result<LockStatus, AppError> {
        let cpf = parse_cpf(cpf)?;
        let (policy, clerks) = self.clerk_policy().await;
        let clerk = clerks.into_iter().map(|(c, _)| c).find(|c| c.cpf == cpf).ok_or_else(not_a_clerk)?;
        let _turn = self.lock.turn.lock().await;
        let stored = self.read_clerk_pin(&cpf, policy.initial_pin(&cpf)).await?;
        if stored.is_none() {
            return Err(AppError::new(
                ErrorCode::Unauthorized,
                "Este atendente ainda não tem PIN. Um atendente já identificado cadastra o PIN em Configurações.",
            ));
        }
        self.checked_pin(cpf.as_str(), Some(pin), stored, "").await?;
        self.lock.sign_in(clerk);
        Ok(self.status())
    }

    /// Another clerk takes the counter: the screen locks and nobody is signed in until someone signs in.
    pub fn clerk_switch(&self) -> LockStatus {
        self.lock.sign_out();
        self.status()
    }
}

fn not_a_clerk() -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        "Este CPF não é de um atendente deste computador. Escolha seu nome na lista ou peça o cadastro.",
    )
}
