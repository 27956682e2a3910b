//! Installs what the build and the tests need: Debian packages, npm packages from the lock files, tauri-driver.

use std::process::Command;

use crate::sh::{self, Result};

/// Debian packages: Tauri's build dependencies, the keyring's D-Bus, and the headless test stack.
const DEBIAN_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libdbus-1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "file",
    "imagemagick",
    "xdotool",
    // xwininfo: the single-instance check finds the root window to move the focus off the app.
    "x11-utils",
    // GNU time (`/usr/bin/time -f %M`): the CLI tests measure each hostile case's peak memory with it.
    "time",
    // The signed package repository (repo.rs): apt-ftparchive, gpg and gpgv, rpmsign and `rpm -K`.
    "apt-utils",
    "gnupg",
    "gpgv",
    "rpm",
    // The agency store's tests (pg.rs): a throwaway PostgreSQL cluster with a throwaway TLS certificate.
    "postgresql",
    "openssl",
    // The e2e's forced-colors check (Windows high contrast, which WebKitGTK cannot enter): the window's DOM rendered
    // in Debian's Chromium with the mode emulated (tests/e2e/forced-colors.mjs, through puppeteer-core).
    "chromium",
];

/// Everything: system packages, npm packages and tauri-driver.
pub fn ensure_all() -> Result {
    ensure_system()?;
    ensure_npm("ui")?;
    ensure_npm("tests/e2e")?;
    ensure_tauri_driver()
}

fn missing_debian_packages() -> Vec<&'static str> {
    DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query").args(["-W", "-f=${Status}", p]).output();
            !out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

/// Installs the missing Debian packages (as root, or with sudo); elsewhere says exactly what to install.
pub fn ensure_system() -> Result {
    if !sh::has("dpkg-query") || !sh::has("apt-get") {
        return Err(format!(
            "este sistema não usa apt. Instale o equivalente de: {}; Node.js 20+ e npm; depois rode de novo.\n\
             (Veja https://v2.tauri.app/start/prerequisites/ para o seu sistema.)",
            DEBIAN_PACKAGES.join(" ")
        ));
    }
    let missing = missing_debian_packages();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    let mut prefix: Vec<&str> = Vec::new();
    if !is_root {
        if !sh::has("sudo") {
            return Err(format!(
                "faltam pacotes e não há sudo. Como root, rode: apt-get install -y {}",
                missing.join(" ")
            ));
        }
        prefix.push("sudo");
    }
    let apt = |args: &[&str]| {
        let mut all = prefix.clone();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut c = Command::new(all[0]);
        c.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        sh::run(&mut c)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing.iter().copied());
    apt(&args)?;
    if !sh::has("node") || !sh::has("npm") {
        apt(&["install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"])?;
    }
    Ok(())
}

/// `npm ci` when node_modules is missing or older than the lock file.
pub fn ensure_npm(dir: &str) -> Result {
    let root = sh::root().join(dir);
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (lock.metadata().and_then(|m| m.modified()), stamp.metadata().and_then(|m| m.modified())) {
        (Ok(l), Ok(s)) => s >= l,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    sh::run(sh::npm(dir).args(["ci", "--no-audit", "--no-fund"]))
}

/// tauri-driver (the WebDriver bridge for Tauri apps) from crates.io.
pub fn ensure_tauri_driver() -> Result {
    if sh::has("tauri-driver") {
        return Ok(());
    }
    sh::run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
        "install",
        "tauri-driver",
        "--locked",
        "--version",
        "2.1.0",
    ]))
}
