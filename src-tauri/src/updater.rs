//! Updates, the Tauri plumbing: the key this build trusts (a build input), the check at start and on demand, the
//! signed download, and the install the clerk chooses. What may be installed, from where and when is the policy in
//! `balcao_service::update_policy` (Tauri-free, with its own tests).

use balcao_command::command;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use balcao_core::lock_api::{UpdateCheck, UpdateProgress, UpdateState};
use balcao_core::{AppError, ErrorCode};
pub use balcao_service::update_policy::{
    ENDPOINTS_ENV, POLICY_FILE, Resolved, UpdateSource, install_after_download_allowed, install_allowed, policy_files,
    resolve, up_to_date_message, validate_pubkey,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_updater::{Error as UpError, Update, UpdaterExt};

use crate::activity::Activity;

/// The public key of the TEST key pair in `src-tauri/keys/` (its private key is in the repository: tests only).
pub const TEST_PUBKEY: &str = include_str!("../keys/balcao-updater-TEST-ONLY.key.pub");

const TIMEOUT: Duration = Duration::from_secs(60);

/// The key this build trusts: `BALCAO_UPDATER_PUBKEY` at build time (the production key, a build input); debug
/// builds without it trust the test key; release builds without it have no updater.
pub fn built_in_pubkey() -> Option<&'static str> {
    match option_env!("BALCAO_UPDATER_PUBKEY").map(str::trim) {
        Some(k) if !k.is_empty() => Some(k),
        _ if cfg!(debug_assertions) => Some(TEST_PUBKEY.trim()),
        _ => None,
    }
}

/// The endpoint built into this release (`BALCAO_UPDATE_ENDPOINT` at build time), used when IT configured none.
pub fn built_in_endpoint() -> Option<&'static str> {
    option_env!("BALCAO_UPDATE_ENDPOINT").map(str::trim).filter(|s| !s.is_empty())
}

/// The update found by the last check, waiting for the clerk; and whether an install is running.
#[derive(Default)]
pub struct Updates {
    pending: Mutex<Option<Update>>,
    installing: std::sync::atomic::AtomicBool,
    startup: tokio::sync::OnceCell<Result<UpdateCheck, AppError>>,
}

impl std::fmt::Debug for Updates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self.pending.lock().ok().and_then(|p| p.as_ref().map(|u| u.version.clone()));
        f.debug_struct("Updates").field("pending", &pending).finish_non_exhaustive()
    }
}

/// Asks the source's endpoints for a newer version. `Available` comes with the update to download; an older or
/// equal version is `UpToDate` and says which version was offered.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    source: &UpdateSource,
) -> Result<(UpdateCheck, Option<Update>), AppError> {
    let current = app.package_info().version.to_string();
    let offered: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = offered.clone();
    let updater = app
        .updater_builder()
        .pubkey(source.pubkey.clone())
        .timeout(TIMEOUT)
        .version_comparator(move |current, release| {
            if let Ok(mut s) = seen.lock() {
                *s = Some(release.version.to_string());
            }
            release.version > current
        })
        .endpoints(source.endpoints.clone())
        .and_then(tauri_plugin_updater::UpdaterBuilder::build)
        .map_err(|e| explain(&e))?;
    let found = updater.check().await.map_err(|e| explain(&e))?;
    let offered = offered.lock().ok().and_then(|s| s.clone());
    Ok(match found {
        Some(mut update) => {
            update.timeout = Some(TIMEOUT);
            let info = UpdateCheck {
                state: UpdateState::Available,
                current_version: current.clone(),
                offered_version: Some(update.version.clone()),
                date: update.date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
                notes: update.body.clone(),
                message: format!(
                    "A versão {} do Balcão está disponível (esta é a {current}). Instale quando não houver atendimento em andamento.",
                    update.version
                ),
            };
            (info, Some(update))
        }
        None => {
            let message = up_to_date_message(&current, offered.as_deref());
            let info = UpdateCheck {
                state: UpdateState::UpToDate,
                current_version: current,
                offered_version: offered,
                date: None,
                notes: None,
                message,
            };
            (info, None)
        }
    })
}

/// Downloads the update and verifies its signature with the trusted key; only verified bytes come back.
pub async fn download(update: &Update, mut progress: impl FnMut(UpdateProgress)) -> Result<Vec<u8>, AppError> {
    let mut downloaded = 0u64;
    update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                progress(UpdateProgress { downloaded, total });
            },
            || {},
        )
        .await
        .map_err(|e| explain(&e))
}

/// The clerk-facing (pt-BR) explanation of an updater failure. Nothing is ever installed after one of these.
pub fn explain(e: &UpError) -> AppError {
    let (code, msg): (ErrorCode, String) = match e {
        UpError::Minisign(_) => (
            ErrorCode::Upstream,
            "A assinatura da atualização não confere com a chave do Balcão: o arquivo foi alterado no caminho ou foi \
             assinado por outra chave. Nada foi instalado. Avise a TI."
                .into(),
        ),
        UpError::Base64(_) | UpError::SignatureUtf8(_) => (
            ErrorCode::Upstream,
            "O servidor de atualização não enviou uma assinatura válida (o campo «signature» deve ter o conteúdo do \
             arquivo .sig, não um endereço nem outro texto). Nada foi instalado. Avise a TI."
                .into(),
        ),
        UpError::SignedVersionMismatch { signed, announced } => (
            ErrorCode::Upstream,
            format!(
                "O servidor anunciou a versão {announced}, mas o arquivo assinado é da versão {signed}. Nada foi \
                 instalado. Avise a TI."
            ),
        ),
        UpError::MissingSignedVersion => (
            ErrorCode::Upstream,
            "A assinatura da atualização não diz para qual versão foi feita. Nada foi instalado; a TI deve \
             reassinar o pacote."
                .into(),
        ),
        UpError::EmptyEndpoints => (ErrorCode::Config, "Nenhum endereço de atualização configurado.".into()),
        UpError::InsecureTransportProtocol => {
            (ErrorCode::Config, "O endereço de atualização precisa usar https. Avise a TI.".into())
        }
        UpError::UrlParse(_) => {
            (ErrorCode::Config, "O endereço de atualização não é uma URL válida. Avise a TI.".into())
        }
        UpError::ReleaseNotFound | UpError::Serialization(_) | UpError::Semver(_) => (
            ErrorCode::Upstream,
            "O servidor de atualização não respondeu com uma descrição de versão válida. Avise a TI.".into(),
        ),
        UpError::TargetNotFound(t) => {
            (ErrorCode::Upstream, format!("O servidor não tem atualização para este sistema ({t})."))
        }
        UpError::TargetsNotFound(t) => {
            (ErrorCode::Upstream, format!("O servidor não tem atualização para este sistema ({}).", t.join(", ")))
        }
        UpError::Network(detail) => (
            ErrorCode::Network,
            format!("O servidor de atualização recusou o pedido ({detail}). Tente mais tarde ou avise a TI."),
        ),
        UpError::Reqwest(r) => reqwest_failure(r.is_timeout(), r.is_connect(), r.is_decode(), &format!("{r:?}")),
        UpError::DebInstallFailed | UpError::PackageInstallFailed | UpError::AuthenticationFailed => (
            ErrorCode::Internal,
            "A atualização foi baixada e conferida, mas o sistema não a instalou (permissão negada ou cancelada). \
             Peça à TI para instalar."
                .into(),
        ),
        other => (ErrorCode::Internal, format!("A atualização falhou ({other}). Nada foi instalado. Avise a TI.")),
    };
    AppError::new(code, msg)
}

fn reqwest_failure(timeout: bool, connect: bool, decode: bool, text: &str) -> (ErrorCode, String) {
    if timeout {
        (ErrorCode::Timeout, "O servidor de atualização demorou demais para responder. Tente mais tarde.".into())
    } else if text.contains("certificate") || text.contains("UnknownIssuer") || text.contains("InvalidCertificate") {
        (
            ErrorCode::Tls,
            "O certificado do servidor de atualização não é confiável neste computador. Se a rede do órgão usa um \
             proxy que inspeciona HTTPS, a TI precisa instalar a autoridade certificadora dele no sistema."
                .into(),
        )
    } else if connect {
        (
            ErrorCode::Network,
            "Não foi possível conectar ao servidor de atualização (rede, proxy ou endereço). Tente mais tarde ou avise a TI."
                .into(),
        )
    } else if decode {
        (
            ErrorCode::Upstream,
            "O servidor de atualização não respondeu com uma descrição de versão válida. Avise a TI.".into(),
        )
    } else {
        (
            ErrorCode::Network,
            "A comunicação com o servidor de atualização falhou. Tente mais tarde ou avise a TI.".into(),
        )
    }
}

/// The source for this machine now (environment, policy files, build inputs).
pub fn current_source(data_dir: &Path) -> Resolved {
    resolve(
        std::env::var(ENDPOINTS_ENV).ok().as_deref(),
        &policy_files(data_dir),
        built_in_endpoint(),
        built_in_pubkey(),
    )
}

fn disabled_check<R: Runtime>(app: &AppHandle<R>, reason: String) -> UpdateCheck {
    UpdateCheck {
        state: UpdateState::Disabled,
        current_version: app.package_info().version.to_string(),
        offered_version: None,
        date: None,
        notes: None,
        message: reason,
    }
}

/// The start-up check (once per run): its result waits in [`Updates`] for the window's `update_status` call.
pub async fn check_on_start<R: Runtime>(app: AppHandle<R>, data_dir: PathBuf) -> Result<UpdateCheck, AppError> {
    let updates = app.state::<Updates>();
    updates
        .startup
        .get_or_init(|| async {
            let source = match current_source(&data_dir) {
                Resolved::Ready(s) if s.check_on_start => s,
                Resolved::Ready(_) => {
                    let mut c =
                        disabled_check(&app, "A TI desativou a verificação ao iniciar; use «Verificar agora».".into());
                    c.state = UpdateState::NotChecked;
                    return Ok(c);
                }
                Resolved::Disabled(reason) => return Ok(disabled_check(&app, reason)),
            };
            let (info, update) = check(&app, &source).await.inspect_err(|e| {
                tracing::warn!(code = ?e.code, "update check at start failed");
            })?;
            if let Ok(mut p) = updates.pending.lock() {
                *p = update;
            }
            Ok(info)
        })
        .await
        .clone()
}

/// What the start-up check found (waits for it when it is still running). The window calls this once it is up
/// and shows a notice when an update is available.
#[command]
pub async fn update_status<R: Runtime>(app: AppHandle<R>) -> Result<UpdateCheck, AppError> {
    check_on_start(app, balcao_platform::data_dir()).await
}

/// Checks now (the clerk asked).
#[command]
pub async fn update_check<R: Runtime>(app: AppHandle<R>, updates: State<'_, Updates>) -> Result<UpdateCheck, AppError> {
    let source = match current_source(&balcao_platform::data_dir()) {
        Resolved::Ready(s) => s,
        Resolved::Disabled(reason) => return Ok(disabled_check(&app, reason)),
    };
    let (info, update) = check(&app, &source).await?;
    if let Ok(mut p) = updates.pending.lock() {
        *p = update;
    }
    Ok(info)
}

/// Downloads, verifies and installs the update the last check found, then restarts into it. Refused while a
/// lookup or batch runs; the clerk chooses the moment.
#[command]
pub async fn update_install<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, Updates>,
    activity: State<'_, Activity>,
    on_progress: Channel<UpdateProgress>,
) -> Result<(), AppError> {
    use std::sync::atomic::Ordering;
    install_allowed(activity.is_busy(), false)?;
    let update = updates.pending.lock().ok().and_then(|p| p.clone()).ok_or_else(|| {
        AppError::new(ErrorCode::Config, "Nenhuma atualização pendente: verifique se há atualizações primeiro.")
    })?;
    install_allowed(false, updates.installing.swap(true, Ordering::SeqCst))?;
    let result = async {
        let bytes = download(&update, move |p| {
            let _ = on_progress.send(p);
        })
        .await?;
        install_after_download_allowed(activity.is_busy())?;
        update.install(bytes).map_err(|e| explain(&e))
    }
    .await;
    updates.installing.store(false, Ordering::SeqCst);
    result?;
    tracing::info!(version = %update.version, "update installed, restarting");
    app.restart()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_builds_trust_the_test_key_unless_a_production_key_is_built_in() {
        let k = built_in_pubkey().expect("debug builds have a key");
        assert!(validate_pubkey(k).is_ok());
        assert!(validate_pubkey(TEST_PUBKEY).is_ok());
    }
}
