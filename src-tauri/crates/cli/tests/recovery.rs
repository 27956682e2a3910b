//! Key recovery end to end with real parts: the agency key pair made by the real `balcao-cli admin recovery-keygen`,
//! a managed policy naming it, a real SQLCipher history written by real lookups, a real Secret Service in a nested
//! D-Bus session. The keyring loses the history key; the history refuses to open; `balcao-cli admin recover` with the
//! agency's private key binds it again and every row reads. A wrong identity and a tampered wrapped key are refused
//! and change nothing; the wrapped key follows the policy's key; without one nothing is wrapped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use balcao_platform::{KeyringStore, SecretStore};

mod common;
use common::{assert_no_english, in_keyring_session, listing};

const INSIDE: &str = "BALCAO_CLI_RECOVERY_TEST_INSIDE";
const TEST_NAME: &str = "a_history_is_recovered_after_a_keyring_reset_with_the_agency_key_and_every_row_reads";
/// The history key's entry in the keyring (`balcao_history::KEY_NAME`).
const KEY_NAME: &str = "history-db-key";
const NUMBERS: [&str; 3] = ["40442820135", "91708635203", "63017285995"];

#[test]
fn a_history_is_recovered_after_a_keyring_reset_with_the_agency_key_and_every_row_reads() {
    if in_keyring_session(INSIDE, TEST_NAME, "recovery") {
        inside_session();
    }
}

/// `balcao-cli ARGS` with the data folder `data` and the policy folder `policy`, `stdin` fed when given.
fn cli(args: &[&str], data: &Path, policy: &Path, stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.args(args)
        .env("BALCAO_DATA_DIR", data)
        .env("BALCAO_POLICY_DIR", policy)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("balcao-cli runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("stdin written");
    }
    drop(input);
    child.wait_with_output().expect("balcao-cli ends")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A new agency key pair through the real CLI: the private key file (0600) and the public key it printed.
fn keygen(dir: &Path, name: &str, data: &Path, policy: &Path) -> (PathBuf, String) {
    let file = dir.join(name);
    let out = cli(&["admin", "recovery-keygen", "--out", file.to_str().unwrap()], data, policy, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let public = String::from_utf8_lossy(&out.stdout).lines().find(|l| l.starts_with("age1")).unwrap_or("").to_owned();
    assert!(public.starts_with("age1pq1"), "the public key is printed on its own line: {}", text(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "private key file 0600");
    }
    let secret = std::fs::read_to_string(&file).unwrap();
    assert!(secret.contains("AGE-SECRET-KEY-"), "an age identity file");
    assert!(!text(&out).contains("AGE-SECRET-KEY-"), "the private key is never printed");
    (file, public)
}

fn write_policy(policy: &Path, public: Option<&str>) {
    std::fs::create_dir_all(policy).unwrap();
    let body = match public {
        Some(key) => format!("recovery_public_key = \"{key}\"\n"),
        None => "idle_lock_minutes = 5\n".to_owned(),
    };
    std::fs::write(policy.join("policy.toml"), body).unwrap();
}

fn lookups(data: &Path, policy: &Path) {
    for n in NUMBERS {
        let out = cli(&["lookup", "cpf", n], data, policy, None);
        assert!(matches!(out.status.code(), Some(0 | 11)), "lookup {n}: {}", text(&out));
    }
}

/// The numbers the history lists, through the real CLI (`None`: it refused with this exit status and message).
fn search(data: &Path, policy: &Path) -> Result<Vec<String>, (Option<i32>, String)> {
    let out = cli(&["history", "search", "--json"], data, policy, None);
    if out.status.code() != Some(0) {
        return Err((out.status.code(), text(&out)));
    }
    let mut numbers: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line")["number"].as_str().unwrap().into())
        .collect();
    numbers.sort();
    Ok(numbers)
}

fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    listing(dir).into_iter().map(|name| (name.clone(), std::fs::read(dir.join(&name)).unwrap_or_default())).collect()
}

/// `admin recover` refused with exit 1, a pt-BR message containing `needle`, nothing stored and no file changed.
fn refused(args: &[&str], stdin: Option<&[u8]>, data: &Path, policy: &Path, needle: &str) {
    let before = every_file(data);
    let out = cli(args, data, policy, stdin);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(needle), "{}", text(&out));
    assert!(text(&out).contains("Nada foi alterado"), "{}", text(&out));
    assert_no_english(&text(&out));
    assert_eq!(KeyringStore::new().get(KEY_NAME).unwrap(), None, "nothing stored in the keyring");
    assert!(every_file(data) == before, "no file in the data folder changed");
}

fn inside_session() {
    let data = PathBuf::from(std::env::var_os("BALCAO_DATA_DIR").expect("redirected data dir"));
    let root = data.with_file_name("recovery-test");
    std::fs::create_dir_all(&root).unwrap();
    let policy = root.join("policy");
    let keys = root.join("agency");
    std::fs::create_dir_all(&keys).unwrap();
    let expected: Vec<String> = {
        let mut v: Vec<String> = NUMBERS.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };

    // The agency's key pair, and a policy naming its public key.
    let (agency_key, agency_public) = keygen(&keys, "agencia.key", &data, &policy);
    let refuse_overwrite =
        cli(&["admin", "recovery-keygen", "--out", agency_key.to_str().unwrap()], &data, &policy, None);
    assert_eq!(refuse_overwrite.status.code(), Some(2), "an existing key file is never overwritten");
    write_policy(&policy, Some(&agency_public));

    // Real lookups create the history and wrap its key beside it.
    lookups(&data, &policy);
    assert_eq!(search(&data, &policy).unwrap(), expected);
    let wrapped = data.join("history.key.age");
    let original = std::fs::read(&wrapped).expect("the key is wrapped beside the history");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&wrapped).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let key = KeyringStore::new().get(KEY_NAME).unwrap().expect("the history key is in the keyring");
    let clear = key.expose().as_bytes();
    for (name, bytes) in every_file(&data) {
        assert!(!bytes.windows(clear.len()).any(|w| w == clear), "the key in clear in {name}");
    }

    // The keyring is reset: the history refuses to open, and is left alone.
    KeyringStore::new().delete(KEY_NAME).unwrap();
    let (code, message) = search(&data, &policy).unwrap_err();
    assert_eq!(code, Some(1), "{message}");
    assert!(message.contains("cofre de senhas"), "{message}");

    // The private key is never taken from the command line itself.
    let secret = std::fs::read_to_string(&agency_key).unwrap();
    let secret_line = secret.lines().find(|l| l.starts_with("AGE-SECRET-KEY-")).unwrap().to_owned();
    let on_argv = cli(&["admin", "recover", "--identity", &secret_line], &data, &policy, None);
    assert_eq!(on_argv.status.code(), Some(2), "{}", text(&on_argv));
    assert!(!text(&on_argv).contains(&secret_line[20..40]), "the secret is not echoed: {}", text(&on_argv));

    // Another agency's key: refused, nothing changed.
    let (other_key, _) = keygen(&keys, "outra.key", &data, &policy);
    refused(
        &["admin", "recover", "--identity", other_key.to_str().unwrap()],
        None,
        &data,
        &policy,
        "não abre a cópia da chave",
    );
    // A tampered wrapped key: refused, nothing changed.
    let mut tampered = original.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    std::fs::write(&wrapped, &tampered).unwrap();
    refused(
        &["admin", "recover", "--identity", agency_key.to_str().unwrap()],
        None,
        &data,
        &policy,
        "não abre a cópia da chave",
    );
    std::fs::write(&wrapped, &original).unwrap();
    let (code, _) = search(&data, &policy).unwrap_err();
    assert_eq!(code, Some(1), "still locked after the refusals");

    // IT opens the wrapped key on its own machine (the agency's private key never enters the clerk's session) and
    // brings only this history's key: a wrong one is refused, one on the command line is refused unrepeated, the
    // right one from standard input binds the history again.
    let unwrapped = cli(
        &[
            "admin",
            "unwrap-history-key",
            "--identity",
            agency_key.to_str().unwrap(),
            "--wrapped",
            wrapped.to_str().unwrap(),
        ],
        &data,
        &policy,
        None,
    );
    assert_eq!(unwrapped.status.code(), Some(0), "{}", text(&unwrapped));
    let history_key = String::from_utf8_lossy(&unwrapped.stdout).trim().to_owned();
    assert_eq!(history_key, key.expose().trim(), "the history key, and only it, on standard output");
    let wrong = "0".repeat(64);
    refused(
        &["admin", "recover", "--history-key", "-"],
        Some(wrong.as_bytes()),
        &data,
        &policy,
        "não abre o histórico",
    );
    let on_argv = cli(&["admin", "recover", "--history-key", &history_key], &data, &policy, None);
    assert_eq!(on_argv.status.code(), Some(2), "{}", text(&on_argv));
    assert!(!text(&on_argv).contains(&history_key[8..40]), "the key is not echoed: {}", text(&on_argv));
    let out = cli(&["admin", "recover", "--history-key", "-"], &data, &policy, Some(history_key.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(search(&data, &policy).unwrap(), expected, "every row readable after recovering with the history key");
    KeyringStore::new().delete(KEY_NAME).unwrap();

    // The agency's key, from standard input: the history is bound again and every row reads.
    let out = cli(&["admin", "recover", "--identity", "-"], &data, &policy, Some(secret.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Histórico recuperado"), "{}", text(&out));
    assert_no_english(&text(&out));
    assert_eq!(search(&data, &policy).unwrap(), expected, "every row readable after the recovery");
    assert_eq!(KeyringStore::new().get(KEY_NAME).unwrap().as_ref(), Some(&key));
    let again = cli(&["admin", "recover", "--identity", agency_key.to_str().unwrap()], &data, &policy, None);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("já tem a chave"), "{}", text(&again));

    // The agency changes its key: the next open wraps the history key for the new one, and only it recovers.
    let (new_key, new_public) = keygen(&keys, "agencia-2027.key", &data, &policy);
    write_policy(&policy, Some(&new_public));
    assert_eq!(search(&data, &policy).unwrap(), expected);
    assert_ne!(std::fs::read(&wrapped).unwrap(), original, "wrapped again for the new key");
    KeyringStore::new().delete(KEY_NAME).unwrap();
    refused(
        &["admin", "recover", "--identity", agency_key.to_str().unwrap()],
        None,
        &data,
        &policy,
        "não abre a cópia da chave",
    );
    let out = cli(&["admin", "recover", "--identity", new_key.to_str().unwrap()], &data, &policy, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(search(&data, &policy).unwrap(), expected);

    // Without a recovery key in the policy: a new history has no wrapped key beside it.
    let plain = root.join("sem-chave");
    write_policy(&policy, None);
    KeyringStore::new().delete(KEY_NAME).unwrap();
    lookups(&plain, &policy);
    assert_eq!(search(&plain, &policy).unwrap(), expected);
    assert!(!plain.join("history.key.age").exists(), "{:?}", listing(&plain));
    let out = cli(&["admin", "recover", "--identity", new_key.to_str().unwrap()], &plain, &policy, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("Não há cópia da chave"), "{}", text(&out));
}
