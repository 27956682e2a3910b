//! `balcao-cli history` end to end against a real SQLCipher file whose key is in a real Secret Service.
//!
//! The test re-runs itself inside `dbus-run-session` with a throw-away HOME and an unlocked gnome-keyring
//! (packages `dbus` and `gnome-keyring`), a redirected data dir and a unique keyring service: the user's real
//! history and keyring are never touched. Inside, it seeds the history through `balcao_history` with the
//! keyring-held key, then drives the CLI binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use balcao_core::api::Environment;
use balcao_core::record::{ApiKind, CallMeta, CpfRecord, Lookup, Record, Status};
use balcao_core::{AppError, Cpf, Document, ErrorCode};
use balcao_history::{History, LookupContext};
use balcao_platform::KeyringStore;

mod common;
use common::in_keyring_session;

const INSIDE: &str = "BALCAO_CLI_HISTORY_TEST_INSIDE";
const TEST_NAME: &str = "history_cli_against_a_real_keyring";

#[test]
fn history_cli_against_a_real_keyring() {
    if in_keyring_session(INSIDE, TEST_NAME, "cli") {
        inside_session();
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_balcao-cli")).args(args).output().expect("balcao-cli runs")
}

fn cli_env(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("balcao-cli runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn lookup(number: &str, name: &str) -> Result<Lookup, (AppError, Option<CallMeta>)> {
    let record = Record::Cpf(CpfRecord {
        name: Some(name.to_owned()),
        ..CpfRecord::new(Cpf::parse(number).unwrap(), Status::cpf("0", None))
    });
    let meta =
        CallMeta { api: ApiKind::SerproCpfV1, http_status: 200, latency_ms: 90, activity_id: None, billable: true };
    Ok(Lookup { record, meta, raw: "{}".into(), consulted_at: "2026-03-01T12:00:00Z".into(), partial: false })
}

fn seed(data_dir: &Path) {
    let mut h = History::open(data_dir, &KeyringStore::new()).expect("history opens with a keyring key");
    let ctx = LookupContext {
        profile_id: "demo".into(),
        profile_name: "Demonstração".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: Some(Cpf::parse("11144477735").unwrap()),
        os_user: "atendente1".into(),
        purpose: Some("Protocolo 7".into()),
        authorization_code: None,
        view: None,
        do_not_record: false,
    };
    let doc = |s: &str| Document::parse(s).unwrap();
    h.record(&ctx, &lookup("40442820135", "Maria José Araújo"), &doc("40442820135")).unwrap();
    h.record(&ctx, &lookup("91708635203", "João Batista"), &doc("91708635203")).unwrap();
    let nf =
        CallMeta { api: ApiKind::SerproCpfV1, http_status: 404, latency_ms: 50, activity_id: None, billable: true };
    h.record(&ctx, &Err((AppError::from(ErrorCode::NotFound), Some(nf))), &doc("63017285995")).unwrap();
}

fn inside_session() {
    let data_dir = PathBuf::from(std::env::var_os("BALCAO_DATA_DIR").expect("redirected data dir"));

    // No history yet: a clear error, and nothing is created.
    let none = cli(&["history", "search"]);
    assert_eq!(none.status.code(), Some(1), "{}", text(&none.stderr));
    assert!(text(&none.stderr).contains("Não há histórico"), "{}", text(&none.stderr));
    assert!(!data_dir.join("history.db").exists());

    seed(&data_dir);

    let all = cli(&["history", "search"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    let listing = text(&all.stdout);
    assert_eq!(listing.lines().count(), 3, "{listing}");
    assert!(listing.contains("404.428.201-35") && listing.contains("Maria José Araújo"), "{listing}");
    assert!(listing.contains("Não encontrado"), "{listing}");
    assert!(listing.lines().next().unwrap().contains("630.172.859-95"), "newest first: {listing}");

    let by_number = cli(&["history", "search", "404.428.201-35", "--json"]);
    assert!(by_number.status.success(), "{}", text(&by_number.stderr));
    let lines: Vec<serde_json::Value> =
        text(&by_number.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["number"], "40442820135");
    assert_eq!(lines[0]["outcome"], "found");

    let by_name = cli(&["history", "search", "MARIA JOSE", "--json"]);
    assert_eq!(text(&by_name.stdout).lines().count(), 1, "{}", text(&by_name.stdout));
    let not_found = cli(&["history", "search", "--outcome", "not-found", "--json"]);
    assert_eq!(text(&not_found.stdout).lines().count(), 1);
    let paged = cli(&["history", "search", "--limit", "2"]);
    assert!(text(&paged.stdout).contains("--before"), "{}", text(&paged.stdout));

    let bad = cli(&["history", "search", "404.428.201-36"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("dígito verificador"), "{}", text(&bad.stderr));

    // Beside the data folder: a result file is never written inside it (it holds the history and the audit trail).
    let csv_path = data_dir.with_file_name("auditoria.csv");
    let exp =
        cli(&["history", "export", "--audit", "--out", csv_path.to_str().unwrap(), "--clerk-cpf", "917.086.352-03"]);
    assert!(exp.status.success(), "{}", text(&exp.stderr));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.contains("Exportado por;") && csv.contains("917.086.352-03"), "{csv}");
    assert!(csv.contains("***.428.201-**") && !csv.contains("40442820135") && !csv.contains("404.428.201-35"), "{csv}");

    let hist_csv = cli(&["history", "export", "--history", "--from", "2000-01-01"]);
    assert!(hist_csv.status.success(), "{}", text(&hist_csv.stderr));
    assert!(text(&hist_csv.stdout).contains("Maria José Araújo"));

    let unconfirmed = cli(&["history", "purge", "--all"]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(text(&unconfirmed.stderr).contains("--yes"));
    let purged = cli(&["history", "purge", "--all", "--yes"]);
    assert!(purged.status.success(), "{}", text(&purged.stderr));
    assert!(text(&purged.stdout).contains("3 consulta(s) apagada(s)"), "{}", text(&purged.stdout));
    assert!(text(&cli(&["history", "search"]).stdout).contains("Nenhuma consulta"));
    // The audit trail survived the purge (3 lookups + 2 exports + the purge).
    let audit = cli(&["history", "export", "--audit"]);
    assert!(text(&audit.stdout).contains("expurgo"), "{}", text(&audit.stdout));

    // The key lives in the keyring service: another service has no key for this file.
    let other = cli_env(&["history", "search"], &[("BALCAO_KEYRING_SERVICE", "br.gov.balcao.test.cli.other")]);
    assert_eq!(other.status.code(), Some(1));
    assert!(text(&other.stderr).contains("HistoryLocked"), "{}", text(&other.stderr));
    // No session bus: the keyring is unavailable, said plainly.
    let no_bus = cli_env(&["history", "search"], &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/balcao-bus")]);
    assert_eq!(no_bus.status.code(), Some(1));
    assert!(text(&no_bus.stderr).contains("KeychainUnavailable"), "{}", text(&no_bus.stderr));
}
