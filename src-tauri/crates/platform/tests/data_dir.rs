//! The data directory follows `BALCAO_DATA_DIR`, else XDG on Linux; checked in child processes so the
//! environment of the test runner is never changed.

use std::process::Command;

const CHILD: &str = "BALCAO_PLATFORM_TEST_CHILD";

/// In child mode (spawned by the test below) print what the library decides; the parent asserts.
fn child_report() -> bool {
    if std::env::var_os(CHILD).is_none() {
        return false;
    }
    println!("data_dir={}", balcao_platform::data_dir().display());
    println!("redirected={}", balcao_platform::is_redirected());
    true
}

fn run_child(envs: &[(&str, &str)], remove: &[&str]) -> String {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "data_dir_follows_the_environment", "--nocapture", "--test-threads=1"]);
    cmd.env(CHILD, "1");
    for k in remove {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("child runs");
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn data_dir_follows_the_environment() {
    if child_report() {
        return;
    }
    let redirected = run_child(&[("BALCAO_DATA_DIR", "/tmp/balcao-redirect-test")], &[]);
    assert!(redirected.contains("data_dir=/tmp/balcao-redirect-test\n"), "{redirected}");
    assert!(redirected.contains("redirected=true\n"), "{redirected}");

    #[cfg(target_os = "linux")]
    {
        let xdg = run_child(&[("XDG_DATA_HOME", "/xdg"), ("HOME", "/home/ana")], &["BALCAO_DATA_DIR"]);
        assert!(xdg.contains("data_dir=/xdg/br.gov.balcao\n"), "{xdg}");
        assert!(xdg.contains("redirected=false\n"), "{xdg}");
        let home = run_child(&[("HOME", "/home/ana")], &["BALCAO_DATA_DIR", "XDG_DATA_HOME"]);
        assert!(home.contains("data_dir=/home/ana/.local/share/br.gov.balcao\n"), "{home}");
        let empty = run_child(&[("HOME", "/home/ana"), ("BALCAO_DATA_DIR", "")], &["XDG_DATA_HOME"]);
        assert!(empty.contains("redirected=false\n"), "an empty redirect is no redirect: {empty}");
    }
}

#[test]
fn ensure_data_dir_creates_a_private_directory() {
    if std::env::var_os(CHILD).is_some() {
        // Child side: create the redirected directory through the library.
        let dir = balcao_platform::ensure_data_dir().expect("created");
        assert_eq!(Some(dir.as_os_str()), std::env::var_os("BALCAO_DATA_DIR").as_deref());
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let target = tmp.path().join("nested").join("data");
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "ensure_data_dir_creates_a_private_directory", "--nocapture", "--test-threads=1"]);
    cmd.env(CHILD, "1").env("BALCAO_DATA_DIR", &target);
    let out = cmd.output().expect("child runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(target.is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
