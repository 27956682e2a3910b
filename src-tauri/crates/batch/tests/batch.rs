//! Batch validation end to end: the simulator over loopback (its request log is the witness of every call), a real
//! SQLCipher history in a temp dir, lists of 10 000 rows mixing valid, invalid, duplicate and not-found numbers with
//! injected faults, quota stops resumed from the saved state, cancel, history reuse and a rate-limited gateway.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use balcao_batch::{Batch, Cancel, VERDICT_COLUMNS, state_path_for};
use balcao_core::api::Environment;
use balcao_core::batch_api::{BatchOptions, BatchProgress, BatchState, Delimiter, InputEncoding};
use balcao_core::history_api::DayRange;
use balcao_core::profile::Profile;
use balcao_core::record::{ApiKind, CallMeta};
use balcao_core::{Cnpj, Cpf, DocKind, Document, ErrorCode, Sensitive};
use balcao_gov::{Credentials, GovClient};
use balcao_history::{History, LookupContext};
use balcao_sim::data::Dataset;
use balcao_sim::{Fault, LoggedRequest, SimConfig, SimHandle, Simulator};

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/// A deterministic pseudo-random sequence (the tests must not depend on luck).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn dataset() -> Arc<Dataset> {
    Dataset::embedded().expect("embedded data")
}

/// Valid CPFs the simulator has no record of (404).
fn unknown_cpfs(n: usize, start: u32) -> Vec<String> {
    let data = dataset();
    (start..)
        .map(|i| Cpf::with_check_digits(&i.to_string()).unwrap().to_string())
        .filter(|c| data.person(c).is_none())
        .take(n)
        .collect()
}

/// Valid CNPJs the simulator has no record of (404).
fn unknown_cnpjs(n: usize, start: u64) -> Vec<String> {
    let data = dataset();
    (start..)
        .map(|i| Cnpj::with_check_digits(&format!("{i:012}")).unwrap().to_string())
        .filter(|c| data.company(c).is_none())
        .take(n)
        .collect()
}

fn known_cpfs() -> Vec<String> {
    dataset().persons().iter().map(|p| p.cpf().to_owned()).collect()
}

fn known_cnpjs() -> Vec<String> {
    dataset().companies().iter().map(|c| c.cnpj().to_owned()).collect()
}

/// A valid CPF with its last check digit changed.
fn broken(cpf: &str) -> String {
    let last = cpf.as_bytes()[10] - b'0';
    format!("{}{}", &cpf[..10], (last + 1) % 10)
}

/// What the test expects of one input row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Number(String),
    Invalid,
    Empty,
}

/// A list of rows (`id;nome;documento;obs`) and what each row holds.
struct List {
    rows: Vec<[String; 4]>,
    expect: Vec<Expect>,
}

impl List {
    fn text(&self) -> String {
        let mut s = String::from("id;nome;documento;obs\r\n");
        for r in &self.rows {
            s.push_str(&r.join(";"));
            s.push_str("\r\n");
        }
        s
    }

    /// As pt-BR Excel saves it: Windows-1252.
    fn windows_1252(&self) -> Vec<u8> {
        let text = self.text();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    fn unique_numbers(&self) -> HashSet<String> {
        self.expect
            .iter()
            .filter_map(|e| match e {
                Expect::Number(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
}

/// `rows` rows: every `found` and `not_found` number at least once, `invalid` invalid rows, `empty` empty rows,
/// the rest duplicates of the valid numbers, shuffled; numbers written masked or bare at random.
fn mixed_list(rows: usize, found: &[String], not_found: &[String], invalid: usize, empty: usize, seed: u64) -> List {
    let mut rng = Lcg(seed);
    let valid: Vec<&String> = found.iter().chain(not_found).collect();
    let mut cells: Vec<Expect> = valid.iter().map(|n| Expect::Number((*n).clone())).collect();
    cells.extend((0..invalid).map(|_| Expect::Invalid));
    cells.extend((0..empty).map(|_| Expect::Empty));
    while cells.len() < rows {
        cells.push(Expect::Number(valid[rng.below(valid.len())].clone()));
    }
    for i in (1..cells.len()).rev() {
        cells.swap(i, rng.below(i + 1));
    }
    let names = ["João da Conceição", "Maria José", "Antônio Araújo", "Inês Müller", "Zé"];
    let mut out = List { rows: Vec::new(), expect: Vec::new() };
    for (i, e) in cells.into_iter().enumerate() {
        let doc = match &e {
            Expect::Number(n) => match (Document::parse(n).unwrap(), rng.below(3)) {
                (d, 0) => d.formatted(),
                (_, _) => n.clone(),
            },
            Expect::Invalid => match rng.below(4) {
                0 => broken(&valid[rng.below(valid.len())].clone()[..]).chars().take(11).collect(),
                1 => "111.111.111-11".to_owned(),
                2 => "12345".to_owned(),
                _ => "CPF 404.428.2O1-35".to_owned(),
            },
            Expect::Empty => String::new(),
        };
        let doc = if matches!(e, Expect::Invalid) && Document::parse(&doc).is_ok() { "abc".to_owned() } else { doc };
        out.rows.push([i.to_string(), names[i % names.len()].to_owned(), doc, format!("obs {i}")]);
        out.expect.push(e);
    }
    out
}

struct Env {
    dir: tempfile::TempDir,
    history: Arc<Mutex<History>>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let key = Sensitive::new("5a".repeat(32));
        let history = History::open_with_key(&dir.path().join("history.db"), &key).expect("history opens");
        Env { dir, history: Arc::new(Mutex::new(history)) }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn audit_lines(&self) -> usize {
        let h = self.history.lock().unwrap();
        let mut n = 0;
        let mut before = None;
        loop {
            let page = h.audit(&DayRange::default(), before, Some(500)).unwrap();
            n += page.items.len();
            match page.next_before_id {
                Some(b) => before = Some(b),
                None => return n,
            }
        }
    }
}

fn ctx(profile: &Profile) -> LookupContext {
    LookupContext {
        profile_id: profile.id.clone(),
        profile_name: profile.name.clone(),
        environment: profile.environment,
        clerk_cpf: profile.clerk_cpf,
        os_user: "atendente".into(),
        purpose: None,
        authorization_code: None,
        view: None,
        do_not_record: false,
    }
}

async fn sim(config: SimConfig) -> SimHandle {
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("simulator starts")
}

fn client(profile: &Profile) -> GovClient {
    GovClient::new(profile.clone(), Credentials::demo()).expect("client")
}

async fn run(batch: &mut Batch, profile: &Profile, env: &Env, cancel: &Cancel) -> (BatchProgress, Vec<BatchProgress>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let report = move |p: &BatchProgress| sink.lock().unwrap().push(p.clone());
    let end = batch.run(&client(profile), env.history.clone(), &ctx(profile), cancel, &report).await.expect("runs");
    let seen = seen.lock().unwrap().clone();
    (end, seen)
}

/// The number each API call asked for: the path's last segment, or each CPF of a CPF Light body.
fn asked(r: &LoggedRequest) -> Vec<String> {
    if r.path.starts_with("/api-cpf-light") {
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap_or("{}")).unwrap();
        return body["listaCpf"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    }
    vec![r.path.rsplit('/').next().unwrap().to_owned()]
}

/// Numbers answered by the API itself (not a fault, not a gateway refusal: quota, rate, expired token), with their
/// counts.
fn answered(requests: &[LoggedRequest]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in requests
        .iter()
        .filter(|r| r.is_api_call() && r.fault.is_none() && CallMeta::billable(api_of(&r.path), r.status))
    {
        for n in asked(r) {
            *m.entry(n).or_insert(0) += 1;
        }
    }
    m
}

/// Numbers whose call got a billable answer (`CallMeta::billable`: 200, 206, 404, and a minor's 422 or 451 on
/// Consulta CPF), faults included.
fn billed(requests: &[LoggedRequest]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in requests.iter().filter(|r| r.is_api_call() && CallMeta::billable(api_of(&r.path), r.status)) {
        for n in asked(r) {
            *m.entry(n).or_insert(0) += 1;
        }
    }
    m
}

/// The API a simulator path belongs to (the Demonstração profile calls SERPRO's Consulta CPF and CNPJ), for the
/// billing rule the client applies (`CallMeta::billable`: a minor's 422 or 451 is billed on Consulta CPF).
fn api_of(path: &str) -> ApiKind {
    if path.contains("cnpj") {
        ApiKind::SerproCnpj
    } else if path.contains("/v1/") {
        ApiKind::SerproCpfV1
    } else {
        ApiKind::SerproCpfV2
    }
}

/// The output CSV as rows of cells (BOM checked and dropped).
fn read_output(path: &Path, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(&bytes[3..]);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn write_output(batch: &Batch, path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    batch.write_csv(&mut f).unwrap();
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in {header:?}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_with_faults_every_row_accounted_for() {
    let found_cpf = known_cpfs();
    let found_cnpj = known_cnpjs();
    let (nf_cpf, nf_cnpj) = (unknown_cpfs(2500, 200_000_000), unknown_cnpjs(300, 100_000_000_000));
    let found: Vec<String> = found_cpf.iter().chain(&found_cnpj).cloned().collect();
    let not_found: Vec<String> = nf_cpf.iter().chain(&nf_cnpj).cloned().collect();
    let list = mixed_list(10_000, &found, &not_found, 900, 100, 7);
    let unique = list.unique_numbers();
    assert_eq!(unique.len(), found.len() + not_found.len());

    let sim = sim(SimConfig::default()).await;
    for fault in [
        Fault::status(500).times(12).probability(0.01),
        Fault::status(503).times(25).probability(0.02),
        Fault::reset().times(8).probability(0.01),
        Fault::malformed_json().times(4).probability(0.005),
        Fault::html_error(502).times(6).probability(0.01),
        Fault::latency(30).times(20).probability(0.02),
        Fault::expire_tokens(),
    ] {
        sim.inject(fault);
    }
    let profile = Profile::demo(&sim.base_url());
    let env = Env::new();
    let bytes = list.windows_1252();
    let mut batch = Batch::prepare("beneficiarios.csv", &bytes, &BatchOptions::default()).unwrap();
    let preview = batch.preview(&client(&profile));
    assert_eq!(
        (preview.encoding, preview.delimiter, preview.has_header),
        (InputEncoding::Windows1252, Delimiter::Semicolon, true)
    );
    assert_eq!(preview.column, 3, "the number column is found");
    assert_eq!(preview.columns, ["id", "nome", "documento", "obs"]);
    let c = &preview.counts;
    assert_eq!((c.rows, c.invalid, c.empty, c.unique), (10_000, 900, 100, unique.len() as u32));
    assert_eq!(c.valid - c.unique, c.duplicates);
    assert_eq!(preview.estimate.calls, unique.len() as u32, "SERPRO: one call per distinct number");
    assert_eq!(preview.estimate.billable_max, preview.estimate.calls);

    let state = "saida.csv.lote.jsonl";
    batch.start_journal(&mut env.history.lock().unwrap(), state, &ctx(&profile)).unwrap();
    let (end, seen) = run(&mut batch, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.state, BatchState::Completed, "{end:?}");
    assert_eq!((end.rows, end.done_rows), (10_000, 10_000));
    assert_eq!(end.found + end.not_found + end.errors + end.invalid + end.empty, 10_000);
    assert_eq!(end.numbers_done, unique.len() as u32);
    assert!(end.errors > 0, "the injected faults show up as errors");
    assert!(seen.len() >= 2 && seen.windows(2).all(|w| w[0].done_rows <= w[1].done_rows), "progress only grows");

    // The simulator saw no invalid number, and each distinct number answered once.
    let requests = sim.requests();
    let answers = answered(&requests);
    for (n, count) in &answers {
        assert!(unique.contains(n), "{n} was called but is not a valid number of the list");
        assert_eq!(*count, 1, "{n} was answered {count} times");
    }
    for (n, count) in billed(&requests) {
        assert_eq!(count, 1, "{n} was billed {count} times");
    }
    for r in requests.iter().filter(|r| r.is_api_call()) {
        for n in asked(r) {
            assert!(unique.contains(&n), "invalid {n} reached the gateway");
        }
    }

    // Every row is in the output, in order, with its cells untouched and its verdict.
    let out = env.path("saida.csv");
    write_output(&batch, &out);
    let (header, rows) = read_output(&out, b';');
    assert_eq!(&header[..4], ["id", "nome", "documento", "obs"]);
    assert_eq!(&header[4..], VERDICT_COLUMNS);
    assert_eq!(rows.len(), 10_000);
    let (res, doc_col, name_col, code_col, note_col) = (
        col(&header, "balcao_resultado"),
        col(&header, "balcao_documento"),
        col(&header, "balcao_nome"),
        col(&header, "balcao_erro_codigo"),
        col(&header, "balcao_observacao"),
    );
    let mut seen_numbers = HashSet::new();
    let mut verdict_of: HashMap<String, (String, String)> = HashMap::new();
    for ((row, input), expect) in rows.iter().zip(&list.rows).zip(&list.expect) {
        assert_eq!(&row[..4], &input[..], "input cells preserved");
        match expect {
            Expect::Invalid => {
                assert_eq!(row[res], "Inválido");
                assert_eq!(row[code_col], "InvalidDocument");
            }
            Expect::Empty => assert_eq!(row[res], "Sem número"),
            Expect::Number(n) => {
                let doc = Document::parse(n).unwrap();
                assert_eq!(row[doc_col], doc.formatted());
                let expected = if dataset().person(n).is_some() || dataset().company(n).is_some() {
                    ["Encontrado", "Encontrado (parcial)", "Falhou"].as_slice()
                } else {
                    ["Não encontrado", "Falhou"].as_slice()
                };
                assert!(expected.contains(&row[res].as_str()), "{n}: {}", row[res]);
                if row[res] == "Encontrado" {
                    assert!(!row[name_col].is_empty(), "{n} found without a name");
                }
                if row[res] == "Falhou" {
                    assert!(!row[code_col].is_empty(), "{n} failed without an error code");
                }
                let first = seen_numbers.insert(n.clone());
                assert_eq!(!first, row[note_col].contains("repetido da linha"), "{n}: {}", row[note_col]);
                let v = (row[res].clone(), row[name_col].clone());
                assert_eq!(
                    verdict_of.entry(n.clone()).or_insert_with(|| v.clone()),
                    &v,
                    "duplicates share the verdict"
                );
            }
        }
    }
    assert_eq!(rows.iter().filter(|r| r[res] == "Falhou").count() as u32, end.errors);

    // Every call is in the audit trail, once per distinct number.
    assert_eq!(env.audit_lines(), unique.len());
    let minor = "52998224725";
    assert_eq!(batch.verdict(&Document::parse(minor).unwrap()).unwrap().error_code, Some(ErrorCode::MinorDataBlocked));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conecta_cpf_light_goes_fifty_at_a_time() {
    let found: Vec<String> =
        dataset().persons().iter().filter(|p| p.conecta.is_some()).map(|p| p.cpf().to_owned()).collect();
    let not_found = unknown_cpfs(1200, 300_000_000);
    let list = mixed_list(3_000, &found, &not_found, 250, 20, 11);
    let unique = list.unique_numbers();
    let sim = sim(SimConfig::default()).await;
    sim.inject(Fault::status(503).times(1).probability(0.2));
    let profile = Profile::demo_conecta(&sim.base_url(), Cpf::parse("11144477735").unwrap());
    let env = Env::new();
    let mut batch = Batch::prepare("lista.csv", list.text().as_bytes(), &BatchOptions::default()).unwrap();
    let est = batch.estimate(&client(&profile));
    assert_eq!(est.calls, (unique.len() as u32).div_ceil(50));
    batch.start_journal(&mut env.history.lock().unwrap(), "l.jsonl", &ctx(&profile)).unwrap();
    let (end, _) = run(&mut batch, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.state, BatchState::Completed, "{end:?}");
    assert_eq!(end.done_rows, 3_000);
    let requests = sim.requests();
    let light: Vec<&LoggedRequest> = requests.iter().filter(|r| r.path.starts_with("/api-cpf-light")).collect();
    assert!(light.iter().all(|r| asked(r).len() <= 50), "at most 50 CPFs per call");
    assert_eq!(light.len() as u32, end.calls);
    for (n, count) in answered(&requests) {
        assert!(unique.contains(&n), "{n} is not a valid CPF of the list");
        assert_eq!(count, 1, "{n} answered {count} times");
    }
    // A 503 on a billed POST is not retried: its 50 CPFs are reported as errors, never silently dropped.
    assert_eq!(end.errors, rows_failed(&batch, &list));
    sim.shutdown().await;
}

fn rows_failed(batch: &Batch, list: &List) -> u32 {
    list.expect
        .iter()
        .filter(|e| match e {
            Expect::Number(n) => batch
                .verdict(&Document::parse(n).unwrap())
                .is_some_and(|v| v.outcome == balcao_core::history_api::Outcome::Failed),
            _ => false,
        })
        .count() as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_stop_then_resume_from_the_state_file_with_a_higher_quota() {
    let not_found = unknown_cpfs(280, 400_000_000);
    let found = known_cpfs();
    let list = mixed_list(1_000, &found, &not_found, 60, 5, 3);
    let unique = list.unique_numbers();
    let bytes = list.text().into_bytes();
    let env = Env::new();
    let out = env.path("resultado.csv");
    let plain_state = state_path_for(&out);
    let state = "resultado";

    // First run: the gateway's quota (120 calls) ends it.
    let sim1 = sim(SimConfig { quota: Some(120), ..SimConfig::default() }).await;
    let profile1 = Profile::demo(&sim1.base_url());
    let mut batch = Batch::prepare("lista.csv", &bytes, &BatchOptions::default()).unwrap();
    assert!(!batch.estimate(&client(&profile1)).quota_exceeded, "the gateway's quota is not known in advance");
    batch.start_journal(&mut env.history.lock().unwrap(), state, &ctx(&profile1)).unwrap();
    let (end1, _) = run(&mut batch, &profile1, &env, &Cancel::new()).await;
    assert_eq!(end1.state, BatchState::Stopped);
    assert_eq!(end1.stop.as_ref().map(|e| e.code), Some(ErrorCode::QuotaExhausted));
    assert!(end1.resume_hint.as_deref().is_some_and(|h| h.contains("retome")), "{:?}", end1.resume_hint);
    assert_eq!(end1.numbers_done, 120, "every call the gateway accepted is kept");
    let first = sim1.requests();
    let refused = first.iter().filter(|r| r.status == 429).count();
    assert!((1..=4).contains(&refused), "the run stopped at the first refusals ({refused}), not after them");
    write_output(&batch, &out);
    let (header, rows) = read_output(&out, b';');
    let res = col(&header, "balcao_resultado");
    let pending = rows.iter().filter(|r| r[res] == "Pendente").count();
    assert!(pending > 0 && rows.len() == 1_000);
    drop(batch);
    sim1.shutdown().await;

    // The saved state is in the encrypted history (no plain file beside the output), with answers and no secret.
    assert!(!plain_state.exists());
    let saved = env.history.lock().unwrap().batch_state(state).unwrap().expect("saved");
    assert_eq!(saved.answers.len(), 120);
    let text = format!("{}{:?}", saved.header, saved.answers);
    assert!(!text.contains(balcao_sim::DEMO_CLIENT_SECRET) && !text.to_lowercase().contains("token"));

    // Resume with the same file from the saved state, against a gateway with a higher quota.
    let sim2 = sim(SimConfig { quota: Some(10_000), ..SimConfig::default() }).await;
    let profile2 = Profile::demo(&sim2.base_url());
    let other = b"40442820135\n".to_vec();
    let e = Batch::resume(&env.history.lock().unwrap(), state, "outra.csv", &other).unwrap_err();
    assert!(e.message.contains("não é o mesmo"), "{}", e.message);
    let mut batch = Batch::resume(&env.history.lock().unwrap(), state, "lista.csv", &bytes).unwrap();
    let est = batch.estimate(&client(&profile2));
    assert_eq!(est.already_done, 120);
    assert_eq!(est.to_look_up as usize, unique.len() - 120);
    let (end2, _) = run(&mut batch, &profile2, &env, &Cancel::new()).await;
    assert_eq!(end2.state, BatchState::Completed, "{end2:?}");
    assert_eq!(end2.done_rows, 1_000);

    // No number called twice across the two runs, and every number answered.
    let a1: HashSet<String> = answered(&first).into_keys().collect();
    let a2 = answered(&sim2.requests());
    assert!(a2.values().all(|&c| c == 1));
    let a2: HashSet<String> = a2.into_keys().collect();
    assert!(a1.is_disjoint(&a2), "numbers called in both runs: {:?}", a1.intersection(&a2).collect::<Vec<_>>());
    assert_eq!(a1.union(&a2).cloned().collect::<HashSet<_>>(), unique);
    write_output(&batch, &out);
    let (_, rows) = read_output(&out, b';');
    assert!(rows.iter().all(|r| r[res] != "Pendente"));
    sim2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profiles_own_quota_stops_before_calling_past_it() {
    let list = mixed_list(300, &known_cpfs(), &unknown_cpfs(100, 450_000_000), 5, 0, 13);
    let sim = sim(SimConfig::default()).await;
    let mut profile = Profile::demo(&sim.base_url());
    profile.quota_limit = Some(40);
    let client = client(&profile);
    client.quota().seed(balcao_core::record::ApiKind::SerproCpfV2, 15);
    let env = Env::new();
    let mut batch = Batch::prepare("l.csv", list.text().as_bytes(), &BatchOptions::default()).unwrap();
    let est = batch.estimate(&client);
    assert!(est.quota_exceeded, "the estimate warns before starting: {est:?}");
    assert_eq!(est.by_api[0].quota_remaining, Some(25));
    batch.start_journal(&mut env.history.lock().unwrap(), "q.jsonl", &ctx(&profile)).unwrap();
    let end = batch.run(&client, env.history.clone(), &ctx(&profile), &Cancel::new(), &|_| {}).await.unwrap();
    assert_eq!(end.state, BatchState::Stopped);
    assert_eq!(end.stop.as_ref().map(|e| e.code), Some(ErrorCode::QuotaExhausted));
    let requests = sim.requests();
    assert_eq!(billed(&requests).len(), 25, "exactly what the quota had left was called");
    assert!(requests.iter().all(|r| r.status != 429), "nothing was sent past the quota");
    assert_eq!(end.billable_calls, 25);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_keeps_what_was_done_and_resume_finishes() {
    let list = mixed_list(1_500, &known_cpfs(), &unknown_cpfs(600, 500_000_000), 10, 0, 5);
    let unique = list.unique_numbers();
    let bytes = list.text().into_bytes();
    let sim = sim(SimConfig { latency_ms: 2, ..SimConfig::default() }).await;
    let profile = Profile::demo(&sim.base_url());
    let env = Env::new();
    let state = "c.jsonl";
    let mut batch = Batch::prepare("lista.csv", &bytes, &BatchOptions::default()).unwrap();
    batch.start_journal(&mut env.history.lock().unwrap(), state, &ctx(&profile)).unwrap();
    let cancel = Cancel::new();
    let trigger = cancel.clone();
    let report = move |p: &BatchProgress| {
        if p.numbers_done >= 100 {
            trigger.cancel();
        }
    };
    let end = batch.run(&client(&profile), env.history.clone(), &ctx(&profile), &cancel, &report).await.unwrap();
    assert_eq!(end.state, BatchState::Cancelled);
    assert!(end.numbers_done >= 100 && (end.numbers_done as usize) < unique.len(), "{end:?}");
    assert!(end.resume_hint.is_some());
    let done_first = answered(&sim.requests());
    assert_eq!(done_first.len(), end.numbers_done as usize, "every call made before the cancel was kept");
    sim.clear_requests();
    drop(batch);

    let mut batch = Batch::resume(&env.history.lock().unwrap(), state, "lista.csv", &bytes).unwrap();
    let (end, _) = run(&mut batch, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.state, BatchState::Completed);
    let second: HashSet<String> = answered(&sim.requests()).into_keys().collect();
    let first: HashSet<String> = done_first.into_keys().collect();
    assert!(first.is_disjoint(&second));
    assert_eq!(first.len() + second.len(), unique.len());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_history_answers_are_reused_instead_of_called() {
    let found = known_cpfs();
    let nf = unknown_cpfs(50, 600_000_000);
    let text: String = found.iter().chain(&nf).map(|n| format!("{n}\n")).collect();
    let sim = sim(SimConfig::default()).await;
    let profile = Profile::demo(&sim.base_url());
    let env = Env::new();
    let mut first = Batch::prepare("a.txt", text.as_bytes(), &BatchOptions::default()).unwrap();
    first.start_journal(&mut env.history.lock().unwrap(), "a.jsonl", &ctx(&profile)).unwrap();
    run(&mut first, &profile, &env, &Cancel::new()).await;
    let found_before = found.iter().filter(|n| first.verdict(&Document::parse(n).unwrap()).unwrap().is_found()).count();
    sim.clear_requests();

    let opts = BatchOptions { reuse_max_age_days: Some(30), ..Default::default() };
    let mut again = Batch::prepare("a.txt", text.as_bytes(), &opts).unwrap();
    let reused = {
        let h = env.history.lock().unwrap();
        again.reuse_history(&h, Environment::Demonstracao, time::OffsetDateTime::now_utc()).unwrap()
    };
    assert_eq!(reused as usize, found_before, "found records are reused; not-found ones are asked again");
    let est = again.estimate(&client(&profile));
    assert_eq!((est.reused as usize, est.to_look_up as usize), (found_before, found.len() + nf.len() - found_before));
    again.start_journal(&mut env.history.lock().unwrap(), "b.jsonl", &ctx(&profile)).unwrap();
    let (end, _) = run(&mut again, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.reused as usize, found_before);
    let called = answered(&sim.requests());
    for n in &found {
        let v = again.verdict(&Document::parse(n).unwrap()).unwrap();
        assert_eq!(v.reused_from.is_some(), !called.contains_key(n), "{n}: reused xor called");
    }
    assert_eq!(called.len(), found.len() + nf.len() - found_before);
    let out = env.path("b.csv");
    write_output(&again, &out);
    let (header, rows) = read_output(&out, b';');
    let note = col(&header, "balcao_observacao");
    assert_eq!(rows.iter().filter(|r| r[note].contains("reaproveitado do histórico")).count(), found_before);

    // Another environment's history is never reused.
    let mut other = Batch::prepare("a.txt", text.as_bytes(), &opts).unwrap();
    let reused_elsewhere = {
        let h = env.history.lock().unwrap();
        other.reuse_history(&h, Environment::Producao, time::OffsetDateTime::now_utc()).unwrap()
    };
    assert_eq!(reused_elsewhere, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_gateway_still_completes_and_bills_each_number_once() {
    let list = mixed_list(400, &known_cpfs(), &unknown_cpfs(160, 700_000_000), 5, 0, 9);
    let unique = list.unique_numbers();
    let sim = sim(SimConfig { rate_limit_rps: Some(40.0), ..SimConfig::default() }).await;
    let mut profile = Profile::demo(&sim.base_url());
    profile.network.max_concurrency = 8;
    let env = Env::new();
    let mut batch = Batch::prepare("l.csv", list.text().as_bytes(), &BatchOptions::default()).unwrap();
    batch.start_journal(&mut env.history.lock().unwrap(), "r.jsonl", &ctx(&profile)).unwrap();
    let (end, _) = run(&mut batch, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.state, BatchState::Completed, "{end:?}");
    let failed: Vec<ErrorCode> = unique
        .iter()
        .filter_map(|n| batch.verdict(&Document::parse(n).unwrap()).and_then(|v| v.error_code))
        .filter(|c| *c != ErrorCode::NotFound)
        .collect();
    // The simulator's minors (422) and minors under 16 (451) are the only errors: billed, and reported as such.
    let is_minor = |n: &str| dataset().persons().iter().any(|p| p.cpf() == n && (p.minor || p.under16));
    let minors = unique.iter().filter(|n| is_minor(n)).count();
    assert!(minors > 0, "the list has minors");
    assert_eq!(failed, vec![ErrorCode::MinorDataBlocked; minors], "429s are waited out, never reported as verdicts");
    let minor_rows = list.expect.iter().filter(|e| matches!(e, Expect::Number(n) if is_minor(n))).count();
    assert_eq!(end.errors as usize, minor_rows, "each row of a minor's number is an error row");
    let requests = sim.requests();
    assert!(requests.iter().any(|r| r.status == 429), "the gateway did refuse some calls");
    let billed = billed(&requests);
    assert_eq!(billed.len(), unique.len(), "every number billed once, the minors' 422 and 451 included");
    assert!(billed.values().all(|&c| c == 1));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_profile_cannot_resume_and_nothing_is_called() {
    let sim = sim(SimConfig::default()).await;
    let profile = Profile::demo(&sim.base_url());
    let env = Env::new();
    let bytes = b"40442820135\n63017285995\n".to_vec();
    let mut batch = Batch::prepare("l.txt", &bytes, &BatchOptions::default()).unwrap();
    let state = "s.jsonl";
    batch.start_journal(&mut env.history.lock().unwrap(), state, &ctx(&profile)).unwrap();
    let conecta = Profile::demo_conecta(&sim.base_url(), Cpf::parse("11144477735").unwrap());
    let mut resumed = Batch::resume(&env.history.lock().unwrap(), state, "l.txt", &bytes).unwrap();
    let e =
        resumed.run(&client(&conecta), env.history.clone(), &ctx(&conecta), &Cancel::new(), &|_| {}).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("Demonstração"), "{}", e.message);
    assert!(sim.requests().is_empty());
    let plain = Batch::prepare("l.txt", &bytes, &BatchOptions::default()).unwrap();
    assert_eq!(plain.plan().numbers.iter().filter(|d| d.kind() == DocKind::Cpf).count(), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_keeps_at_most_max_concurrency_calls_in_flight() {
    // 12 numbers, calls of 100 ms at the simulator, a limit of 3: the simulator's high-water mark is the limit.
    let sim = sim(SimConfig { latency_ms: 100, ..SimConfig::default() }).await;
    let mut profile = Profile::demo(&sim.base_url());
    profile.network.max_concurrency = 3;
    let env = Env::new();
    let numbers: Vec<String> = known_cpfs().into_iter().take(6).chain(unknown_cpfs(6, 800_000_000)).collect();
    assert_eq!(numbers.len(), 12);
    let text = numbers.join("\n");
    let mut batch = Batch::prepare("l.txt", text.as_bytes(), &BatchOptions::default()).unwrap();
    batch.start_journal(&mut env.history.lock().unwrap(), "c.jsonl", &ctx(&profile)).unwrap();
    let (end, _) = run(&mut batch, &profile, &env, &Cancel::new()).await;
    assert_eq!(end.state, BatchState::Completed, "{end:?}");
    assert_eq!(sim.requests().iter().filter(|r| r.is_api_call()).count(), 12);
    assert_eq!(sim.max_in_flight(), 3, "never more than max_concurrency calls at once, and the limit is used");
    sim.shutdown().await;
}
