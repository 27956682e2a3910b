//! Updates: where to look (IT's mirror), which key to trust (a build input), the check at start and on demand,
//! the signed download, and the install the clerk chooses — never while a lookup or batch runs.

use balcao_command::command;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use balcao_core::lock_api::{UpdateCheck, UpdateProgress, UpdateState};
use balcao_core::{AppError, ErrorCode};
use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, Url};
use tauri_plugin_updater::{Error as UpError, Update, UpdaterExt};

use crate::activity::Activity;

/// Update endpoints for this machine, space- or comma-separated (overrides the policy files).
pub const ENDPOINTS_ENV: &str = "BALCAO_UPDATE_ENDPOINTS";
/// The policy file IT deploys (system folder) or a user keeps in the data folder.
pub const POLICY_FILE: &str = "update.json";
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

/// The policy files, most authoritative first: the system-wide one IT deploys, then the user's.
pub fn policy_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if cfg!(target_os = "linux") {
        v.push(PathBuf::from("/etc/balcao").join(POLICY_FILE));
    } else if cfg!(target_os = "macos") {
        v.push(PathBuf::from("/Library/Application Support/br.gov.balcao").join(POLICY_FILE));
    } else if cfg!(windows) {
        let base = std::env::var_os("ProgramData").map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
        v.push(base.join("Balcao").join(POLICY_FILE));
    }
    v.push(data_dir.join(POLICY_FILE));
    v
}

/// What `update.json` may say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// The agency's mirror(s), tried in order (`{{target}}`, `{{arch}}`, `{{current_version}}` are replaced).
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// IT distributes updates by other means: never check.
    #[serde(default)]
    pub disabled: bool,
    /// Check when the app starts (default true); the clerk can always check on demand.
    pub check_on_start: Option<bool>,
}

/// Where updates come from and which key signs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSource {
    pub endpoints: Vec<Url>,
    pub pubkey: String,
    pub check_on_start: bool,
    /// Where the endpoints were configured (for diagnostics).
    pub origin: String,
}

/// The configured source, or why updates are off (pt-BR, shown to the clerk and in diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Ready(UpdateSource),
    Disabled(String),
}

/// Resolves the source: the environment, then the first policy file that exists, then the built-in endpoint.
pub fn resolve(
    env_endpoints: Option<&str>,
    files: &[PathBuf],
    built_in_endpoint: Option<&str>,
    pubkey: Option<&str>,
) -> Resolved {
    let Some(pubkey) = pubkey else {
        return Resolved::Disabled(
            "Esta compilação do Balcão não traz a chave pública de atualização: as atualizações são feitas pela TI."
                .into(),
        );
    };
    if let Err(e) = validate_pubkey(pubkey) {
        return Resolved::Disabled(format!(
            "A chave pública de atualização desta compilação é inválida ({e}). Avise a TI."
        ));
    }
    let (raw, origin, check_on_start) = if let Some(env) = env_endpoints.filter(|s| !s.trim().is_empty()) {
        let list = env.split([',', ' ', '\n']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        (list, format!("variável {ENDPOINTS_ENV}"), true)
    } else if let Some((file, policy)) = first_policy(files) {
        let policy = match policy {
            Ok(p) => p,
            Err(e) => {
                return Resolved::Disabled(format!(
                    "O arquivo de atualização {} está inválido ({e}). Avise a TI.",
                    file.display()
                ));
            }
        };
        if policy.disabled {
            return Resolved::Disabled(format!(
                "A TI desativou as atualizações automáticas nesta máquina ({}).",
                file.display()
            ));
        }
        (policy.endpoints, file.display().to_string(), policy.check_on_start.unwrap_or(true))
    } else if let Some(url) = built_in_endpoint {
        (vec![url.to_owned()], "endereço padrão desta compilação".to_owned(), true)
    } else {
        return Resolved::Disabled(format!(
            "Nenhum endereço de atualização configurado. A TI pode indicar o espelho do órgão em {} ou na variável {ENDPOINTS_ENV}.",
            files.first().map_or_else(|| POLICY_FILE.to_owned(), |f| f.display().to_string())
        ));
    };
    let mut endpoints = Vec::new();
    for s in &raw {
        match Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "https" | "http") => endpoints.push(u),
            _ => {
                return Resolved::Disabled(format!("O endereço de atualização «{s}» ({origin}) não é uma URL válida."));
            }
        }
    }
    if endpoints.is_empty() {
        return Resolved::Disabled(format!("Nenhum endereço de atualização em {origin}."));
    }
    Resolved::Ready(UpdateSource { endpoints, pubkey: pubkey.to_owned(), check_on_start, origin })
}

fn first_policy(files: &[PathBuf]) -> Option<(&PathBuf, Result<Policy, String>)> {
    files.iter().find_map(|f| match std::fs::read_to_string(f) {
        Ok(text) => Some((f, serde_json::from_str::<Policy>(&text).map_err(|e| e.to_string()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some((f, Err(e.to_string()))),
    })
}

/// Checks that a key is what `tauri signer generate` writes to `.key.pub`: base64 of a minisign public key file.
pub fn validate_pubkey(pubkey: &str) -> Result<(), String> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD
        .decode(pubkey.trim())
        .map_err(|_| "não é base64".to_owned())
        .and_then(|b| String::from_utf8(b).map_err(|_| "não é texto".to_owned()))?;
    let key_line = text.lines().nth(1).unwrap_or_default();
    let key =
        base64::engine::general_purpose::STANDARD.decode(key_line.trim()).map_err(|_| "linha da chave ilegível")?;
    if text.starts_with("untrusted comment:") && key.len() == 42 && key.starts_with(b"Ed") {
        Ok(())
    } else {
        Err("não é uma chave pública minisign".into())
    }
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
            let message = match &offered {
                Some(v) if *v != current => format!(
                    "O servidor de atualização oferece a versão {v}, que não é mais nova que a instalada ({current}): nada a instalar. Voltar a uma versão anterior não é permitido."
                ),
                _ => format!("O Balcão está atualizado (versão {current})."),
            };
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
    if activity.is_busy() {
        return Err(AppError::new(
            ErrorCode::Busy,
            "Há uma consulta ou um lote em andamento. Instale a atualização quando terminar.",
        ));
    }
    let update = updates.pending.lock().ok().and_then(|p| p.clone()).ok_or_else(|| {
        AppError::new(ErrorCode::Config, "Nenhuma atualização pendente: verifique se há atualizações primeiro.")
    })?;
    if updates.installing.swap(true, Ordering::SeqCst) {
        return Err(AppError::new(ErrorCode::Busy, "A atualização já está sendo instalada."));
    }
    let result = async {
        let bytes = download(&update, move |p| {
            let _ = on_progress.send(p);
        })
        .await?;
        if activity.is_busy() {
            return Err(AppError::new(
                ErrorCode::Busy,
                "Uma consulta começou durante o download. Instale a atualização quando terminar.",
            ));
        }
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

    fn files(dir: &Path) -> Vec<PathBuf> {
        vec![dir.join("system").join(POLICY_FILE), dir.join("user").join(POLICY_FILE)]
    }

    #[test]
    fn the_test_key_is_a_valid_minisign_public_key_and_garbage_is_not() {
        assert!(validate_pubkey(TEST_PUBKEY).is_ok());
        assert!(validate_pubkey("https://example.org/key.pub").is_err());
        assert!(validate_pubkey("").is_err());
    }

    #[test]
    fn without_a_key_or_an_endpoint_updates_are_off_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let Resolved::Disabled(why) = resolve(None, &files(dir.path()), Some("https://x/latest.json"), None) else {
            panic!("no key must disable updates")
        };
        assert!(why.contains("chave pública"));
        let Resolved::Disabled(why) = resolve(None, &files(dir.path()), None, Some(TEST_PUBKEY)) else {
            panic!("no endpoint must disable updates")
        };
        assert!(why.contains("Nenhum endereço"));
    }

    #[test]
    fn the_environment_wins_then_the_system_policy_then_the_user_file_then_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let built = Some("https://build.example/latest.json");
        let get = |env: Option<&str>| match resolve(env, &f, built, Some(TEST_PUBKEY)) {
            Resolved::Ready(s) => (s.endpoints.iter().map(Url::to_string).collect::<Vec<_>>(), s.check_on_start),
            Resolved::Disabled(why) => panic!("{why}"),
        };
        assert_eq!(get(None).0, ["https://build.example/latest.json"]);
        std::fs::create_dir_all(f[1].parent().unwrap()).unwrap();
        std::fs::write(&f[1], r#"{"endpoints":["https://user.example/u.json"]}"#).unwrap();
        assert_eq!(get(None).0, ["https://user.example/u.json"]);
        std::fs::create_dir_all(f[0].parent().unwrap()).unwrap();
        std::fs::write(&f[0], r#"{"endpoints":["https://mirror.gov.example/{{target}}/{{arch}}/{{current_version}}"],"checkOnStart":false}"#)
            .unwrap();
        let (eps, on_start) = get(None);
        assert_eq!(eps.len(), 1);
        assert!(eps[0].starts_with("https://mirror.gov.example/"), "{eps:?}");
        assert!(!on_start);
        assert_eq!(get(Some("https://a.example/1.json, https://b.example/2.json")).0.len(), 2);
    }

    #[test]
    fn a_disabled_or_broken_policy_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::create_dir_all(f[0].parent().unwrap()).unwrap();
        std::fs::write(&f[0], r#"{"disabled":true}"#).unwrap();
        assert!(matches!(resolve(None, &f, None, Some(TEST_PUBKEY)), Resolved::Disabled(w) if w.contains("desativou")));
        std::fs::write(&f[0], r#"{"endpoint":"typo"}"#).unwrap();
        assert!(matches!(resolve(None, &f, None, Some(TEST_PUBKEY)), Resolved::Disabled(w) if w.contains("inválido")));
        std::fs::write(&f[0], r#"{"endpoints":["ftp://x"]}"#).unwrap();
        assert!(
            matches!(resolve(None, &f, None, Some(TEST_PUBKEY)), Resolved::Disabled(w) if w.contains("URL válida"))
        );
    }

    #[test]
    fn debug_builds_trust_the_test_key_unless_a_production_key_is_built_in() {
        let k = built_in_pubkey().expect("debug builds have a key");
        assert!(validate_pubkey(k).is_ok());
    }
}
