//! Hostile batches and history through the real `balcao-cli`, with the history in a real SQLCipher file keyed from
//! a real Secret Service: a huge cell in a dry run, a write that fails half-way, `--out` at targets it must never
//! replace, result file permissions, lookups that fail, and a history whose texts carry terminal escapes.
//!
//! Each test re-runs itself inside `dbus-run-session` with a throw-away HOME, an unlocked gnome-keyring, a
//! redirected data folder and a unique keyring service (see `common::in_keyring_session`).

use std::ffi::OsStr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use balcao_core::api::Environment;
use balcao_core::record::{ApiKind, CallMeta, CpfRecord, Lookup, Record, Status};
use balcao_core::{Cpf, Document};
use balcao_history::{History, LookupContext};
use balcao_platform::KeyringStore;
use balcao_sim::{Fault, FaultKind, FaultScope, LoggedRequest, SimConfig, SimHandle, Simulator};

mod common;
use common::{Run, Scratch, assert_pt_br, in_keyring_session, listing, measure, measure_wrapped, os};

/// Exit status of a batch that ended with lookups that failed (documented in `batch --help`).
const SOME_FAILED: i32 = 3;
const CONFIG: i32 = 23;

fn data_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("BALCAO_DATA_DIR").expect("inside the session the data folder is redirected"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn start_sim(rt: &tokio::runtime::Runtime, faults: Vec<Fault>) -> SimHandle {
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let config = SimConfig { serpro_credentials: creds, faults, ..SimConfig::default() };
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator")
}

fn api_calls(sim: &SimHandle) -> Vec<LoggedRequest> {
    sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect()
}

/// A profiles file for the simulator at `base`, no retries (a failed lookup fails at once).
fn profiles(s: &Scratch, base: &str) -> PathBuf {
    let path = s.path("perfis.toml");
    let text = format!(
        "[[profile]]\nid = \"hom\"\nname = \"Homologação\"\nprovider = \"serpro\"\nenvironment = \"homologacao\"\n\
         base_url = \"{base}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `balcao-cli batch INPUT --out OUT EXTRA…` through the profiles file, credentials from the environment.
fn batch_with(config: Option<&Path>, input: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![OsStr::new("batch")];
    if let Some(config) = config {
        args.extend([OsStr::new("--config"), config.as_os_str(), OsStr::new("--credentials-from-env")]);
    }
    args.extend([input.as_os_str(), OsStr::new("--out"), out.as_os_str()]);
    args.extend(extra.iter().map(OsStr::new));
    let env: [(&str, &OsStr); 2] =
        [("BALCAO_CLIENT_ID", OsStr::new("cli-id")), ("BALCAO_CLIENT_SECRET", OsStr::new("cli-secret"))];
    measure(&args, &env, None)
}

/// Whether a batch for `out` is saved in the encrypted history (the CLI's slot is `cli:` and the output's path).
fn saved_state(out: &Path) -> bool {
    let h = History::open_default(&KeyringStore::new()).expect("the history opens");
    let slot = format!("cli:{}", std::path::absolute(out).unwrap().display());
    balcao_batch::Journal::summary(&h, &slot).expect("the saved state reads").is_some()
}

fn cpfs(n: u32) -> Vec<String> {
    (0..n).map(|i| Cpf::with_check_digits(&(320_000_000 + i).to_string()).unwrap().to_string()).collect()
}

fn write_list(s: &Scratch, name: &str, numbers: &[String]) -> PathBuf {
    let path = s.path(name);
    std::fs::write(&path, numbers.iter().map(|n| format!("{n}\n")).collect::<String>()).unwrap();
    path
}

#[test]
fn batch_dry_run_refuses_a_50_million_digit_cell_quickly_naming_its_line() {
    if !in_keyring_session(
        "BALCAO_HOSTILE_DRY_RUN",
        "batch_dry_run_refuses_a_50_million_digit_cell_quickly_naming_its_line",
        "dry",
    ) {
        return;
    }
    let s = Scratch::new("dry-run");
    let input = s.path("lista.csv");
    let mut text = String::from("nome;cpf\n");
    text.push_str(&"9".repeat(50_000_000));
    text.push_str(";40442820135\nAna;91708635203\n");
    std::fs::write(&input, text).unwrap();
    let before = listing(s.dir());
    let out = s.path("saida.csv");
    let run = batch_with(None, &input, &out, &["--dry-run"]);
    // The batch reader's row limit (64 KiB) refuses the file, naming the line, before any cell is split out.
    run.assert_ends(CONFIG).assert_pt_br();
    let (code, message) = run.error_json();
    assert_eq!(code, "Config");
    assert!(message.contains("linha 2") && message.contains("64 KB"), "names the line and the limit: {message}");
    assert!(run.stdout_len < 4096, "the cell is not echoed: {} bytes on stdout", run.stdout_len);
    assert!(run.stderr.len() < 4096, "the cell is not echoed: {} bytes on stderr", run.stderr.len());
    assert!(!run.all_text().contains(&"9".repeat(200)), "no run of the cell's digits is printed");
    assert_eq!(listing(s.dir()), before, "a dry run writes nothing");
}

#[test]
fn batch_dry_run_echoes_only_the_start_of_a_long_cell() {
    if !in_keyring_session("BALCAO_HOSTILE_DRY_ECHO", "batch_dry_run_echoes_only_the_start_of_a_long_cell", "echo") {
        return;
    }
    let s = Scratch::new("dry-echo");
    let input = s.path("lista.csv");
    // 60 000 digits: within the row limit, so the preview is made, and the cell echoed by its start only.
    let mut text = String::from("nome;cpf\n");
    text.push_str(&"9".repeat(60_000));
    text.push_str(";40442820135\nAna;91708635203\n");
    std::fs::write(&input, text).unwrap();
    let out = s.path("saida.csv");
    let run = batch_with(None, &input, &out, &["--dry-run"]);
    run.assert_ends(0);
    assert!(run.stdout_len < 16 * 1024, "the dry run echoed {} bytes", run.stdout_len);
    assert!(run.stderr.len() < 4096, "the description echoed {} bytes", run.stderr.len());
    assert_pt_br(&run.stderr);
    let preview: serde_json::Value = serde_json::from_str(&run.stdout).expect("the preview is whole JSON");
    let first = preview["sample"][0][0].as_str().expect("the sample keeps the cell, shortened");
    assert!(first.chars().count() <= 120 && first.starts_with("999") && first.ends_with('…'), "{first}");
    assert_eq!(preview["counts"]["valid"], 2);
    assert!(!out.exists(), "a dry run writes nothing");
}

#[test]
fn batch_with_a_million_delimiters_in_one_row_is_refused_and_leaves_no_file() {
    if !in_keyring_session(
        "BALCAO_HOSTILE_COLUMNS",
        "batch_with_a_million_delimiters_in_one_row_is_refused_and_leaves_no_file",
        "cols",
    ) {
        return;
    }
    let rt = runtime();
    let sim = start_sim(&rt, Vec::new());
    let s = Scratch::new("columns");
    let config = profiles(&s, &sim.base_url());
    let input = s.path("lista.csv");
    // A real list, then one row of a million delimiters: every output row would be padded to a million columns.
    let mut text = String::from("nome;cpf\nAna;40442820135\n");
    text.push_str(&";".repeat(1_000_000));
    text.push_str("91708635203\nBia;91708635203\n");
    std::fs::write(&input, text).unwrap();
    let before = listing(s.dir());
    let out = s.path("saida.csv");
    let run = batch_with(Some(&config), &input, &out, &[]);
    assert!(api_calls(&sim).is_empty(), "refused before any lookup: {:?}", sim.requests());
    run.assert_ends(CONFIG).assert_pt_br();
    let (code, message) = run.error_json();
    assert_eq!(code, "Config");
    assert!(message.contains("linha 3") && message.contains("256 colunas"), "names the line and the limit: {message}");
    assert!(run.stdout_len < 4096, "the row is not echoed: {} bytes", run.stdout_len);
    assert!(!out.exists(), "no result file");
    assert_eq!(listing(s.dir()), before, "no temporary file, no state left next to the output");
    assert!(!saved_state(&out), "no batch saved in the history either");
    rt.block_on(sim.shutdown());
}

#[test]
fn batch_answered_wholly_from_the_history_completes_with_exit_0() {
    if !in_keyring_session(
        "BALCAO_HOSTILE_ALL_REUSED",
        "batch_answered_wholly_from_the_history_completes_with_exit_0",
        "reused",
    ) {
        return;
    }
    let rt = runtime();
    let sim = start_sim(&rt, Vec::new());
    let s = Scratch::new("all-reused");
    let config = profiles(&s, &sim.base_url());
    let input = write_list(&s, "lista.txt", &["404.428.201-35".to_owned(), "917.086.352-03".to_owned()]);
    let first = s.path("primeira.csv");
    batch_with(Some(&config), &input, &first, &["--quiet"]).assert_ends(0);
    let looked_up = api_calls(&sim).len();
    assert_eq!(looked_up, 2, "the first batch looks both numbers up");

    // The same numbers again, every one answered from the history: no call, a complete result, exit 0.
    let out = s.path("de-novo.csv");
    let run = batch_with(Some(&config), &input, &out, &["--reuse-days", "30"]);
    run.assert_ends(0).assert_pt_br();
    assert_eq!(api_calls(&sim).len(), looked_up, "nothing looked up again");
    assert!(run.stderr.contains("Lote concluído"), "{}", run.stderr);
    assert!(run.stderr.contains("2 reaproveitados do histórico"), "{}", run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).expect("the summary is JSON");
    assert_eq!(summary["state"], "completed", "{summary}");
    assert!(summary.get("saved").is_none(), "nothing left to resume: {summary}");
    assert!(!saved_state(&out), "no state kept for a batch that completed");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 3, "header and both rows: {csv}");
    // Nothing saved for this output: a plain run to it again is not refused as «already interrupted».
    batch_with(Some(&config), &input, &out, &["--reuse-days", "30", "--quiet"]).assert_ends(0);
    rt.block_on(sim.shutdown());
}

#[test]
fn batch_out_failure_leaves_no_temporary_file() {
    if !in_keyring_session("BALCAO_HOSTILE_TEMP", "batch_out_failure_leaves_no_temporary_file", "temp") {
        return;
    }
    let s = Scratch::new("temp");
    let input = s.path("lista.csv");
    // 4 MB of output from one billable number: the file-size limit below stops the result file half-way.
    let filler = "x".repeat(1000);
    let text: String = (0..4000).map(|i| format!("{i};{filler};40442820135\n")).collect();
    std::fs::write(&input, text).unwrap();
    let out = s.path("saida.csv");
    let args = [input.as_os_str(), OsStr::new("--out"), out.as_os_str(), OsStr::new("--column"), OsStr::new("3")];
    let mut all: Vec<&OsStr> = vec![OsStr::new("batch")];
    all.extend(args);
    // dash counts `ulimit -f` in 512-byte blocks: 1 MiB per file; SIGXFSZ ignored, so the write fails with EFBIG.
    let run = measure_wrapped("trap '' XFSZ; ulimit -f 2048;", &all, &[], None);
    run.assert_ends(CONFIG);
    assert!(!out.exists(), "no half-written result");
    // The batch's state is in the encrypted history, never next to the output: only the input is left.
    assert_eq!(listing(s.dir()), ["lista.csv"], "temporary files left behind");
    run.assert_pt_br();
}

#[test]
fn batch_out_refuses_dangerous_targets_before_any_lookup() {
    if !in_keyring_session("BALCAO_HOSTILE_OUT", "batch_out_refuses_dangerous_targets_before_any_lookup", "out") {
        return;
    }
    let rt = runtime();
    let sim = start_sim(&rt, Vec::new());
    let s = Scratch::new("out");
    let config = profiles(&s, &sim.base_url());
    let input = write_list(&s, "lista.csv", &cpfs(3));
    let folder = s.path("pasta");
    std::fs::create_dir(&folder).unwrap();
    let fifo = s.path("fila");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let target = s.path("alvo.txt");
    std::fs::write(&target, "intacto").unwrap();
    let link = s.path("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    drop(History::open_default(&KeyringStore::new()).expect("the history exists"));
    let data = data_dir();
    let db = History::path_in(&data);
    let db_before = std::fs::read(&db).unwrap();
    let data_entries = listing(&data);
    let before = listing(s.dir());
    let dotted = data.join("..").join(data.file_name().unwrap()).join("r.csv");
    let hostile: Vec<(PathBuf, &str)> = vec![
        (folder.clone(), "pasta"),
        (PathBuf::from("/dev/full"), "arquivo comum"),
        (fifo.clone(), "arquivo comum"),
        (link.clone(), "link simbólico"),
        (input.clone(), "entrada"),
        (db.clone(), "dados do Balcão"),
        (data.join("resultado.csv"), "dados do Balcão"),
        (dotted, "dados do Balcão"),
        (s.path("nao-existe").join("saida.csv"), "não existe"),
    ];
    for (out, needle) in &hostile {
        let run = batch_with(Some(&config), &input, out, &[]);
        assert!(api_calls(&sim).is_empty(), "{}: no lookup before the check: {:?}", out.display(), sim.requests());
        run.assert_ends(CONFIG).assert_pt_br();
        let (code, message) = run.error_json();
        assert_eq!(code, "Config");
        assert!(message.contains(needle), "{}: {message}", out.display());
    }
    assert!(std::fs::metadata(&folder).unwrap().is_dir());
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO is still a FIFO");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "intacto");
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    assert_eq!(std::fs::read(&db).unwrap(), db_before, "the history database is untouched");
    assert_eq!(listing(&data), data_entries, "nothing written in the data folder");
    assert_eq!(listing(s.dir()), before, "no file or folder created, no state left");
    rt.block_on(sim.shutdown());
}

#[test]
fn result_files_are_created_private() {
    if !in_keyring_session("BALCAO_HOSTILE_0600", "result_files_are_created_private", "private") {
        return;
    }
    let s = Scratch::new("private");
    let input = write_list(&s, "lista.txt", &["40442820135".to_owned()]);
    let out = s.path("saida.csv");
    batch_with(None, &input, &out, &[]).assert_ends(0);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o600, "the batch result holds names and CPFs");
    let export = s.path("historico.csv");
    let run = measure(&os(&["history", "export", "--history", "-o", export.to_str().unwrap()]), &[], None);
    run.assert_ends(0);
    assert_eq!(mode(&export), 0o600, "the history export holds names and CPFs");
    let exists = measure(&os(&["history", "export", "--history", "-o", s.dir().to_str().unwrap()]), &[], None);
    exists.assert_ends(2).assert_pt_br();
}

#[test]
fn batch_with_failed_lookups_exits_non_zero_and_keeps_its_state() {
    if !in_keyring_session("BALCAO_HOSTILE_FAILED", "batch_with_failed_lookups_exits_non_zero_and_keeps_its_state", "f")
    {
        return;
    }
    let rt = runtime();
    let s = Scratch::new("failed");
    let input = write_list(&s, "lista.txt", &cpfs(3));
    let always = Fault {
        kind: FaultKind::Status { status: 500, body: None, retry_after: None },
        times: 1000,
        scope: FaultScope::Api,
        path_prefix: None,
        probability: None,
    };
    // Every lookup fails: not «Lote concluído», exit 3, the state kept for --resume --retry-failed.
    let failing = start_sim(&rt, vec![always.clone()]);
    let config = profiles(&s, &failing.base_url());
    let out = s.path("saida.csv");
    let run = batch_with(Some(&config), &input, &out, &["--quiet"]);
    run.assert_ends(SOME_FAILED).assert_pt_br();
    assert!(!run.stderr.contains("Lote concluído"), "{}", run.stderr);
    assert!(run.stderr.contains("--retry-failed"), "says how to retry: {}", run.stderr);
    assert!(saved_state(&out), "the state is kept (in the encrypted history)");
    assert_eq!(api_calls(&failing).len(), 3);

    // Retried against a gateway that answers: exit 0, state gone.
    let healthy = start_sim(&rt, Vec::new());
    profiles(&s, &healthy.base_url());
    let run = batch_with(Some(&config), &input, &out, &["--resume", "--retry-failed", "--quiet"]);
    run.assert_ends(0);
    assert_eq!(api_calls(&healthy).len(), 3, "the three failed numbers were looked up again");
    assert!(!saved_state(&out), "the state goes once nothing failed");

    // One lookup of three fails: still exit 3, state kept.
    let once = start_sim(&rt, vec![Fault { times: 1, ..always }]);
    profiles(&s, &once.base_url());
    let out2 = s.path("saida2.csv");
    let run = batch_with(Some(&config), &input, &out2, &["--quiet"]);
    run.assert_ends(SOME_FAILED).assert_pt_br();
    assert!(saved_state(&out2), "the state is kept");
    rt.block_on(async {
        failing.shutdown().await;
        healthy.shutdown().await;
        once.shutdown().await;
    });
}

fn seed_hostile_history(data: &Path, name: &str) {
    let mut h = History::open(data, &KeyringStore::new()).expect("history opens with a keyring key");
    let ctx = LookupContext {
        profile_id: "demo".into(),
        profile_name: "Perfil\u{1b}[31m vermelho\u{1b}]0;título\u{7}".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: None,
        os_user: "atendente1".into(),
        purpose: None,
        authorization_code: None,
        view: None,
        do_not_record: false,
    };
    let record = Record::Cpf(CpfRecord {
        name: Some(name.to_owned()),
        ..CpfRecord::new(Cpf::parse("40442820135").unwrap(), Status::cpf("0", None))
    });
    let meta =
        CallMeta { api: ApiKind::SerproCpfV2, http_status: 200, latency_ms: 90, activity_id: None, billable: true };
    let lookup = Lookup { record, meta, raw: "{}".into(), consulted_at: "2026-03-01T12:00:00Z".into(), partial: false };
    h.record(&ctx, &Ok(lookup), &Document::parse("40442820135").unwrap()).unwrap();
}

#[test]
fn history_search_strips_control_characters_and_truncates_whole_characters() {
    if !in_keyring_session(
        "BALCAO_HOSTILE_HISTORY",
        "history_search_strips_control_characters_and_truncates_whole_characters",
        "hist",
    ) {
        return;
    }
    // Escapes straddle the 40-character cut; accented letters and a CSI written as one C1 character.
    let name =
        "\u{1b}]0;invadido\u{7}Maria\u{1b}[2J da Conceição Araújo \u{9b}31m Gonçalves dos Santos \u{1b}[1mÁvila\u{7f}";
    seed_hostile_history(&data_dir(), name);
    let table = measure(&os(&["history", "search"]), &[], None);
    table.assert_ends(0);
    let json = measure(&os(&["history", "search", "--json"]), &[], None);
    json.assert_ends(0);
    for run in [&table, &json] {
        let out = &run.stdout;
        assert!(!out.contains('\u{fffd}'), "valid UTF-8 (no character cut in half): {out:?}");
        for c in out.chars() {
            assert!(!c.is_control() || c == '\n', "control character {c:?} printed: {out:?}");
        }
        assert!(!out.contains("\\u001b") && !out.contains("\\u0007"), "no escaped control either: {out}");
        assert!(!out.contains("invadido") && !out.contains("[2J") && !out.contains("31m"), "{out:?}");
        assert!(out.contains("Maria da Conceição") && out.contains("Perfil vermelho"), "{out:?}");
    }
    assert!(table.stdout.contains('…'), "the long name is shortened: {}", table.stdout);
    // The CSV export printed on standard output: the same names, no control character either.
    let csv = measure(&os(&["history", "export", "--history"]), &[], None);
    csv.assert_ends(0);
    assert!(csv.stdout.contains("Maria"), "{}", csv.stdout);
    for c in csv.stdout.chars() {
        assert!(!c.is_control() || matches!(c, '\n' | '\r'), "control character {c:?} exported: {:?}", csv.stdout);
    }
}
