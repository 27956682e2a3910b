//! `extra_ca_file` takes only a small regular file of PEM certificates: a folder, a device, a FIFO, a file over
//! 1 MiB, a non-PEM file or a network (UNC) path is refused with a pt-BR message, when the client is built and
//! when a provisioned profiles file is loaded, and never read past the cap (nor opened at all when it would block).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use balcao_gov::{Credentials, GovClient, load_profiles_toml};

const FIXTURE_CA: &str = include_str!("fixtures/ca.pem");

fn profile_with_ca(path: &str) -> Profile {
    let mut p = Profile::demo("https://gateway.example");
    p.extra_ca_file = Some(path.to_owned());
    p
}

/// Builds the client on another thread so that a read that never ends fails the test instead of hanging it.
fn build(path: &str) -> Result<GovClient, AppError> {
    let (tx, rx) = mpsc::channel();
    let profile = profile_with_ca(path);
    std::thread::spawn(move || {
        let _ = tx.send(GovClient::new(profile, Credentials::demo()));
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("building the client with {path} never ended"))
}

fn assert_refused(path: &str, needle: &str) {
    let e = build(path).err().unwrap_or_else(|| panic!("{path} was accepted"));
    assert_eq!(e.code, ErrorCode::Config, "{path}: {}", e.message);
    assert!(e.message.contains(needle), "{path}: expected «{needle}» in: {}", e.message);
    assert!(e.message.contains("certificados"), "{path}: names the setting: {}", e.message);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("balcao-extra-ca-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn a_small_pem_file_is_accepted() {
    let dir = temp_dir("ok");
    let f = dir.join("ca.pem");
    std::fs::write(&f, FIXTURE_CA).unwrap();
    build(&s(&f)).unwrap_or_else(|e| panic!("{}", e.message));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_is_refused_as_not_a_regular_file() {
    let dir = temp_dir("dir");
    assert_refused(&s(&dir), "não é um arquivo comum");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_as_not_a_regular_file() {
    assert_refused("/dev/zero", "não é um arquivo comum");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking_on_it() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("ca.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    assert_refused(&s(&fifo), "não é um arquivo comum");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_over_one_mib_is_refused_even_when_it_is_valid_pem() {
    let dir = temp_dir("big");
    let f = dir.join("ca.pem");
    let copies = (2 * 1024 * 1024) / FIXTURE_CA.len() + 1;
    std::fs::write(&f, FIXTURE_CA.repeat(copies)).unwrap();
    assert!(std::fs::metadata(&f).unwrap().len() >= 2 * 1024 * 1024);
    assert_refused(&s(&f), "maior que 1 MiB");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_without_pem_certificates_is_refused() {
    let dir = temp_dir("nopem");
    let f = dir.join("ca.pem");
    std::fs::write(&f, "isto não é um certificado\n").unwrap();
    assert_refused(&s(&f), "não contém certificados PEM");
    let g = dir.join("key.pem");
    std::fs::write(&g, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    assert_refused(&s(&g), "não contém certificados PEM");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn network_paths_are_refused_before_any_access() {
    for unc in [r"\\server\share\ca.pem", "//server/share/ca.pem", r"\\?\UNC\server\share\ca.pem", r"\\.\pipe\ca"] {
        assert_refused(unc, "pasta de rede");
    }
}

#[test]
fn a_provisioned_profiles_file_with_a_bad_extra_ca_file_is_refused_when_loaded() {
    let dir = temp_dir("toml");
    for (path, needle) in [(s(&dir), "não é um arquivo comum"), ("//server/share/ca.pem".into(), "pasta de rede")] {
        let text = format!(
            "[[profile]]\nid = \"p\"\nname = \"P\"\nprovider = \"serpro\"\nenvironment = \"producao\"\n\
             base_url = \"https://g.example\"\ncnpj_views = [\"basica\"]\nextra_ca_file = '{path}'\n"
        );
        let e = load_profiles_toml(&text).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config, "{path}");
        assert!(e.message.contains(needle), "{path}: {}", e.message);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
