//! The updater's policy, without Tauri: where updates may come from (environment, IT's policy files, build
//! inputs), which key must sign them, whether to check at start, and when an install may run. The shell
//! (`src-tauri/src/updater.rs`) does only the Tauri plumbing: check, download, install, restart.

use std::path::{Path, PathBuf};

use balcao_core::{AppError, ErrorCode};
use serde::Deserialize;
use url::Url;

/// Update endpoints for this machine, space- or comma-separated (overrides the policy files).
pub const ENDPOINTS_ENV: &str = "BALCAO_UPDATE_ENDPOINTS";
/// The policy file IT deploys (system folder) or a user keeps in the data folder.
pub const POLICY_FILE: &str = "update.json";
/// The policy files, most authoritative first: the managed policy's `policy.toml` (its `[update]`), then the
/// system-wide `update.json` IT deploys beside it, then the user's. The system folder is the managed policy's
/// (`policy::current_policy_dir`, which `BALCAO_POLICY_DIR` redirects).
pub fn policy_files(data_dir: &Path) -> Vec<PathBuf> {
    policy_files_in(&crate::policy::current_policy_dir(), data_dir)
}

/// [`policy_files`] with the system folder given.
pub fn policy_files_in(system_dir: &Path, data_dir: &Path) -> Vec<PathBuf> {
    vec![system_dir.join(crate::policy::POLICY_FILE), system_dir.join(POLICY_FILE), data_dir.join(POLICY_FILE)]
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

/// Resolves the source: the managed policy's `[update]` (policy.toml: IT's rule wins over the environment too),
/// then the environment, then the first `update.json` that exists, then the built-in endpoint. A broken policy.toml
/// turns updates off with its reason.
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
    let managed = match managed_rules(files) {
        Ok(m) => m,
        Err(why) => return Resolved::Disabled(why),
    };
    // Under a managed policy, neither the environment nor the user's own update.json may change where updates come
    // from (a clerk could point them at a dead address and keep the PC on an old version): IT's files only.
    let it_dir = managed.as_ref().and_then(|(file, _)| file.parent().map(Path::to_path_buf));
    let files: Vec<PathBuf> = match &it_dir {
        Some(dir) => files.iter().filter(|f| f.parent() == Some(dir.as_path())).cloned().collect(),
        None => files.to_vec(),
    };
    let files = files.as_slice();
    let env_endpoints = if it_dir.is_some() { None } else { env_endpoints };
    let (raw, origin, check_on_start) = if let Some((file, Some(rules))) = managed {
        if rules.disabled {
            return Resolved::Disabled(format!(
                "A TI desativou as atualizações automáticas nesta máquina ({}).",
                file.display()
            ));
        }
        (rules.endpoints, file.display().to_string(), rules.check_on_start.unwrap_or(true))
    } else if let Some(env) = env_endpoints.filter(|s| !s.trim().is_empty()) {
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

/// A managed policy file found, with its `[update]` when it sets one.
type Managed = Option<(PathBuf, Option<crate::policy::UpdateRules>)>;

/// The first managed policy file (`policy.toml`) in `files` that exists, with its `[update]` when it sets one; a
/// refused policy file is the pt-BR reason updates are off.
fn managed_rules(files: &[PathBuf]) -> Result<Managed, String> {
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "toml")) {
        let Some(dir) = f.parent() else { continue };
        match crate::policy::load_policy(dir) {
            Ok(Some(p)) => return Ok(Some((p.file, p.update))),
            Ok(None) => {}
            Err(e) => {
                return Err(format!("{} As atualizações automáticas ficam desligadas até a correção.", e.message()));
            }
        }
    }
    Ok(None)
}

fn first_policy(files: &[PathBuf]) -> Option<(&PathBuf, Result<Policy, String>)> {
    let mut json = files.iter().filter(|f| f.extension().is_none_or(|e| e != "toml"));
    json.find_map(|f| match std::fs::read_to_string(f) {
        Ok(text) => Some((f, serde_json::from_str::<Policy>(&text).map_err(|e| policy_error(f, &e)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!(file = %f.display(), error = %e, "update policy file unreadable");
            Some((f, Err(balcao_core::error::io_reason(&e))))
        }
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

/// A policy file that does not parse: where (line, column) in pt-BR; the library's own text goes to the log.
fn policy_error(file: &Path, e: &serde_json::Error) -> String {
    tracing::warn!(file = %file.display(), error = %e, "update policy file refused");
    let what = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "JSON malformado",
        serde_json::error::Category::Data => "campo desconhecido ou de tipo errado",
        serde_json::error::Category::Io => "não foi possível lê-lo",
    };
    format!("{what} na linha {}, coluna {}", e.line(), e.column())
}

/// When an install may run: never while a lookup or batch runs (`busy`), nor twice at once (`installing`).
pub fn install_allowed(busy: bool, installing: bool) -> Result<(), AppError> {
    if busy {
        return Err(AppError::new(
            ErrorCode::Busy,
            "Há uma consulta ou um lote em andamento. Instale a atualização quando terminar.",
        ));
    }
    if installing {
        return Err(AppError::new(ErrorCode::Busy, "A atualização já está sendo instalada."));
    }
    Ok(())
}

/// After the download and before the install: a lookup that started meanwhile postpones the install.
pub fn install_after_download_allowed(busy: bool) -> Result<(), AppError> {
    if busy {
        return Err(AppError::new(
            ErrorCode::Busy,
            "Uma consulta começou durante o download. Instale a atualização quando terminar.",
        ));
    }
    Ok(())
}

/// What the clerk is told when no newer version is installed: an offered older or equal version is never
/// installed (no downgrade).
pub fn up_to_date_message(current: &str, offered: Option<&str>) -> String {
    match offered {
        Some(v) if v != current => format!(
            "O servidor de atualização oferece a versão {v}, que não é mais nova que a instalada ({current}): nada a \
             instalar. Voltar a uma versão anterior não é permitido."
        ),
        _ => format!("O Balcão está atualizado (versão {current})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public key of the TEST key pair in `src-tauri/keys/` (its private key is in the repository: tests only).
    const TEST_PUBKEY: &str = include_str!("../../../keys/balcao-updater-TEST-ONLY.key.pub");

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
    fn the_managed_policy_toml_wins_over_the_environment_and_update_json_and_a_broken_one_turns_updates_off() {
        let dir = tempfile::tempdir().unwrap();
        let system = dir.path().join("system");
        let f = policy_files_in(&system, &dir.path().join("user"));
        std::fs::create_dir_all(&system).unwrap();
        std::fs::write(&f[1], r#"{"endpoints":["https://json.example/u.json"]}"#).unwrap();
        let env = Some("https://env.example/e.json");
        let ready = |r: Resolved| match r {
            Resolved::Ready(s) => s,
            Resolved::Disabled(why) => panic!("{why}"),
        };
        assert_eq!(
            ready(resolve(None, &f, None, Some(TEST_PUBKEY))).endpoints[0].as_str(),
            "https://json.example/u.json"
        );
        // A policy without [update]: IT's update.json beside it still applies, but neither the environment nor the
        // user's own update.json may change where updates come from (a dead address would keep the PC old).
        std::fs::write(&f[0], "purpose_required = true\n").unwrap();
        std::fs::create_dir_all(dir.path().join("user")).unwrap();
        std::fs::write(&f[2], r#"{"endpoints":["https://user.example/dead.json"]}"#).unwrap();
        assert_eq!(
            ready(resolve(env, &f, None, Some(TEST_PUBKEY))).endpoints[0].as_str(),
            "https://json.example/u.json"
        );
        std::fs::remove_file(&f[1]).unwrap();
        assert_eq!(
            ready(resolve(env, &f, Some("https://built-in.example/b.json"), Some(TEST_PUBKEY))).endpoints[0].as_str(),
            "https://built-in.example/b.json"
        );
        std::fs::write(&f[1], r#"{"endpoints":["https://json.example/u.json"]}"#).unwrap();
        std::fs::write(
            &f[0],
            "[update]\nendpoints = [\"https://espelho.gov.example/m.json\"]\ncheck_on_start = false\n",
        )
        .unwrap();
        let s = ready(resolve(env, &f, None, Some(TEST_PUBKEY)));
        assert_eq!(s.endpoints[0].as_str(), "https://espelho.gov.example/m.json");
        assert!(!s.check_on_start);
        assert!(s.origin.ends_with("policy.toml"), "{}", s.origin);
        std::fs::write(&f[0], "[update]\ndisabled = true\n").unwrap();
        assert!(matches!(resolve(env, &f, None, Some(TEST_PUBKEY)), Resolved::Disabled(w) if w.contains("desativou")));
        std::fs::write(&f[0], "[update]\nendpoint = \"typo\"\n").unwrap();
        let Resolved::Disabled(why) = resolve(env, &f, None, Some(TEST_PUBKEY)) else { panic!("a broken policy") };
        assert!(why.contains("policy.toml") && why.contains("linha 2") && why.contains("desligadas"), "{why}");
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
    fn installs_wait_for_lookups_and_batches_and_never_run_twice() {
        assert!(install_allowed(false, false).is_ok());
        assert_eq!(install_allowed(true, false).unwrap_err().code, ErrorCode::Busy);
        assert_eq!(install_allowed(false, true).unwrap_err().code, ErrorCode::Busy);
        assert!(install_after_download_allowed(false).is_ok());
        let e = install_after_download_allowed(true).unwrap_err();
        assert!(e.message.contains("durante o download"), "{}", e.message);
    }

    #[test]
    fn an_older_or_equal_offer_is_never_installed_and_says_so() {
        assert_eq!(up_to_date_message("1.2.0", None), "O Balcão está atualizado (versão 1.2.0).");
        assert_eq!(up_to_date_message("1.2.0", Some("1.2.0")), "O Balcão está atualizado (versão 1.2.0).");
        let older = up_to_date_message("1.2.0", Some("1.1.0"));
        assert!(older.contains("1.1.0") && older.contains("não é permitido"), "{older}");
    }

    #[test]
    fn a_broken_policy_file_is_named_with_its_line_in_pt_br_without_the_librarys_text() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::create_dir_all(f[0].parent().unwrap()).unwrap();
        std::fs::write(&f[0], "{\n  \"endpoints\": [\"https://x\",\n}").unwrap();
        let Resolved::Disabled(why) = resolve(None, &f, None, Some(TEST_PUBKEY)) else { panic!("refused") };
        assert!(why.contains("JSON malformado na linha 3"), "{why}");
        assert!(!why.contains("expected") && !why.contains("trailing"), "{why}");
        std::fs::write(&f[0], r#"{"disabled":"sim"}"#).unwrap();
        let Resolved::Disabled(why) = resolve(None, &f, None, Some(TEST_PUBKEY)) else { panic!("refused") };
        assert!(why.contains("tipo errado na linha 1") && !why.contains("invalid type"), "{why}");
    }
}
