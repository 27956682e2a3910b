//! End-to-end tests in the real window: builds the debug app, starts tauri-driver in a sandboxed Xvfb session, runs tests/e2e.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::session::Sandbox;
use crate::sh::{self, Result};
use crate::stand_ins;

/// The cargo target directory (CARGO_TARGET_DIR, or target/ in the repository).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| sh::root().join("target"))
}

pub fn app_binary() -> PathBuf {
    target_dir().join("debug").join(if cfg!(windows) { "balcao.exe" } else { "balcao" })
}

/// The ports of one tauri-driver run: its WebDriver port and the app's embedded simulator.
#[derive(Debug, Clone, Copy)]
pub struct DriverPorts {
    pub driver: u16,
    pub sim: u16,
}

/// The locale the app runs under in the e2e tests: the only one besides POSIX on these machines, and not pt-BR.
pub const E2E_LOCALE: &str = "C.UTF-8";

/// tauri-driver in the sandbox, not yet started: its own WebDriver and WebKitWebDriver ports (so runs side by side, a
/// developer and CI on one machine, never meet), the app's simulator on a free port with its `/__sim/*` control and
/// request-log routes on (`BALCAO_SIM_CONTROL=1`: off in the field), the debug build's test seams in the sandbox
/// (`BALCAO_TEST_SEAMS`, see [`seams_dir`]; a release build has none), under [`E2E_LOCALE`], output to `log`.
pub fn driver_command(sb: &Sandbox, log: &std::path::Path) -> Result<(Command, DriverPorts)> {
    let ports = DriverPorts { driver: free_port()?, sim: free_port()? };
    let seams = seams_dir(sb)?;
    let native_port = free_port()?;
    let log = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut cmd = sb.command("tauri-driver");
    cmd.args(["--port", &ports.driver.to_string(), "--native-port", &native_port.to_string()])
        .env("BALCAO_SIM_ADDR", format!("127.0.0.1:{}", ports.sim))
        .env("BALCAO_SIM_CONTROL", "1")
        .env("BALCAO_TEST_SEAMS", &seams)
        // A system locale that is not pt-BR, so a control that follows the OS (a native date field shows
        // mm/dd/yyyy, a file input "Choose File") shows it in the e2e screenshots and tests (issue 20).
        .env("LANG", E2E_LOCALE)
        .env("LC_ALL", E2E_LOCALE)
        .env_remove("LANGUAGE")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .stdin(Stdio::null());
    Ok((cmd, ports))
}

/// Where the tests answer the next file dialog and inject drops (src-tauri/src/seams.rs), created in the sandbox.
pub fn seams_dir(sb: &Sandbox) -> Result<PathBuf> {
    let dir = sb.dir.join("seams");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

pub fn build_app() -> Result {
    sh::run(sh::cargo().args(["build", "-p", "balcao"]))
}

/// The debug app and the debug CLI in one cargo run (one feature set for both): the e2e stage's build, which the
/// repository stage then packages without compiling again.
pub fn build_app_and_cli() -> Result {
    sh::run(sh::cargo().args(["build", "-p", "balcao", "-p", "balcao-cli"]))
}

pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Waits (up to 20 s) until something listens on a loopback port.
pub fn wait_port(port: u16) -> Result {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("nothing listened on 127.0.0.1:{port}"))
}

pub fn run() -> Result {
    let guard = RealDataGuard::capture();
    let app = app_binary();
    if !app.exists() {
        return Err(format!("{} is missing: build the app first", app.display()));
    }
    let shots = sh::root().join("artifacts/e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).map_err(|e| format!("screenshot dir: {e}"))?;
    eprintln!("e2e screenshots: {}", shots.display());

    let mut sb = Sandbox::start(true)?;
    let (mut driver, DriverPorts { driver: driver_port, sim: sim_port }) =
        driver_command(&sb, &sh::root().join("artifacts/tauri-driver.log"))?;
    sb.adopt(driver.spawn().map_err(|e| format!("tauri-driver: {e}"))?);
    wait_port(driver_port)?;

    // The desktop's notification and file-manager services, as stand-ins recording what the app asked them.
    let calls = sb.dir.join("desktop-calls");
    let _stand_ins = stand_ins::start(sb.var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default(), &calls)?;

    let data_dir = sb.var("BALCAO_DATA_DIR").unwrap_or_default().to_owned();
    let policy_dir = sb.var("BALCAO_POLICY_DIR").unwrap_or_default().to_owned();
    let mut node = sb.command("node");
    node.current_dir(sh::root().join("tests/e2e"))
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .env("BALCAO_APP", &app)
        .env("TAURI_DRIVER_PORT", driver_port.to_string())
        .env("BALCAO_SIM_URL", format!("http://127.0.0.1:{sim_port}"))
        .env("BALCAO_E2E_DATA_DIR", &data_dir)
        .env("BALCAO_E2E_POLICY_DIR", &policy_dir)
        .env("BALCAO_E2E_SCREENSHOTS", &shots)
        .env("BALCAO_TEST_SEAMS", seams_dir(&sb)?)
        .env("BALCAO_E2E_DESKTOP_CALLS", &calls);
    // BALCAO_E2E_ONLY="window.test.mjs flow.test.mjs": only these files (a developer's quicker loop; CI runs all).
    if let Ok(only) = std::env::var("BALCAO_E2E_ONLY") {
        node.args(only.split_whitespace());
    }
    let r = sh::run(&mut node);
    drop(sb);
    r?;
    guard.verify()?;
    eprintln!("e2e screenshots: {}", shots.display());
    Ok(())
}

/// Proves tests left the real user's Balcão data alone: the real data folder is the same before and after.
#[derive(Debug)]
pub struct RealDataGuard {
    dir: PathBuf,
    before: Vec<(PathBuf, u64, Option<SystemTime>)>,
}

impl RealDataGuard {
    pub fn capture() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        let base = std::env::var("XDG_DATA_HOME").unwrap_or_else(|_| format!("{home}/.local/share"));
        let dir = PathBuf::from(base).join("br.gov.balcao");
        let before = listing(&dir);
        Self { dir, before }
    }

    pub fn verify(&self) -> Result {
        if listing(&self.dir) == self.before {
            Ok(())
        } else {
            Err(format!("tests changed the real user's data folder {}", self.dir.display()))
        }
    }
}

fn listing(dir: &PathBuf) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let m = e.metadata().ok();
            out.push((e.path(), m.as_ref().map_or(0, |m| m.len()), m.and_then(|m| m.modified().ok())));
        }
    }
    out.sort();
    out
}

/// Runs the app's binary in a sandboxed session (used by `cargo xtask run` when there is no display).
pub fn spawn_in(sb: &Sandbox, app: &PathBuf) -> Result<std::process::Child> {
    let mut c: Command = sb.command(app);
    c.spawn().map_err(|e| format!("{}: {e}", app.display()))
}
