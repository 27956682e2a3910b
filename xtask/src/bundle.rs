//! `cargo xtask bundle`: the release app and its packages (Tauri's bundler, signed updater artifacts, `balcao-cli`
//! beside the app), then on Linux the install-and-launch smoke of the `.deb` (dpkg, the installed /usr/bin/balcao in
//! a sandboxed Xvfb session, one Demonstração lookup through tauri-driver, the simulator's log, the log files, a
//! second launch, the installed CLI) and, with `--repo DIR`, the signed APT repository around it (repo.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::session::Sandbox;
use crate::sh::{self, Result};
use crate::{deps, e2e, repo};

/// The committed TEST key pair (its private half is public: never for a release anyone installs).
const TEST_KEY: &str = "src-tauri/keys/balcao-updater-TEST-ONLY.key";
const TEST_PUBKEY: &str = "src-tauri/keys/balcao-updater-TEST-ONLY.key.pub";

pub fn run(args: &[String]) -> Result {
    let smoke = !args.iter().any(|a| a == "--no-smoke");
    let keep = args.iter().any(|a| a == "--keep-installed");
    let repo_dir = match args.iter().position(|a| a == "--repo") {
        Some(i) => {
            let dir = args.get(i + 1).filter(|d| !d.starts_with("--"));
            Some(PathBuf::from(dir.ok_or("--repo pede a pasta do repositório: --repo PASTA")?))
        }
        None => None,
    };
    if repo_dir.is_some() && !cfg!(target_os = "linux") {
        return Err("--repo monta um repositório APT: só no Linux".into());
    }
    deps::ensure_system()?;
    deps::ensure_npm("ui")?;
    sh::run(sh::npm("ui").args(["run", "build"]))?;
    // Only this build's packages: an older one left in the folder (another version, another product file name)
    // would be listed, checked and installed as if it were new.
    let _ = std::fs::remove_dir_all(bundle_dir());
    let started = Instant::now();
    build()?;
    let took = started.elapsed();
    let packages = list_packages()?;
    eprintln!("\n==> pacotes ({:.1} min de compilação e empacotamento)", took.as_secs_f64() / 60.0);
    for p in &packages {
        let size = p.metadata().map(|m| m.len()).unwrap_or(0);
        eprintln!("  {:>7.2} MB  {}", size as f64 / 1_048_576.0, p.display());
    }
    check_signatures(&packages)?;
    if smoke && cfg!(target_os = "linux") {
        let deb =
            packages.iter().find(|p| p.extension().is_some_and(|e| e == "deb")).ok_or("nenhum .deb foi gerado")?;
        deps::ensure_npm("tests/e2e")?;
        deps::ensure_tauri_driver()?;
        deb_smoke(deb, keep)?;
    }
    if let Some(dir) = repo_dir {
        repo::create(&dir, &packages)?;
    }
    Ok(())
}

/// The bundles this OS builds. AppImage is configured but needs its runtime from the internet: opt in with
/// `BALCAO_BUNDLE_APPIMAGE=1`.
fn bundles() -> Vec<&'static str> {
    if cfg!(target_os = "linux") {
        let mut b = vec!["deb", "rpm"];
        if std::env::var_os("BALCAO_BUNDLE_APPIMAGE").is_some_and(|v| v == "1") {
            b.push("appimage");
        }
        b
    } else if cfg!(windows) {
        vec!["nsis", "msi"]
    } else {
        vec!["app", "dmg"]
    }
}

/// Signing inputs come from the environment only (docs/release.md). Without a signing key the updater artifacts
/// are signed with the TEST key, and without `BALCAO_UPDATER_PUBKEY` the app built has no updater. Returns the
/// public key matching the signing key (the bundler checks the pair).
fn signing_env(cmd: &mut Command) -> Result<String> {
    let root = sh::root();
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let production_pubkey = var("BALCAO_UPDATER_PUBKEY");
    if var("TAURI_SIGNING_PRIVATE_KEY").is_some() {
        eprintln!("bundle: artefatos de atualização assinados com TAURI_SIGNING_PRIVATE_KEY");
        return production_pubkey.ok_or_else(|| {
            "TAURI_SIGNING_PRIVATE_KEY está definida mas BALCAO_UPDATER_PUBKEY (a chave pública do par) não".to_owned()
        });
    }
    if production_pubkey.is_some() {
        return Err("BALCAO_UPDATER_PUBKEY está definida mas TAURI_SIGNING_PRIVATE_KEY não: os pacotes \
                    seriam assinados com uma chave que o app não aceita"
            .into());
    }
    let key = std::fs::read_to_string(root.join(TEST_KEY)).map_err(|e| format!("{TEST_KEY}: {e}"))?;
    let pubkey = std::fs::read_to_string(root.join(TEST_PUBKEY)).map_err(|e| format!("{TEST_PUBKEY}: {e}"))?;
    eprintln!(
        "bundle: AVISO — sem TAURI_SIGNING_PRIVATE_KEY: artefatos assinados com a chave de TESTE ({TEST_KEY}); \
         não distribua. Sem BALCAO_UPDATER_PUBKEY, o app gerado não tem atualizador (a TI atualiza por pacote)."
    );
    cmd.env("TAURI_SIGNING_PRIVATE_KEY", key.trim()).env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "");
    Ok(pubkey.trim().to_owned())
}

/// A config overlay (in memory, nothing written): the public key the bundler checks the signing key against, and
/// Windows code signing from the environment. The app itself takes its key from `BALCAO_UPDATER_PUBKEY` at
/// compile time (src-tauri/src/updater.rs), never from this config.
fn config_overlay(pubkey: &str, cli: &Path) -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let mut windows = serde_json::Map::new();
    for (key, env) in [
        ("certificateThumbprint", "BALCAO_WINDOWS_CERT_THUMBPRINT"),
        ("timestampUrl", "BALCAO_WINDOWS_TIMESTAMP_URL"),
        ("signCommand", "BALCAO_WINDOWS_SIGN_COMMAND"),
    ] {
        if let Some(v) = var(env) {
            windows.insert(key.to_owned(), v.into());
        }
    }
    let mut overlay = cli_overlay(cli);
    overlay["plugins"] = serde_json::json!({ "updater": { "pubkey": pubkey } });
    overlay["bundle"]["windows"] = windows.into();
    overlay.to_string()
}

/// Where the packages install the CLI for IT: `/usr/bin/balcao-cli` in the `.deb` and the `.rpm` (beside
/// `/usr/bin/balcao`), from the binary cargo built in the same profile as the app.
pub const CLI_INSTALLED: &str = "/usr/bin/balcao-cli";

fn cli_overlay(cli: &Path) -> serde_json::Value {
    let files = serde_json::json!({ CLI_INSTALLED: cli.to_string_lossy() });
    serde_json::json!({ "bundle": { "linux": { "deb": { "files": files }, "rpm": { "files": files } } } })
}

/// The CLI binary of a cargo profile (`release` or `debug`).
fn cli_binary(profile: &str) -> PathBuf {
    e2e::target_dir().join(profile).join(if cfg!(windows) { "balcao-cli.exe" } else { "balcao-cli" })
}

fn tauri_cli() -> Command {
    let root = sh::root();
    let cli = root.join("ui/node_modules/.bin").join(if cfg!(windows) { "tauri.cmd" } else { "tauri" });
    let mut cmd = Command::new(cli);
    cmd.current_dir(root.join("src-tauri"));
    cmd
}

/// The debug build packaged as `.deb` and `.rpm` without compiling it again: `tauri bundle --debug` around the
/// e2e stage's build of the app and the CLI (a no-op here when it ran). No updater artifacts (they need the signing
/// key and the repository test does not use them), the binary left as cargo wrote it.
pub fn debug_packages() -> Result<(PathBuf, PathBuf)> {
    deps::ensure_npm("ui")?;
    e2e::build_app_and_cli()?;
    let cli = cli_binary("debug");
    let dir = e2e::target_dir().join("debug/bundle");
    for kind in ["deb", "rpm"] {
        let _ = std::fs::remove_dir_all(dir.join(kind));
    }
    let mut overlay = cli_overlay(&cli);
    overlay["bundle"]["createUpdaterArtifacts"] = false.into();
    sh::run(
        tauri_cli()
            .args(["bundle", "--debug", "--bundles", "deb,rpm", "--no-binary-patching", "--config"])
            .arg(overlay.to_string()),
    )?;
    let find = |kind: &str| -> Result<PathBuf> {
        let rd = std::fs::read_dir(dir.join(kind)).map_err(|e| format!("{}: {e}", dir.join(kind).display()))?;
        rd.flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == kind))
            .ok_or_else(|| format!("tauri bundle --debug não gerou o .{kind} em {}", dir.display()))
    };
    let (deb, rpm) = (find("deb")?, find("rpm")?);
    for p in [&deb, &rpm] {
        let size = p.metadata().map(|m| m.len()).unwrap_or(0);
        eprintln!("  {:>7.2} MB  {}", size as f64 / 1_048_576.0, p.display());
    }
    Ok((deb, rpm))
}

/// The installed CLI answers `--version` with its version and `--help` with its pt-BR usage.
pub fn cli_runs(cli: &Path) -> Result {
    let version = Command::new(cli).arg("--version").output().map_err(|e| format!("{}: {e}", cli.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    if version != format!("balcao-cli {}", env!("CARGO_PKG_VERSION")) {
        return Err(format!("{} --version respondeu «{version}»", cli.display()));
    }
    let help = Command::new(cli).arg("--help").output().map_err(|e| format!("{}: {e}", cli.display()))?;
    if !help.status.success() || !String::from_utf8_lossy(&help.stdout).contains("Uso: balcao-cli") {
        return Err(format!("{} --help falhou: {}", cli.display(), String::from_utf8_lossy(&help.stderr)));
    }
    eprintln!("bundle: {} roda ({version})", cli.display());
    Ok(())
}

fn build() -> Result {
    sh::run(sh::cargo().args(["build", "--release", "-p", "balcao-cli", "--bin", "balcao-cli"]))?;
    let cli = cli_binary("release");
    let mut cmd = tauri_cli();
    cmd.arg("build").arg("--bundles").args(bundles());
    let pubkey = signing_env(&mut cmd)?;
    cmd.arg("--config").arg(config_overlay(&pubkey, &cli));
    sh::run(&mut cmd)
}

fn bundle_dir() -> PathBuf {
    e2e::target_dir().join("release/bundle")
}

/// The packages of this build (newest version only), not their signatures.
fn list_packages() -> Result<Vec<PathBuf>> {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = Vec::new();
    for kind in ["deb", "rpm", "appimage", "nsis", "msi", "dmg", "macos"] {
        let Ok(rd) = std::fs::read_dir(bundle_dir().join(kind)) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let is_pkg =
                [".deb", ".rpm", ".AppImage", ".exe", ".msi", ".dmg", ".app.tar.gz"].iter().any(|s| name.ends_with(s));
            if is_pkg && (name.contains(version) || name.ends_with(".app.tar.gz")) {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(format!("nenhum pacote em {}", bundle_dir().display()));
    }
    Ok(out)
}

/// Every package has its updater signature, made for this version (the app requires the signed version).
fn check_signatures(packages: &[PathBuf]) -> Result {
    let version = env!("CARGO_PKG_VERSION");
    for p in packages {
        let sig = PathBuf::from(format!("{}.sig", p.display()));
        let text = std::fs::read_to_string(&sig).map_err(|e| format!("{}: {e}", sig.display()))?;
        let out =
            Command::new("base64").arg("-d").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(text.trim().as_bytes())?;
                c.wait_with_output()
            });
        let decoded = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
        if !decoded.contains(&format!("version:{version}")) {
            return Err(format!("{} não diz a versão assinada ({version}): {decoded}", sig.display()));
        }
        eprintln!("  assinatura ok (versão {version}): {}", sig.display());
    }
    Ok(())
}

/// Installs the `.deb` like on a clean machine (apt resolves its dependencies), then launches the installed app.
fn deb_smoke(deb: &Path, keep: bool) -> Result {
    let guard = e2e::RealDataGuard::capture();
    let deb_abs = deb.canonicalize().map_err(|e| e.to_string())?;
    sh::run(sh::as_root("apt-get").args(["install", "-y", "-qq", "--reinstall"]).arg(&deb_abs))?;
    let r = installed_checks();
    if !keep {
        let _ = sh::run(sh::as_root("dpkg").args(["--purge", "balcao"]));
    }
    r?;
    guard.verify()
}

fn installed_checks() -> Result {
    let bin = Path::new("/usr/bin/balcao");
    if !bin.exists() {
        return Err("o pacote não instalou /usr/bin/balcao".into());
    }
    let listing = Command::new("dpkg").args(["-L", "balcao"]).output().map_err(|e| e.to_string())?;
    let listing = String::from_utf8_lossy(&listing.stdout);
    for want in ["/usr/bin/balcao", CLI_INSTALLED, ".desktop", "/usr/share/icons/"] {
        if !listing.contains(want) {
            return Err(format!("o pacote não traz {want}:\n{listing}"));
        }
    }
    // The debug build's test seams (file dialog answers, injected drops) are compiled out of the release build.
    let exe = std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    if exe.windows(b"BALCAO_TEST_SEAMS".len()).any(|w| w == b"BALCAO_TEST_SEAMS") {
        return Err("o binário instalado contém os ganchos de teste (BALCAO_TEST_SEAMS)".into());
    }
    cli_runs(Path::new(CLI_INSTALLED))?;
    let started = Instant::now();
    launch_and_lookup(bin)?;
    eprintln!(
        "bundle: o app instalado abriu, consultou e recusou uma segunda instância ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The installed app in a sandboxed Xvfb + D-Bus + keyring session, driven by tauri-driver: the window appears, a
/// Demonstração lookup reaches the simulator, the log files hold no full CPF, and a second launch exits at once.
fn launch_and_lookup(bin: &Path) -> Result {
    let mut sb = Sandbox::start(true)?;
    let artifacts = sh::root().join("artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    let (mut driver, e2e::DriverPorts { driver: driver_port, sim: sim_port }) =
        e2e::driver_command(&sb, &artifacts.join("bundle-smoke-driver.log"))?;
    sb.adopt(driver.spawn().map_err(|e| format!("tauri-driver: {e}"))?);
    e2e::wait_port(driver_port)?;
    let data_dir = sb.var("BALCAO_DATA_DIR").unwrap_or_default().to_owned();
    let shots = artifacts.join("bundle-smoke");
    let mut node = sb.command("node");
    node.current_dir(sh::root().join("tests/e2e"))
        .args(["--input-type=module", "-e", SMOKE_SCRIPT])
        .env("BALCAO_APP", bin)
        .env("TAURI_DRIVER_PORT", driver_port.to_string())
        .env("BALCAO_SIM_URL", format!("http://127.0.0.1:{sim_port}"))
        .env("BALCAO_E2E_DATA_DIR", &data_dir)
        .env("BALCAO_E2E_SCREENSHOTS", &shots);
    sh::run(&mut node)?;
    eprintln!("bundle: capturas em {}", shots.display());
    Ok(())
}

/// Driven through the e2e harness (tests/e2e/harness.mjs), from the tests/e2e folder.
const SMOKE_SCRIPT: &str = r#"
import { openApp, simRequests, screenshot, env } from './harness.mjs';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const fail = (m) => { throw new Error(m); };
const b = await openApp();
try {
  const banner = await b.$('[data-testid="demo-banner"]');
  await banner.waitForDisplayed({ timeout: 30000 });
  const input = await b.$('[data-testid="lookup-input"]');
  await input.setValue('404.428.201-35');
  await b.keys('Enter');
  const name = await b.$('[data-testid="result-name"]');
  await name.waitForDisplayed({ timeout: 30000 });
  const got = await name.getText();
  if (got !== 'Nome do CPF 404.428.201-35') fail(`unexpected result: ${got}`);
  const calls = await simRequests();
  if (!calls.some((r) => r.path.endsWith('/cpf/40442820135') && r.status === 200)) fail(`no CPF call: ${JSON.stringify(calls)}`);
  await screenshot(b, 'installed-deb-lookup');
  // A second launch hands over to the running window and exits.
  const t0 = Date.now();
  const second = spawnSync(env.app, [], { timeout: 20000, stdio: 'pipe' });
  if (second.error || second.status !== 0) fail(`second launch: status ${second.status} ${second.error ?? ''} ${second.stderr}`);
  console.log(`second launch exited in ${Date.now() - t0} ms`);
  if (!(await b.$('[data-testid="result-name"]').isDisplayed())) fail('the first window went away');
  // Log files exist and hold no full CPF.
  const logs = join(env.dataDir, 'logs');
  if (!existsSync(logs)) fail(`no log folder at ${logs}`);
  const files = readdirSync(logs).filter((f) => f.endsWith('.log'));
  if (files.length === 0) fail('no log file');
  for (const f of files) {
    const text = readFileSync(join(logs, f), 'utf8');
    if (/40442820135|404\.428\.201-35/.test(text)) fail(`${f} holds a full CPF`);
  }
  console.log(`installed app ok; logs: ${files.join(', ')}`);
} finally {
  await b.deleteSession();
}
"#;

/// Single instance on the debug build (a `cargo xtask test` stage): a second launch in the same session exits
/// at once with success, the first keeps running, and the first's window gets the X input focus back
/// (see [`second_launch_focuses_the_first`] for what can and cannot be observed without a window manager).
pub fn single_instance_check() -> Result {
    let app = e2e::app_binary();
    if !app.exists() {
        return Err(format!("{} is missing: build the app first", app.display()));
    }
    let sb = Sandbox::start(true)?;
    let mut first = sb.command(&app).stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let outcome = second_launch_focuses_the_first(&sb, &mut first);
    let _ = first.kill();
    let _ = first.wait();
    drop(sb);
    outcome
}

/// What the check can observe under Xvfb, which has no window manager: stacking order and `_NET_ACTIVE_WINDOW`
/// (`xdotool getactivewindow`) need one, so "raised" is not observable here. The X input focus is: with no window
/// manager, GTK's `present` (what the first instance's single-instance callback calls through `set_focus`) sets it
/// with `XSetInputFocus`. So the check moves the focus to the root window, launches a second instance, and requires
/// that the second exits with success, the first stays alive, and the X focus comes back to the first instance's
/// window: only the first instance, handling the second launch's event, can have put it there.
fn second_launch_focuses_the_first(sb: &Sandbox, first: &mut std::process::Child) -> Result {
    let xdotool = |args: &[&str]| -> Result<String> {
        let out = sb.command("xdotool").args(args).output().map_err(|e| format!("xdotool: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // The first instance's visible top-level window(s), once its event loop runs.
    let t0 = Instant::now();
    let windows: Vec<String> = loop {
        if let Ok(Some(status)) = first.try_wait() {
            return Err(format!("the first instance exited early ({status})"));
        }
        let found = xdotool(&["search", "--onlyvisible", "--name", "^Balcão$"])?;
        if !found.is_empty() {
            break found.lines().map(str::to_owned).collect();
        }
        if t0.elapsed() > Duration::from_secs(60) {
            return Err("the first instance never showed its window".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // The D-Bus name is taken before the window shows; a little margin for the event loop.
    std::thread::sleep(Duration::from_secs(2));
    let root = root_window(sb)?;
    xdotool(&["windowfocus", &root])?;
    let focus = xdotool(&["getwindowfocus", "-f"])?;
    if windows.contains(&focus) {
        return Err(format!(
            "the focus could not be moved off the first window ({focus}): the check would prove nothing"
        ));
    }
    let t0 = Instant::now();
    let mut second =
        sb.command(e2e::app_binary()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let status = loop {
        if let Some(s) = second.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            let _ = second.wait();
            return Err("a second launch kept running: single instance is broken".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        return Err(format!("the second launch failed ({status})"));
    }
    let exited = t0.elapsed();
    let focused = loop {
        let focus = xdotool(&["getwindowfocus"])?;
        if windows.contains(&focus) {
            break true;
        }
        if t0.elapsed() > exited + Duration::from_secs(5) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if first.try_wait().map_err(|e| e.to_string())?.is_some() {
        return Err("the first instance died when the second started".into());
    }
    if !focused {
        return Err(format!(
            "the second launch exited but the first instance's window {windows:?} did not get the focus back \
             (focus: {}): the first instance did not handle it",
            xdotool(&["getwindowfocus"]).unwrap_or_default()
        ));
    }
    eprintln!(
        "single instance: the second launch exited in {:.1} s and the first window has the X input focus again",
        exited.as_secs_f64()
    );
    Ok(())
}

/// The root window of the sandbox's display, in decimal (as xdotool takes window ids).
fn root_window(sb: &Sandbox) -> Result<String> {
    let out = sb.command("xwininfo").arg("-root").output().map_err(|e| format!("xwininfo: {e} (package x11-utils)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("0x"))
        .ok_or_else(|| format!("xwininfo -root printed no window id: {text}"))?;
    u64::from_str_radix(hex, 16).map(|id| id.to_string()).map_err(|e| format!("root window id {hex}: {e}"))
}
