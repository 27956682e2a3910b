//! `balcao-cli batch` as a user runs it: the real binary, Demonstração by default and a profiles file pointing at a
//! simulator with a quota, the history in a real SQLCipher file keyed from a real Secret Service.
//!
//! The test re-runs itself inside `dbus-run-session` with a throw-away HOME and an unlocked gnome-keyring (packages
//! `dbus` and `gnome-keyring`), a redirected data dir and a unique keyring service: the user's real history and
//! keyring are never touched.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use balcao_core::Cpf;
use balcao_core::history_api::HistoryQuery;
use balcao_history::History;
use balcao_platform::KeyringStore;
use balcao_sim::{LoggedRequest, SimConfig, SimHandle, Simulator};
use serde_json::Value;

mod common;
use common::{Scratch, in_keyring_session};

const INSIDE: &str = "BALCAO_CLI_BATCH_TEST_INSIDE";
const TEST_NAME: &str = "batch_cli_against_a_real_keyring";

#[test]
fn batch_cli_against_a_real_keyring() {
    if in_keyring_session(INSIDE, TEST_NAME, "cli-batch") {
        inside_session();
    }
}

/// Runs `balcao-cli batch ARGS`: exit status, stdout as JSON, stderr.
fn batch(args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.arg("batch").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("balcao-cli runs");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let text = String::from_utf8(stdout).expect("UTF-8 stdout");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text}\nstderr: {stderr}"));
    (status.code().expect("exit status"), json, stderr)
}

/// The output CSV's rows (BOM checked and dropped), `;`-separated.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn start_sim(rt: &tokio::runtime::Runtime, quota: u64) -> SimHandle {
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let config = SimConfig { serpro_credentials: creds, quota: Some(quota), ..SimConfig::default() };
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator")
}

fn profiles(scratch: &Scratch, base: &str) -> PathBuf {
    let path = scratch.path("profiles.toml");
    let text = format!(
        r#"
[[profile]]
id = "serpro-hom"
name = "SERPRO homologação"
provider = "serpro"
environment = "homologacao"
base_url = "{base}"
cpf_api = "serpro_v2"
cnpj_views = ["basica"]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Numbers the API answered (no fault, no quota refusal).
fn answered(sim: &SimHandle) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r: &&LoggedRequest| r.is_api_call() && r.status != 429 && r.fault.is_none())
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect()
}

fn inside_session() {
    let s = Scratch::new("inside");
    demonstracao_windows_1252_list(&s);
    quota_stop_and_resume_with_a_profiles_file(&s);
    discard_forgets_a_saved_batch_and_an_older_plain_state_file_is_imported(&s);
    usage_errors(&s);
}

/// A batch stopped at the quota is saved; --discard forgets it (nothing left to resume). A plain SAÍDA.lote.jsonl
/// left by an older version is imported into the history and erased: --resume then finds the batch.
fn discard_forgets_a_saved_batch_and_an_older_plain_state_file_is_imported(s: &Scratch) {
    let rt = runtime();
    let input = s.path("tres.txt");
    std::fs::write(&input, "40442820135\n63017285995\n11144477735\n").unwrap();
    let out = s.path("descarte.csv");
    let creds = [("BALCAO_CLIENT_ID", "cli-id"), ("BALCAO_CLIENT_SECRET", "cli-secret")];
    let sim = start_sim(&rt, 1);
    let config = profiles(s, &sim.base_url());
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--credentials-from-env",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let (code, json, _) = batch(&args, &creds);
    assert_eq!((code, json["saved"].as_bool()), (16, Some(true)), "{json}");
    let mut discard = args.to_vec();
    discard.push("--discard");
    let (code, json, _) = batch(&discard, &creds);
    assert_eq!((code, json["discarded"].as_bool()), (0, Some(true)), "{json}");
    let mut resume = args.to_vec();
    resume.push("--resume");
    let (code, json, _) = batch(&resume, &creds);
    assert_eq!(code, 23, "nothing left to resume: {json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("Não há lote interrompido"), "{json}");

    // What an older version left next to the output: its header and one answer, in the clear.
    let bytes = std::fs::read(&input).unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let header = serde_json::json!({
        "format": "balcao-lote", "version": 1, "fileName": "tres.txt",
        "fingerprint": format!("fnv1a64:{h:016x}:{}", bytes.len()), "column": 1, "hasHeader": false,
        "ambiguousAs": "cpf", "reuseMaxAgeDays": null, "purpose": null, "view": null, "profileId": "teste",
        "profileName": "Teste", "environment": "homologacao", "startedAt": "2026-11-20T12:00:00Z"
    });
    let answer = r#"{"kind":"cpf","number":"40442820135","outcome":"notFound","billable":true}"#;
    let legacy = balcao_batch::state_path_for(&out);
    std::fs::write(&legacy, format!("{header}\n{answer}\n")).unwrap();
    let calls_before = sim.requests().len();
    let (code, json, stderr) = batch(&resume, &creds);
    assert!(!legacy.exists(), "the plain file is erased: {json}\n{stderr}");
    // Found in the history (imported): started under another profile, so it is refused before any call.
    assert_eq!(code, 23, "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("iniciado no perfil «Teste»"), "{json}");
    assert_eq!(sim.requests().len(), calls_before, "no call");
    rt.block_on(sim.shutdown());
}

/// Demonstração: a pt-BR Excel export (Windows-1252, `;`, header), every row out with its verdict, calls in history.
fn demonstracao_windows_1252_list(s: &Scratch) {
    let text = "Nome;CPF/CNPJ;Observação\r\n\
                João;404.428.201-35;ok\r\n\
                Conceição;40442820135;repetido\r\n\
                Zé;404.428.201-36;dígito errado\r\n\
                Inês;;sem número\r\n\
                Órgão;34.238.864/0001-68;empresa\r\n\
                Ninguém;123.456.789-09;não existe\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let input = s.path("lista.csv");
    std::fs::write(&input, &bytes).unwrap();
    let out = s.path("resultado.csv");
    let (code, json, stderr) = batch(&[input.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["state"], "completed");
    assert_eq!((json["rows"].as_u64(), json["found"].as_u64(), json["notFound"].as_u64()), (Some(6), Some(3), Some(1)));
    assert_eq!((json["invalid"].as_u64(), json["empty"].as_u64()), (Some(1), Some(1)));
    assert_eq!(json["calls"].as_u64(), Some(3), "the repeated CPF is looked up once");
    assert!(stderr.contains("Windows-1252") && stderr.contains("coluna 2"), "{stderr}");
    assert!(stderr.contains("linhas ·") && stderr.contains("Lote concluído"), "{stderr}");
    assert!(!balcao_batch::state_path_for(&out).exists(), "a completed batch leaves no state behind");
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[0][..3], ["Nome", "CPF/CNPJ", "Observação"]);
    assert_eq!(rows[0][3], "balcao_resultado");
    assert_eq!(&rows[2][..3], ["Conceição", "40442820135", "repetido"], "cells kept, accents decoded");
    let results: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(results, ["Encontrado", "Encontrado", "Inválido", "Sem número", "Encontrado", "Não encontrado"]);
    assert!(rows[2][11].contains("repetido da linha 2"), "{:?}", rows[2]);

    let h = History::open_default(&KeyringStore::new()).expect("the CLI's history opens with the keyring key");
    let page = h.search(&HistoryQuery::default()).unwrap();
    assert_eq!(page.items.len(), 3, "every call is in the history");
    assert!(page.items.iter().all(|i| i.profile_id == "demonstracao"));
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit[0].event, balcao_core::history_api::AuditEvent::Export, "the result file's export is audited");
    let detail = audit[0].detail.as_deref().unwrap_or_default();
    assert!(detail.starts_with("exportação de lote «lista.csv» para ") && detail.ends_with(": 6 linha(s)"), "{detail}");
}

/// A profiles file at a simulator with a quota of 4 calls: exit 16 with the batch saved in the encrypted history (no
/// plain state file next to the output), then resume (the same command with --resume) against a simulator with a
/// larger quota: no number called twice.
fn quota_stop_and_resume_with_a_profiles_file(s: &Scratch) {
    let rt = runtime();
    let cpfs: Vec<String> =
        (0..10).map(|i| Cpf::with_check_digits(&(310_000_000 + i).to_string()).unwrap().to_string()).collect();
    let input = s.path("cpfs.txt");
    std::fs::write(&input, cpfs.iter().chain(&cpfs[..3]).map(|c| format!("{c}\n")).collect::<String>()).unwrap();
    let out = s.path("quota.csv");
    let state = balcao_batch::state_path_for(&out);
    let creds = [("BALCAO_CLIENT_ID", "cli-id"), ("BALCAO_CLIENT_SECRET", "cli-secret")];

    let sim1 = start_sim(&rt, 4);
    let config = profiles(s, &sim1.base_url());
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--credentials-from-env",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let (code, json, stderr) = batch(&args, &creds);
    assert_eq!(code, 16, "QuotaExhausted: {json}\n{stderr}");
    assert_eq!(json["state"], "stopped");
    assert_eq!(json["stop"]["code"], "QuotaExhausted");
    assert!(json["resumeHint"].as_str().is_some_and(|h| h.contains("--resume")), "{json}");
    assert_eq!(json["saved"], true, "{json}");
    assert!(!state.exists(), "the state is in the encrypted history, not in a plain file");
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 14);
    assert!(rows[1..].iter().any(|r| r[1] == "Pendente"), "rows not looked up are marked");
    let first = answered(&sim1);
    assert_eq!(first.len(), 4);

    let (code, json, _) = batch(&args, &creds);
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")), "a saved batch is never overwritten");
    assert!(json["error"]["message"].as_str().unwrap().contains("--resume"));

    let sim2 = start_sim(&rt, 1000);
    profiles(s, &sim2.base_url());
    let mut resume = args.to_vec();
    resume.push("--resume");
    let (code, json, stderr) = batch(&resume, &creds);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!((json["state"].as_str(), json["doneRows"].as_u64()), (Some("completed"), Some(13)));
    let second = answered(&sim2);
    let (a, b): (HashSet<_>, HashSet<_>) = (first.into_iter().collect(), second.iter().cloned().collect());
    assert_eq!(second.len(), 6, "only the six numbers left were called");
    assert!(a.is_disjoint(&b));
    assert_eq!(a.len() + b.len(), 10);
    assert!(read_csv(&out)[1..].iter().all(|r| r[1] == "Não encontrado"));
    assert!(!state.exists());
    rt.block_on(async {
        sim1.shutdown().await;
        sim2.shutdown().await;
    });
}

fn usage_errors(s: &Scratch) {
    let input = s.path("um.txt");
    std::fs::write(&input, "40442820135\n").unwrap();
    let out = s.path("x.csv");
    let (code, json, _) = batch(&[input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--column", "3"], &[]);
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")));
    assert!(json["error"]["message"].as_str().unwrap().contains("A coluna 3 não existe"));
    let (code, json, _) = batch(&[input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--resume"], &[]);
    assert_eq!(code, 23, "{json}");
    let (code, json, _) = batch(&[input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--dry-run"], &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["estimate"]["calls"], 1);
    assert!(!out.exists(), "a dry run writes nothing");
}
