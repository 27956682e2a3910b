//! `cargo xtask run`: installs what is missing, builds the UI and the app, and opens Balcão in Demonstração.

use std::process::Command;
use std::time::Duration;

use crate::session::Sandbox;
use crate::sh::{self, Result};
use crate::{deps, e2e};

pub fn run() -> Result {
    deps::ensure_system()?;
    deps::ensure_npm("ui")?;
    sh::run(sh::npm("ui").args(["run", "build"]))?;
    e2e::build_app()?;
    let app = e2e::app_binary();
    if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
        return sh::run(&mut Command::new(&app));
    }
    // No display (a server, CI): run under Xvfb with a throwaway keyring, and save a screenshot to show it works.
    let sb = Sandbox::start(true)?;
    eprintln!("Sem tela: abrindo o Balcão num Xvfb ({}).", sb.var("DISPLAY").unwrap_or("?"));
    let mut child = e2e::spawn_in(&sb, &app)?;
    std::thread::sleep(Duration::from_secs(6));
    let shot = sh::root().join("artifacts/run-screenshot.png");
    let _ = std::fs::create_dir_all(shot.parent().expect("artifacts dir"));
    let _ = sh::run(sb.command("import").args(["-window", "root", &shot.to_string_lossy()]));
    eprintln!("Captura da janela: {}. Ctrl-C encerra.", shot.display());
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("Balcão saiu com {status}")) }
}
