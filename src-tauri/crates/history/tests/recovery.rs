//! Key recovery: with an agency recovery key the history key is also kept wrapped (age) beside the database, never in
//! clear; the agency's private key unwraps it and binds the history to a new secret store, after proving it opens the
//! file. A wrong identity, a tampered or foreign wrapped file are refused and change nothing.

mod common;

use std::path::Path;

use balcao_core::history_api::{AuditEvent, AuditOrigin, DayRange, HistoryQuery};
use balcao_core::{ErrorCode, Sensitive};
use balcao_history::{
    History, KEY_NAME, Recovered, RecoveryIdentity, RecoveryKey, WRAPPED_FOR_FILE_NAME, WRAPPED_KEY_FILE_NAME,
    generate_recovery_key,
};
use balcao_platform::{MemoryStore, SecretStore};
use common::*;

/// A fresh agency key pair: the identity file's text (as `admin recovery-keygen` writes it) and its public key.
fn agency() -> (RecoveryIdentity, RecoveryKey) {
    let (identity, public) = generate_recovery_key();
    (RecoveryIdentity::parse(&identity).expect("a generated identity parses"), public)
}

/// An X25519 pair as `age-keygen` makes it (`AGE-SECRET-KEY-1…`, `age1…`).
#[allow(deprecated)] // X25519 is age's classic recipient; Balcão still accepts the keys IT made with age-keygen.
fn agency_x25519() -> (RecoveryIdentity, RecoveryKey) {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let secret = identity.to_string();
    let text = format!(
        "# created: 2026-12-07T20:00:00Z\n# public key: {}\n{}\n",
        identity.to_public(),
        secret.expose_secret()
    );
    let public = RecoveryKey::parse(&identity.to_public().to_string()).expect("an age1 key parses");
    (RecoveryIdentity::parse(&Sensitive::new(text)).expect("an age-keygen file parses"), public)
}

/// Who runs `admin recover` in these tests.
fn clerk() -> balcao_history::Actor {
    balcao_history::Actor { clerk_cpf: None, os_user: "ti-agencia".into() }
}

/// A history in `dir` holding three lookups, created with `recovery`.
fn history_with_rows(dir: &Path, secrets: &MemoryStore, recovery: Option<&RecoveryKey>) {
    let mut h = History::open_with_recovery(dir, secrets, recovery).expect("history opens");
    for (n, name) in [("40442820135", "Maria José"), ("91708635203", "João Batista"), ("63017285995", "Zuleica")] {
        h.record(&ctx(), &found_cpf(n, name), &doc(n)).unwrap();
    }
}

fn rows(dir: &Path, secrets: &MemoryStore) -> usize {
    let h = History::open(dir, secrets).expect("history opens");
    h.search(&HistoryQuery { limit: Some(50), ..Default::default() }).unwrap().items.len()
}

fn wrapped(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(WRAPPED_KEY_FILE_NAME)).expect("the wrapped key file exists")
}

/// Decrypts the wrapped file with `identity` as a plain age tool would (`age -d -i key.txt history.key.age`).
fn unwrap_as_age_would(dir: &Path, identity: &str) -> Option<String> {
    let ids = age::IdentityFile::from_buffer(identity.as_bytes()).ok()?.into_identities().ok()?;
    let bytes = wrapped(dir);
    let decryptor = age::Decryptor::new(&bytes[..]).ok()?;
    let mut reader = decryptor.decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity)).ok()?;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut reader, &mut out).ok()?;
    Some(out)
}

fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_key_is_wrapped_for_the_recovery_key_beside_a_new_history_private_and_never_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity_text, public) = generate_recovery_key();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let key = secrets.get(KEY_NAME).unwrap().expect("the key is in the store");

    let bytes = wrapped(dir.path());
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "a standard age file");
    let clear = key.expose().as_bytes();
    assert!(!bytes.windows(clear.len()).any(|w| w == clear), "the key is not in clear in the wrapped file");
    let recorded = std::fs::read_to_string(dir.path().join(WRAPPED_FOR_FILE_NAME)).unwrap();
    assert_eq!(recorded.trim(), public.as_str(), "which recipient it was wrapped for is recorded beside it");
    #[cfg(unix)]
    for name in [WRAPPED_KEY_FILE_NAME, WRAPPED_FOR_FILE_NAME] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is private to the user");
    }
    assert_eq!(unwrap_as_age_would(dir.path(), identity_text.expose()).as_deref(), Some(key.expose().as_str()));
}

#[test]
fn no_wrapped_key_is_written_without_a_recovery_key() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    history_with_rows(dir.path(), &secrets, None);
    assert!(!dir.path().join(WRAPPED_KEY_FILE_NAME).exists());
    assert!(!dir.path().join(WRAPPED_FOR_FILE_NAME).exists());
}

#[test]
fn an_existing_history_gets_its_wrapped_key_when_next_opened_with_a_recovery_key() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    history_with_rows(dir.path(), &secrets, None);
    let (identity_text, public) = generate_recovery_key();
    drop(History::open_with_recovery(dir.path(), &secrets, Some(&public)).unwrap());
    let key = secrets.get(KEY_NAME).unwrap().unwrap();
    assert_eq!(unwrap_as_age_would(dir.path(), identity_text.expose()).as_deref(), Some(key.expose().as_str()));
}

#[test]
fn the_key_is_wrapped_again_when_the_recovery_key_changes_and_left_alone_while_it_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (old_text, old) = generate_recovery_key();
    history_with_rows(dir.path(), &secrets, Some(&old));
    let first = wrapped(dir.path());
    drop(History::open_with_recovery(dir.path(), &secrets, Some(&old)).unwrap());
    assert_eq!(wrapped(dir.path()), first, "same recipient: the file is not rewritten");

    let (new_text, new) = generate_recovery_key();
    drop(History::open_with_recovery(dir.path(), &secrets, Some(&new)).unwrap());
    let key = secrets.get(KEY_NAME).unwrap().unwrap();
    assert_eq!(unwrap_as_age_would(dir.path(), new_text.expose()).as_deref(), Some(key.expose().as_str()));
    assert_eq!(unwrap_as_age_would(dir.path(), old_text.expose()), None, "the old agency key no longer opens it");
    let recorded = std::fs::read_to_string(dir.path().join(WRAPPED_FOR_FILE_NAME)).unwrap();
    assert_eq!(recorded.trim(), new.as_str());

    // A record of the recipient that was lost or damaged: wrapped again rather than trusted.
    std::fs::remove_file(dir.path().join(WRAPPED_FOR_FILE_NAME)).unwrap();
    std::fs::write(dir.path().join(WRAPPED_KEY_FILE_NAME), b"damaged").unwrap();
    drop(History::open_with_recovery(dir.path(), &secrets, Some(&new)).unwrap());
    assert_eq!(unwrap_as_age_would(dir.path(), new_text.expose()).as_deref(), Some(key.expose().as_str()));
}

#[test]
fn recovery_binds_a_new_secret_store_and_every_row_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity, public) = agency();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let key = secrets.get(KEY_NAME).unwrap().unwrap();

    // The keyring was reset: a new, empty one. The history refuses to open and is left alone.
    let fresh = MemoryStore::new();
    let locked = History::open_with_recovery(dir.path(), &fresh, Some(&public)).unwrap_err();
    assert_eq!(locked.code, ErrorCode::HistoryLocked);

    assert_eq!(History::recover(dir.path(), &fresh, &identity, Some(&public), &clerk()).unwrap(), Recovered::Rebound);
    assert_eq!(fresh.get(KEY_NAME).unwrap().as_ref(), Some(&key), "the key is back under the history's entry");
    assert_eq!(rows(dir.path(), &fresh), 3);
    // Again: nothing to do.
    assert_eq!(
        History::recover(dir.path(), &fresh, &identity, Some(&public), &clerk()).unwrap(),
        Recovered::AlreadyBound
    );
    // The rebinding, and only it, is in the audit trail: who, from the CLI.
    let h = History::open_with_recovery(dir.path(), &fresh, Some(&public)).unwrap();
    let audit = h.audit(&DayRange::default(), None, None).unwrap().items;
    let recoveries: Vec<_> = audit.iter().filter(|a| a.event == AuditEvent::Recovery).collect();
    assert_eq!(recoveries.len(), 1, "{audit:?}");
    assert_eq!(recoveries[0].os_user, "ti-agencia");
    assert_eq!(recoveries[0].origin, Some(AuditOrigin::Cli));
}

#[test]
fn an_age_keygen_x25519_key_recovers_too() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity, public) = agency_x25519();
    assert!(public.as_str().starts_with("age1") && !public.as_str().starts_with("age1pq1"));
    history_with_rows(dir.path(), &secrets, Some(&public));
    let fresh = MemoryStore::new();
    assert_eq!(History::recover(dir.path(), &fresh, &identity, None, &clerk()).unwrap(), Recovered::Rebound);
    assert_eq!(rows(dir.path(), &fresh), 3);
}

#[test]
fn a_key_in_the_store_that_does_not_open_the_history_is_replaced_by_the_recovered_one() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity, public) = agency();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let fresh = MemoryStore::new();
    fresh.set(KEY_NAME, &Sensitive::new(OTHER_KEY.to_owned())).unwrap();
    assert_eq!(History::recover(dir.path(), &fresh, &identity, None, &clerk()).unwrap(), Recovered::Rebound);
    assert_eq!(rows(dir.path(), &fresh), 3);
}

/// Runs a refused recovery into a fresh store and checks that nothing changed: the store is still empty and every
/// file in the data folder is byte-for-byte the same.
fn refused(dir: &Path, identity: &RecoveryIdentity, public: Option<&RecoveryKey>, needle: &str) {
    let fresh = MemoryStore::new();
    let before = every_file(dir);
    let e = History::recover(dir, &fresh, identity, public, &clerk()).unwrap_err();
    assert_eq!(e.code, ErrorCode::HistoryLocked, "{}", e.message);
    assert!(e.message.contains(needle), "{}", e.message);
    assert!(e.message.contains("Nada foi alterado"), "{}", e.message);
    assert_eq!(fresh.get(KEY_NAME).unwrap(), None, "nothing stored");
    assert!(every_file(dir) == before, "no file changed");
}

#[test]
fn a_wrong_identity_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (_, public) = agency();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let (someone_else, _) = agency();
    refused(dir.path(), &someone_else, Some(&public), "não abre a cópia da chave");
}

#[test]
fn a_tampered_wrapped_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity, public) = agency();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let path = dir.path().join(WRAPPED_KEY_FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    refused(dir.path(), &identity, Some(&public), "não abre a cópia da chave");
}

#[test]
fn a_wrapped_key_of_another_history_is_refused_and_nothing_changes() {
    // Anyone can wrap a key for the agency's public key: what is unwrapped must open THIS history.
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::new();
    let (identity, public) = agency();
    history_with_rows(dir.path(), &secrets, Some(&public));
    let other = tempfile::tempdir().unwrap();
    history_with_rows(other.path(), &MemoryStore::new(), Some(&public));
    std::fs::copy(other.path().join(WRAPPED_KEY_FILE_NAME), dir.path().join(WRAPPED_KEY_FILE_NAME)).unwrap();
    refused(dir.path(), &identity, Some(&public), "não abre o histórico");
}

#[test]
fn recovery_without_a_wrapped_key_or_a_history_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, public) = agency();
    let e = History::recover(dir.path(), &MemoryStore::new(), &identity, Some(&public), &clerk()).unwrap_err();
    assert!(e.message.contains("Não há histórico"), "{}", e.message);
    history_with_rows(dir.path(), &MemoryStore::new(), None);
    refused(dir.path(), &identity, Some(&public), "history.key.age");
}

#[test]
fn malformed_keys_and_identities_are_refused_in_portuguese_without_echoing_the_secret() {
    for bad in ["", "age1", "age1qqqq", "ssh-ed25519 AAAA", "AGE-SECRET-KEY-1QQQQ", &"age1pq1".repeat(10)] {
        let e = RecoveryKey::parse(bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("chave pública de recuperação"), "{}", e.message);
    }
    let secret = "AGE-SECRET-KEY-1NOTAREALKEYBUTSECRETISH";
    for bad in ["", "# only a comment\n", secret, "age1abc\n"] {
        let e = RecoveryIdentity::parse(&Sensitive::new(bad.to_owned())).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("chave privada"), "{}", e.message);
        assert!(!e.message.contains("SECRETISH"), "the secret is not echoed: {}", e.message);
    }
    let (identity, public) = agency();
    assert!(format!("{identity:?}").contains("redacted"), "{identity:?}");
    assert!(public.as_str().starts_with("age1pq1"), "new agency keys are post-quantum: {}", public.as_str());
}
