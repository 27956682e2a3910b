#![cfg(feature = "secret-service-tests")]
//! `KeyringStore` against a real Secret Service (gnome-keyring in a D-Bus session).
//!
//! Run inside a throw-away session with an unlocked keyring:
//! `HOME=$(mktemp -d) dbus-run-session -- bash -c 'echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null;
//!  cargo test -p balcao-platform --features secret-service-tests'`
//! Every service name used here is unique to the run, so the user's real entries are never touched.
//! Environment changes happen only in child processes (the test binary re-run with a marker variable).

use std::process::Command;

use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::{KeyringStore, SecretFailure, SecretStore};

const CHILD: &str = "BALCAO_SS_TEST_CHILD";

fn unique_service(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("br.gov.balcao.test.{tag}.{}.{nanos}", std::process::id())
}

fn child(test: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(CHILD, "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("child runs")
}

#[test]
fn round_trip_in_the_real_keyring() {
    let store = KeyringStore::with_service(&unique_service("roundtrip"));
    let key = "history-db-key";
    assert_eq!(store.get(key).unwrap(), None);
    let v1 = Sensitive::new("0123456789abcdef".repeat(4));
    store.set(key, &v1).unwrap();
    assert_eq!(store.get(key).unwrap().as_ref(), Some(&v1));
    // A second store object (a new D-Bus connection) sees the same value: it really persisted.
    let again = KeyringStore::with_service(store.service());
    assert_eq!(again.get(key).unwrap().as_ref(), Some(&v1));
    let v2 = Sensitive::new("replaced ✓ ação".to_owned());
    store.set(key, &v2).unwrap();
    assert_eq!(again.get(key).unwrap().as_ref(), Some(&v2));
    store.delete(key).unwrap();
    assert_eq!(again.get(key).unwrap(), None);
    store.delete(key).expect("deleting a missing key is fine");
    store.self_test().expect("self test passes on a working keyring");
    assert_eq!(store.get("balcao-self-test").unwrap(), None, "self test cleans up");
}

#[test]
fn entries_are_separated_by_service() {
    let a = KeyringStore::with_service(&unique_service("a"));
    let b = KeyringStore::with_service(&unique_service("b"));
    a.set("k", &Sensitive::new("from-a".to_owned())).unwrap();
    assert_eq!(b.get("k").unwrap(), None);
    a.delete("k").unwrap();
}

#[test]
fn service_is_redirected_by_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        // Child: KeyringStore::new() must pick the service from BALCAO_KEYRING_SERVICE and store there.
        let store = KeyringStore::new();
        assert_eq!(Some(store.service()), std::env::var("BALCAO_KEYRING_SERVICE").ok().as_deref());
        store.set("redirect-probe", &Sensitive::new("written-by-child".to_owned())).unwrap();
        return;
    }
    let service = unique_service("redirect");
    let out = child("service_is_redirected_by_the_environment", &[("BALCAO_KEYRING_SERVICE", &service)]);
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    let store = KeyringStore::with_service(&service);
    assert_eq!(store.get("redirect-probe").unwrap().map(Sensitive::into_inner).as_deref(), Some("written-by-child"));
    store.delete("redirect-probe").unwrap();
}

/// The service name `KeyringStore::new()` picks, for each value of the redirect, against literal expectations
/// (the child only reports; no keyring access).
#[test]
fn an_empty_or_blank_redirect_falls_back_to_br_gov_balcao() {
    if std::env::var_os(CHILD).is_some() {
        println!("\nSERVICE={}", KeyringStore::new().service());
        return;
    }
    for (redirect, expected) in
        [("", "br.gov.balcao"), ("   ", "br.gov.balcao"), ("  br.gov.balcao.teste  ", "br.gov.balcao.teste")]
    {
        let out =
            child("an_empty_or_blank_redirect_falls_back_to_br_gov_balcao", &[("BALCAO_KEYRING_SERVICE", redirect)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        let service = stdout.lines().find_map(|l| l.strip_prefix("SERVICE=")).expect("child printed the service");
        assert_eq!(service, expected, "redirect {redirect:?}");
    }
    let mut unset = Command::new(std::env::current_exe().expect("test binary"));
    unset.args(["--exact", "an_empty_or_blank_redirect_falls_back_to_br_gov_balcao", "--nocapture"]);
    let out = unset.env(CHILD, "1").env_remove("BALCAO_KEYRING_SERVICE").output().expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().find_map(|l| l.strip_prefix("SERVICE=")), Some("br.gov.balcao"), "unset: {stdout}");
}

#[test]
fn no_session_bus_is_a_clear_keychain_error() {
    if std::env::var_os(CHILD).is_some() {
        let store = KeyringStore::with_service(&unique_service("nobus"));
        let err = store.get("k").expect_err("no bus, no keyring");
        assert_eq!(err.code, ErrorCode::KeychainUnavailable);
        assert_eq!(err.failure, SecretFailure::NoService, "{err:?}");
        let set = store.set("k", &Sensitive::new("must-not-be-stored".to_owned())).expect_err("no silent fallback");
        assert_eq!(set.failure, SecretFailure::NoService);
        assert!(store.self_test().is_err());
        let app = AppError::from(err);
        // On its own line: libtest prints "test name ... " before the test's output.
        println!("\nMESSAGE={}", app.message);
        return;
    }
    let nowhere = std::env::temp_dir().join(format!("balcao-no-bus-{}", std::process::id()));
    let address = format!("unix:path={}", nowhere.display());
    let out = child("no_session_bus_is_a_clear_keychain_error", &[("DBUS_SESSION_BUS_ADDRESS", &address)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let message = stdout.lines().find_map(|l| l.strip_prefix("MESSAGE=")).expect("child printed the message");
    assert!(message.contains("cofre de senhas"), "{message}");
    assert!(message.contains("D-Bus"), "{message}");
    assert!(!nowhere.exists());
}
