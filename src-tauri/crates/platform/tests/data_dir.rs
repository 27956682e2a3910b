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

/// An older version left the data folder 0755 and its files 0644 (settings with the clerk's CPF, logs): making it
/// secure tightens the folder to 0700, files to 0600, sub-folders too, and never follows a link out of it.
#[cfg(unix)]
#[test]
fn secure_data_dir_tightens_what_an_older_version_left_open() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let set = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("br.gov.balcao");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    set(&dir, 0o755);
    set(&dir.join("logs"), 0o755);
    for f in ["settings.json", "history.db", "history.db-wal", "logs/balcao.2026-12-01.log"] {
        std::fs::write(dir.join(f), "x").unwrap();
        set(&dir.join(f), 0o644);
    }
    let outside = tmp.path().join("outside.txt");
    std::fs::write(&outside, "x").unwrap();
    set(&outside, 0o644);
    std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();

    balcao_platform::secure_data_dir(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("logs")), 0o700);
    for f in ["settings.json", "history.db", "history.db-wal", "logs/balcao.2026-12-01.log"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&outside), 0o644, "a link is not followed out of the data folder");

    // Created fresh: 0700; a private file is created 0600 and tightened if it existed looser.
    let fresh = tmp.path().join("a/b");
    balcao_platform::secure_data_dir(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    let file = fresh.join("export.csv");
    std::fs::write(&file, "old").unwrap();
    set(&file, 0o644);
    drop(balcao_platform::create_private_file(&file).unwrap());
    assert_eq!(mode(&file), 0o600);
    assert_eq!(std::fs::read(&file).unwrap(), b"", "emptied");
}
