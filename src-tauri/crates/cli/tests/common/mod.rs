//! What the CLI's keyring tests share: a scratch folder, and re-running a test inside its own D-Bus session with an
//! unlocked gnome-keyring, a throw-away HOME, a redirected data folder and a unique keyring service, so that the
//! user's real history and keyring are never touched.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private scratch folder, removed when dropped (the CLI crate has no tempfile dependency).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("balcao-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// True when this process already is the re-run inside the session (the caller then does the real work). Otherwise
/// runs the test `test_name` again inside `dbus-run-session` (packages `dbus` and `gnome-keyring`) with `inside`
/// set, asserts that it passed, and returns false.
pub fn in_keyring_session(inside: &str, test_name: &str, service_tag: &str) -> bool {
    if std::env::var_os(inside).is_some() {
        return true;
    }
    let tmp = Scratch::new("session");
    let home = tmp.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let script =
        r#"echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97; exec "$@""#;
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script, "sh"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(inside, "1")
        .env("HOME", &home)
        .env("BALCAO_DATA_DIR", tmp.path("data"))
        .env("BALCAO_KEYRING_SERVICE", format!("br.gov.balcao.test.{service_tag}.{}", std::process::id()))
        .env_remove("BALCAO_CLIENT_ID")
        .env_remove("BALCAO_CLIENT_SECRET")
        .output()
        .expect("dbus-run-session runs (install the packages dbus and gnome-keyring)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "inside the D-Bus session: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the test ran inside the session: {stdout}");
    false
}
