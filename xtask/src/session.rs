//! A throwaway desktop session for tests: its own HOME, Xvfb display, D-Bus session bus and unlocked gnome-keyring.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sh::Result;

/// The keyring service name tests use, so nothing lands under the real "br.gov.balcao".
pub const TEST_KEYRING_SERVICE: &str = "br.gov.balcao.test";

/// Processes and folders of one sandboxed session; everything is stopped and removed on drop.
#[derive(Debug)]
pub struct Sandbox {
    pub dir: PathBuf,
    env: Vec<(String, String)>,
    children: Vec<Child>,
}

impl Sandbox {
    /// Starts D-Bus and gnome-keyring, and Xvfb when `display` is true.
    pub fn start(display: bool) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("balcao-sandbox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["home", "data", "config", "cache", "runtime", "app-data", "policy"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("sandbox dir: {e}"))?;
        }
        set_private(&dir.join("runtime"));
        let real_home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        let env = sandbox_env(&dir, &real_home);
        let mut sb = Sandbox { dir, env, children: Vec::new() };
        if display {
            sb.start_xvfb()?;
        }
        sb.start_dbus()?;
        sb.start_keyring()?;
        Ok(sb)
    }

    /// A command that runs inside the session.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_remove("DBUS_SESSION_BUS_ADDRESS").env_remove("WAYLAND_DISPLAY");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn var(&self, key: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Keeps a process started in the session so it is stopped with it.
    pub fn adopt(&mut self, child: Child) {
        self.children.push(child);
    }

    fn start_xvfb(&mut self) -> Result {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .ok_or("no free X display number")?;
        let child = Command::new("Xvfb")
            .args([
                format!(":{n}"),
                "-screen".into(),
                "0".into(),
                "1366x768x24".into(),
                "-nolisten".into(),
                "tcp".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("Xvfb: {e} (is the package xvfb installed?)"))?;
        self.children.push(child);
        wait_for(|| Path::new(&format!("/tmp/.X11-unix/X{n}")).exists(), "the Xvfb display")?;
        self.env.push(("DISPLAY".to_owned(), format!(":{n}")));
        Ok(())
    }

    fn start_dbus(&mut self) -> Result {
        let mut child = self
            .command("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dbus-daemon: {e} (is the package dbus installed?)"))?;
        let stdout = child.stdout.take().ok_or("dbus-daemon stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("dbus address: {e}"))?;
        self.children.push(child);
        let addr = line.trim().to_owned();
        if addr.is_empty() {
            return Err("dbus-daemon printed no address".into());
        }
        self.env.push(("DBUS_SESSION_BUS_ADDRESS".to_owned(), addr));
        Ok(())
    }

    fn start_keyring(&mut self) -> Result {
        let mut child = self
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("gnome-keyring-daemon: {e} (is the package gnome-keyring installed?)"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(b"test").map_err(|e| format!("keyring unlock: {e}"))?;
        }
        self.children.push(child);
        let probe = || {
            self.command("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
        };
        wait_for(probe, "the Secret Service (gnome-keyring)")?;
        // The login collection is created after the name is taken: a key stored before the `default` alias names
        // it may not be there to read back. (Asked only once the name is owned, so it cannot D-Bus-activate a
        // second, locked daemon.)
        let collection = || {
            self.command("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.ReadAlias",
                    "string:default",
                ])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("/collection/"))
        };
        wait_for(collection, "the keyring's default collection (gnome-keyring)")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The session's environment: every folder Balcão, the desktop and the keyring use is inside `dir`.
fn sandbox_env(dir: &Path, real_home: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_owned(), path(&dir.join("home"))),
        ("XDG_DATA_HOME".to_owned(), path(&dir.join("data"))),
        ("XDG_CONFIG_HOME".to_owned(), path(&dir.join("config"))),
        ("XDG_CACHE_HOME".to_owned(), path(&dir.join("cache"))),
        ("XDG_RUNTIME_DIR".to_owned(), path(&dir.join("runtime"))),
        ("BALCAO_DATA_DIR".to_owned(), path(&dir.join("app-data"))),
        // The managed policy's folder: never the machine's /etc/balcao (a test writes its policy.toml here).
        ("BALCAO_POLICY_DIR".to_owned(), path(&dir.join("policy"))),
        ("BALCAO_KEYRING_SERVICE".to_owned(), TEST_KEYRING_SERVICE.to_owned()),
        ("NO_AT_BRIDGE".to_owned(), "1".to_owned()),
    ];
    // cargo, rustup and npm keep their real homes (caches, toolchains) when HOME moves.
    for (var, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        let v = std::env::var(var).unwrap_or_else(|_| format!("{real_home}/{default}"));
        env.push((var.to_owned(), v));
    }
    env.push(("npm_config_cache".to_owned(), format!("{real_home}/.npm")));
    env
}

fn wait_for(mut ready: impl FnMut() -> bool, what: &str) -> Result {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out waiting for {what}"))
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[cfg(unix)]
fn set_private(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn set_private(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_redirects_the_data_folder_the_keyring_and_the_policy_folder_away_from_the_machines() {
        let dir = Path::new("/tmp/balcao-sandbox-test");
        let env = sandbox_env(dir, "/root");
        let var = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        for k in ["BALCAO_DATA_DIR", "BALCAO_POLICY_DIR", "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"] {
            let v = var(k).unwrap_or_else(|| panic!("{k} is not redirected"));
            assert!(Path::new(&v).starts_with(dir), "{k}={v} is outside the sandbox");
        }
        assert_ne!(var("BALCAO_POLICY_DIR").as_deref(), Some("/etc/balcao"));
        assert_eq!(var("BALCAO_KEYRING_SERVICE").as_deref(), Some(TEST_KEYRING_SERVICE));
    }
}
