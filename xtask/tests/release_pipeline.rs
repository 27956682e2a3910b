//! The release pipeline as Tauri and the hosted runner read it: the Windows and macOS installer configuration merged
//! the way the Tauri CLI merges it, the `--config` overlay the pipeline writes from its secrets, and the workflow file.
//!
//! Only the Linux target can be built on these machines; what this test cannot prove (the installers installing,
//! WebView2 offline, notarisation) is listed in docs/release.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tauri_utils::config::{
    BundleTarget, BundleType, Config, CustomSignCommandConfig, NSISInstallerMode, Updater, WebviewInstallMode,
    WixLanguage,
};
use tauri_utils::platform::Target;
use yaml_rust2::{Yaml, YamlLoader};

const IDENTIFIER: &str = "br.gov.balcao";
/// The MSI's upgrade code: Tauri's default for the product name `Balcão` (UUID v5 of `Balcão.exe.app.x64` in the DNS
/// namespace), pinned so that a renamed product still upgrades the MSI installed before instead of standing beside it.
const WIX_UPGRADE_CODE: &str = "bfff0bc9-36c9-52bc-beb0-54bf6d14b9c7";
const WORKFLOW: &str = ".github/workflows/release.yml";
const OVERLAY_SCRIPT: &str = "scripts/release-config.mjs";
/// The overlay's file name, relative to src-tauri (where tauri-action runs the Tauri CLI).
const OVERLAY_FILE: &str = "tauri.release.conf.json";

/// Every secret the pipeline reads, each explained in docs/release.md.
const SECRETS: &[&str] = &[
    "TAURI_SIGNING_PRIVATE_KEY",
    "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
    "WINDOWS_CERTIFICATE",
    "WINDOWS_CERTIFICATE_PASSWORD",
    "BALCAO_WINDOWS_SIGN_COMMAND",
    "APPLE_CERTIFICATE",
    "APPLE_CERTIFICATE_PASSWORD",
    "APPLE_SIGNING_IDENTITY",
    "APPLE_ID",
    "APPLE_PASSWORD",
    "APPLE_TEAM_ID",
    "APPLE_API_ISSUER",
    "APPLE_API_KEY",
    "APPLE_API_PRIVATE_KEY",
    "BALCAO_REPO_GPG_KEY",
    "BALCAO_REPO_GPG_PASSPHRASE",
];
/// Public inputs, kept as repository variables (`vars.`), not secrets.
const VARIABLES: &[&str] = &["BALCAO_UPDATER_PUBKEY", "BALCAO_UPDATE_ENDPOINT", "BALCAO_WINDOWS_TIMESTAMP_URL"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The configuration the Tauri CLI builds for `target`: tauri.conf.json with the platform file merged over it (Tauri's
/// own reader), then each `--config` overlay (RFC 7396, as the CLI merges them), read into Tauri's typed `Config`,
/// which refuses unknown keys and wrong shapes as the CLI does.
fn tauri_config(target: Target, overlays: &[Value]) -> Config {
    let (mut value, _) = tauri_utils::config::parse::read_from(target, &root().join("src-tauri"))
        .unwrap_or_else(|e| panic!("{target:?}: {e}"));
    for overlay in overlays {
        json_patch::merge(&mut value, overlay);
    }
    serde_json::from_value(value).unwrap_or_else(|e| panic!("Tauri refuses the {target:?} configuration: {e}"))
}

fn bundle_types(c: &Config) -> Vec<BundleType> {
    match &c.bundle.targets {
        BundleTarget::List(l) => l.clone(),
        BundleTarget::One(t) => vec![t.clone()],
        BundleTarget::All => panic!("\"all\" would build every bundle type on every platform: list them"),
    }
}

#[test]
fn windows_installers_install_per_machine_with_the_offline_webview2_in_pt_br() {
    let c = tauri_config(Target::Windows, &[]);
    let types = bundle_types(&c);
    assert!(types.contains(&BundleType::Nsis) && types.contains(&BundleType::Msi), "{types:?}");
    let w = &c.bundle.windows;
    let nsis = w.nsis.as_ref().expect("an NSIS section");
    assert_eq!(nsis.install_mode, NSISInstallerMode::PerMachine, "every clerk of the PC gets Balcão");
    assert_eq!(nsis.languages.as_deref(), Some(&["PortugueseBR".to_owned()][..]));
    assert!(!nsis.display_language_selector, "pt-BR only: no language prompt");
    // Counters without internet: the WebView2 runtime ships inside the installer.
    assert_eq!(w.webview_install_mode, WebviewInstallMode::OfflineInstaller { silent: true });
    let wix = w.wix.as_ref().expect("a WiX section");
    assert_eq!(wix.language, WixLanguage::One("pt-BR".into()));
    assert_eq!(w.digest_algorithm.as_deref(), Some("sha256"));
}

#[test]
fn windows_installers_refuse_a_downgrade_and_keep_one_msi_upgrade_code() {
    let w = tauri_config(Target::Windows, &[]).bundle.windows;
    // The history refuses a database migrated by a newer version; the installer refuses the older version first.
    assert!(!w.allow_downgrades, "an older installer over a newer install must be refused");
    let code = w.wix.and_then(|x| x.upgrade_code).map(|u| u.to_string());
    assert_eq!(code.as_deref(), Some(WIX_UPGRADE_CODE), "a new upgrade code installs a second Balcão beside the first");
}

#[test]
fn macos_bundle_is_hardened_for_notarisation_and_signs_only_from_the_environment() {
    let c = tauri_config(Target::MacOS, &[]);
    let types = bundle_types(&c);
    assert!(types.contains(&BundleType::App) && types.contains(&BundleType::Dmg), "{types:?}");
    let m = &c.bundle.macos;
    assert!(m.hardened_runtime, "notarisation requires the hardened runtime");
    assert_eq!(m.minimum_system_version.as_deref(), Some("11.0"));
    assert_eq!(m.signing_identity, None, "the identity comes from APPLE_SIGNING_IDENTITY, never the committed config");
    if let Some(e) = &m.entitlements {
        assert!(root().join("src-tauri").join(e).is_file(), "entitlements file {e} is missing");
    }
}

#[test]
fn every_platform_has_the_one_identifier_signed_updater_artifacts_and_the_updater_key_slot() {
    for target in [Target::Linux, Target::Windows, Target::MacOS] {
        let c = tauri_config(target, &[]);
        assert_eq!(c.identifier, IDENTIFIER, "{target:?}");
        assert!(!c.identifier.ends_with(".app"), "macOS refuses an identifier ending in .app");
        assert_eq!(c.bundle.create_updater_artifacts, Updater::Bool(true), "{target:?}");
        let updater = c.plugins.0.get("updater").unwrap_or_else(|| panic!("{target:?}: no updater section"));
        // The key is a build input (BALCAO_UPDATER_PUBKEY, given to the bundler by the release overlay); the slot
        // the plugin requires stays empty in the committed file.
        assert_eq!(updater["pubkey"], json!(""), "{target:?}");
        assert_eq!(updater["requireSignedVersion"], json!(true), "{target:?}");
    }
    // The Linux packages are what they were: ASCII package name, the keyring dependency, the menu entry.
    let linux = tauri_config(Target::Linux, &[]);
    assert_eq!(linux.product_name.as_deref(), Some("Balcao"));
    assert_eq!(linux.bundle.linux.deb.depends, Some(vec!["gnome-keyring | kwalletmanager | keepassxc".to_owned()]));
    assert_eq!(tauri_config(Target::Windows, &[]).product_name.as_deref(), Some("Balcão"));
}

// ---- the overlay the pipeline writes from its secrets (scripts/release-config.mjs) ----

/// Every variable the overlay script reads, cleared before each run so the caller's environment cannot leak in.
const OVERLAY_INPUTS: &[&str] = &[
    "BALCAO_CLI_BINARY",
    "BALCAO_UPDATER_PUBKEY",
    "TAURI_SIGNING_PRIVATE_KEY",
    "BALCAO_WINDOWS_CERT_THUMBPRINT",
    "BALCAO_WINDOWS_TIMESTAMP_URL",
    "BALCAO_WINDOWS_SIGN_COMMAND",
    "APPLE_CERTIFICATE",
    "APPLE_CERTIFICATE_PASSWORD",
    "APPLE_SIGNING_IDENTITY",
    "APPLE_ID",
    "APPLE_PASSWORD",
    "APPLE_TEAM_ID",
    "APPLE_API_ISSUER",
    "APPLE_API_KEY",
    "APPLE_API_KEY_PATH",
];

const PUBKEY: &str = include_str!("../../src-tauri/keys/balcao-updater-TEST-ONLY.key.pub");
const UPDATER_KEYS: &[(&str, &str)] = &[("BALCAO_UPDATER_PUBKEY", PUBKEY), ("TAURI_SIGNING_PRIVATE_KEY", "k")];
const APPLE_CERT: &[(&str, &str)] = &[
    ("APPLE_CERTIFICATE", "MIIK"),
    ("APPLE_CERTIFICATE_PASSWORD", "p"),
    ("APPLE_SIGNING_IDENTITY", "Developer ID Application: Orgao (TEAM123456)"),
];

/// Runs the overlay script for `platform` with exactly `env` set; returns the process output and the overlay written.
fn overlay(platform: &str, env: &[&[(&str, &str)]]) -> (Output, Option<Value>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join(OVERLAY_FILE);
    let mut cmd = Command::new("node");
    cmd.current_dir(root()).arg(OVERLAY_SCRIPT).arg(platform).arg(&out);
    for k in OVERLAY_INPUTS {
        cmd.env_remove(k);
    }
    for (k, v) in env.iter().flat_map(|e| e.iter()) {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("node {OVERLAY_SCRIPT}: {e} (Node.js is needed by the UI)"));
    let written = std::fs::read_to_string(&out).ok().map(|t| serde_json::from_str(&t).expect("the overlay is JSON"));
    (output, written)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn accepted(platform: &str, env: &[&[(&str, &str)]]) -> Value {
    let (o, v) = overlay(platform, env);
    assert!(o.status.success(), "{platform}: refused: {}", stderr(&o));
    v.expect("an overlay file")
}

/// Refused before any build starts, with nothing written and a message naming `names`.
fn refused(platform: &str, env: &[&[(&str, &str)]], names: &[&str]) {
    let (o, v) = overlay(platform, env);
    assert!(!o.status.success(), "{platform}: accepted {env:?}");
    assert!(v.is_none(), "{platform}: an overlay was written although refused");
    for n in names {
        assert!(stderr(&o).contains(n), "{platform}: the refusal does not name {n}: {}", stderr(&o));
    }
}

#[test]
fn release_overlay_gives_the_bundler_the_updater_key_and_windows_its_certificate() {
    let signing = [
        ("BALCAO_WINDOWS_CERT_THUMBPRINT", "0123456789ABCDEF0123456789ABCDEF01234567"),
        ("BALCAO_WINDOWS_TIMESTAMP_URL", "http://timestamp.example.gov.br"),
    ];
    let o = accepted("windows", &[UPDATER_KEYS, &signing]);
    let c = tauri_config(Target::Windows, &[o]);
    assert_eq!(c.plugins.0["updater"]["pubkey"], json!(PUBKEY.trim()));
    let w = &c.bundle.windows;
    assert_eq!(w.certificate_thumbprint.as_deref(), Some(signing[0].1));
    assert_eq!(w.timestamp_url.as_deref(), Some(signing[1].1));
    assert!(w.tsp, "RFC 3161 timestamps (signtool /tr), what current CAs serve");
    assert_eq!(w.sign_command, None);
    // Still per machine, still pt-BR: the overlay adds signing only.
    assert_eq!(w.nsis.as_ref().map(|n| n.install_mode), Some(NSISInstallerMode::PerMachine));
}

#[test]
fn release_overlay_signs_windows_with_a_sign_command_instead_of_a_certificate() {
    let cmd = [("BALCAO_WINDOWS_SIGN_COMMAND", "relic sign --key balcao --file %1")];
    let c = tauri_config(Target::Windows, &[accepted("windows", &[UPDATER_KEYS, &cmd])]);
    assert_eq!(c.bundle.windows.sign_command, Some(CustomSignCommandConfig::Command(cmd[0].1.to_owned())));
    assert_eq!(c.bundle.windows.certificate_thumbprint, None);
}

#[test]
fn release_overlay_accepts_macos_with_either_notarisation_credential() {
    let apple_id =
        [("APPLE_ID", "ti@orgao.gov.br"), ("APPLE_PASSWORD", "app-specific"), ("APPLE_TEAM_ID", "TEAM123456")];
    let api_key = [("APPLE_API_ISSUER", "uuid"), ("APPLE_API_KEY", "ABC123"), ("APPLE_API_KEY_PATH", "/tmp/k.p8")];
    for notarise in [&apple_id, &api_key] {
        let o = accepted("macos", &[UPDATER_KEYS, APPLE_CERT, notarise]);
        assert_eq!(o, json!({ "plugins": { "updater": { "pubkey": PUBKEY.trim() } } }));
        tauri_config(Target::MacOS, &[o]);
    }
    let cli = tempfile::NamedTempFile::new().expect("a stand-in CLI binary");
    let cli_path = cli.path().to_string_lossy().into_owned();
    let o = accepted("linux", &[UPDATER_KEYS, &[("BALCAO_CLI_BINARY", &cli_path)]]);
    let linux = tauri_config(Target::Linux, &[o]);
    assert_eq!(linux.plugins.0["updater"]["pubkey"], json!(PUBKEY.trim()));
    // balcao-cli for IT in both Linux packages, as `cargo xtask bundle` puts it there.
    for files in [&linux.bundle.linux.deb.files, &linux.bundle.linux.rpm.files] {
        assert_eq!(files.get(std::path::Path::new("/usr/bin/balcao-cli")), Some(&PathBuf::from(&cli_path)));
    }
}

#[test]
fn linux_packages_create_the_group_that_may_read_the_agencys_credentials() {
    let linux = tauri_config(Target::Linux, &[]);
    for script in [&linux.bundle.linux.deb.post_install_script, &linux.bundle.linux.rpm.post_install_script] {
        let script = script.as_ref().expect("a post-install script");
        let text = read(&format!("src-tauri/{}", script.display()));
        assert!(text.contains("groupadd --system balcao"), "{text}");
    }
}

#[test]
fn release_overlay_refuses_missing_or_ambiguous_signing_inputs() {
    let thumb = [("BALCAO_WINDOWS_CERT_THUMBPRINT", "0123456789ABCDEF0123456789ABCDEF01234567")];
    let stamp = [("BALCAO_WINDOWS_TIMESTAMP_URL", "http://timestamp.example.gov.br")];
    let cmd = [("BALCAO_WINDOWS_SIGN_COMMAND", "relic sign --file %1")];
    // No updater key pair: the bundler could not sign the update artifacts, and the app would trust no key.
    refused("linux", &[], &["BALCAO_UPDATER_PUBKEY", "TAURI_SIGNING_PRIVATE_KEY"]);
    refused("linux", &[&[("BALCAO_UPDATER_PUBKEY", PUBKEY)]], &["TAURI_SIGNING_PRIVATE_KEY"]);
    refused("linux", &[UPDATER_KEYS], &["BALCAO_CLI_BINARY"]);
    refused("linux", &[UPDATER_KEYS, &[("BALCAO_CLI_BINARY", "/nonexistent/balcao-cli")]], &["BALCAO_CLI_BINARY"]);
    // Windows: an unsigned installer, two signers at once, a certificate without a timestamp server.
    refused("windows", &[UPDATER_KEYS], &["WINDOWS_CERTIFICATE", "BALCAO_WINDOWS_SIGN_COMMAND"]);
    refused("windows", &[UPDATER_KEYS, &thumb, &stamp, &cmd], &["BALCAO_WINDOWS_SIGN_COMMAND"]);
    refused("windows", &[UPDATER_KEYS, &thumb], &["BALCAO_WINDOWS_TIMESTAMP_URL"]);
    // macOS: no Developer ID certificate, or a signed app nobody notarises, or half of each credential.
    let notarise = [("APPLE_ID", "ti@orgao.gov.br"), ("APPLE_PASSWORD", "p"), ("APPLE_TEAM_ID", "TEAM123456")];
    refused("macos", &[UPDATER_KEYS, &notarise], &["APPLE_CERTIFICATE", "APPLE_SIGNING_IDENTITY"]);
    refused("macos", &[UPDATER_KEYS, APPLE_CERT], &["APPLE_ID", "APPLE_API_KEY"]);
    refused("macos", &[UPDATER_KEYS, APPLE_CERT, &notarise[..2]], &["APPLE_TEAM_ID"]);
    refused("plan9", &[UPDATER_KEYS], &["windows", "macos", "linux"]);
}

// ---- the workflow file ----

fn workflow() -> Yaml {
    let text = read(WORKFLOW);
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{WORKFLOW} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

fn s(y: &Yaml) -> &str {
    y.as_str().unwrap_or("")
}

fn steps(job: &Yaml) -> Vec<&Yaml> {
    job["steps"].as_vec().map(|v| v.iter().collect()).unwrap_or_default()
}

fn jobs(w: &Yaml) -> Vec<(String, &Yaml)> {
    let map = w["jobs"].as_hash().expect("jobs");
    map.iter().map(|(k, v)| (s(k).to_owned(), v)).collect()
}

fn tauri_action_steps(w: &Yaml) -> Vec<&Yaml> {
    jobs(w)
        .into_iter()
        .flat_map(|(_, j)| steps(j))
        .filter(|st| s(&st["uses"]).starts_with("tauri-apps/tauri-action@"))
        .collect()
}

#[test]
fn release_workflow_builds_windows_macos_and_linux_with_a_pinned_tauri_action() {
    let w = workflow();
    // Run by tags and by hand on a hosted runner; never by pushes, pull requests or this machine's .ci/run.
    let on = &w["on"];
    assert!(!on["push"]["tags"].is_badvalue(), "released from a version tag");
    for forbidden in ["pull_request", "pull_request_target"] {
        assert!(on[forbidden].is_badvalue(), "the release must not run on {forbidden}");
    }
    assert!(on["push"]["branches"].is_badvalue(), "the release must not run on every push");
    assert!(!read(".ci/run").contains(".github"), ".ci/run must not run the hosted workflow");
    let mut runners = BTreeSet::new();
    let mut mac_args = String::new();
    for (name, job) in jobs(&w) {
        let runs_on = &job["runs-on"];
        assert!(!format!("{runs_on:?}").contains("self-hosted"), "{name}: hosted runners only");
        for entry in job["strategy"]["matrix"]["include"].as_vec().into_iter().flatten() {
            let os = s(&entry["os"]).to_owned();
            if os.starts_with("macos") {
                mac_args = s(&entry["args"]).to_owned();
            }
            runners.insert(os.split('-').next().unwrap_or("").to_owned());
        }
        // Every action is pinned to an exact release (vX.Y.Z) or a commit, never a moving branch or major tag.
        for st in steps(job) {
            let uses = s(&st["uses"]);
            if uses.is_empty() {
                continue;
            }
            let (_, pin) = uses.split_once('@').unwrap_or_else(|| panic!("{name}: {uses} has no version"));
            let exact = pin.strip_prefix('v').is_some_and(|v| v.split('.').count() == 3)
                || (pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(exact, "{name}: {uses} is not pinned to an exact version");
        }
    }
    assert_eq!(runners, BTreeSet::from(["macos".into(), "ubuntu".into(), "windows".into()]));
    assert!(mac_args.contains("--target universal-apple-darwin"), "one macOS build for both arches: {mac_args}");

    let actions = tauri_action_steps(&w);
    assert_eq!(actions.len(), 1, "one tauri-action step, run by each matrix entry");
    let with = &actions[0]["with"];
    assert_eq!(s(&with["projectPath"]), "src-tauri", "the Tauri CLI runs where `cargo xtask bundle` runs it");
    assert!(s(&with["tauriScript"]).contains("ui/node_modules/@tauri-apps/cli"), "the CLI version of ui's lock file");
    assert!(s(&with["args"]).contains(&format!("--config {OVERLAY_FILE}")), "the overlay with the updater key");
    assert_eq!(with["includeUpdaterJson"], Yaml::Boolean(true), "latest.json as a release asset");
    assert_eq!(with["updaterJsonPreferNsis"], Yaml::Boolean(true), "Windows updates through the NSIS installer");
    // Every matrix entry uploads into one draft made before them (three jobs racing to create it would make three),
    // which a person publishes after the checklist; the tag keeps latest.json's addresses on this version.
    assert!(s(&with["releaseId"]).contains("needs.draft.outputs.id"), "{:?}", with["releaseId"]);
    assert!(s(&with["tagName"]).contains("TAG"), "{:?}", with["tagName"]);
    let draft = jobs(&w).into_iter().find(|(n, _)| n == "draft").map(|(_, j)| j).expect("a draft job");
    assert!(steps(draft).iter().any(|st| s(&st["run"]).contains("-F draft=true")), "the release is made as a draft");
}

#[test]
fn release_workflow_signs_from_named_secrets_each_explained_in_the_release_doc() {
    let text = read(WORKFLOW);
    let used = |prefix: &str| -> BTreeSet<String> {
        text.match_indices(prefix)
            .map(|(i, _)| {
                text[i + prefix.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
            })
            .collect()
    };
    let secrets = used("secrets.");
    let vars = used("vars.");
    let doc = read("docs/release.md");
    for name in SECRETS {
        assert!(secrets.contains(*name), "the workflow never reads secret {name}");
    }
    for name in VARIABLES {
        assert!(vars.contains(*name), "the workflow never reads variable {name}");
    }
    for name in secrets.iter().chain(&vars).filter(|n| n.as_str() != "GITHUB_TOKEN") {
        assert!(SECRETS.contains(&name.as_str()) || VARIABLES.contains(&name.as_str()), "{name} is not listed here");
        assert!(doc.contains(&format!("`{name}`")), "docs/release.md does not explain {name}");
    }
    // A private key never sits in a public variable.
    assert!(vars.iter().all(|v| !v.contains("PRIVATE") && !v.contains("PASSWORD")), "{vars:?}");

    let w = workflow();
    let action = tauri_action_steps(&w)[0];
    let env = &action["env"];
    for k in [
        "TAURI_SIGNING_PRIVATE_KEY",
        "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
        "BALCAO_UPDATER_PUBKEY",
        "APPLE_CERTIFICATE",
        "APPLE_CERTIFICATE_PASSWORD",
        "APPLE_SIGNING_IDENTITY",
        "APPLE_ID",
        "APPLE_PASSWORD",
        "APPLE_TEAM_ID",
        "APPLE_API_ISSUER",
        "APPLE_API_KEY",
    ] {
        assert!(!env[k].is_badvalue(), "the build step does not get {k}");
    }
}

#[test]
fn release_workflow_writes_the_overlay_and_builds_the_signed_apt_repository_on_linux() {
    let w = workflow();
    let all: Vec<&Yaml> = jobs(&w).into_iter().flat_map(|(_, j)| steps(j)).collect();
    let runs = |needle: &str| all.iter().filter(|st| s(&st["run"]).contains(needle)).copied().collect::<Vec<_>>();
    let overlay = runs(OVERLAY_SCRIPT);
    assert_eq!(overlay.len(), 1, "the overlay is written once per matrix entry");
    assert!(s(&overlay[0]["run"]).contains(&format!("src-tauri/{OVERLAY_FILE}")));
    let repo = runs("cargo xtask bundle");
    assert_eq!(repo.len(), 1, "the Linux job builds the repository through xtask");
    let run = s(&repo[0]["run"]);
    assert!(run.contains("--repo"), "{run}");
    assert!(s(&repo[0]["if"]).contains("linux"), "only the Linux entry builds the APT repository");
    assert!(!repo[0]["env"]["BALCAO_REPO_GPG_KEY"].is_badvalue(), "the agency's repository key");
    // Never the throwaway key: the step refuses to run without the agency's key.
    assert!(run.contains("BALCAO_REPO_GPG_KEY"), "{run}");
    // The UI is built from the lock file before the Tauri CLI runs (frontendDist is ui/dist, no beforeBuildCommand).
    assert!(!runs("npm ci").is_empty() && !runs("run build").is_empty());
}
