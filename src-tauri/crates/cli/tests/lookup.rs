//! `balcao-cli lookup` as a user runs it: the real binary, Demonstração by default, a profiles file pointing at a
//! simulator, credentials from the environment, JSON on stdout and one documented exit status per error code.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use balcao_sim::{LoggedRequest, SimConfig, SimHandle, Simulator};
use serde_json::Value;

/// A private scratch dir, removed when dropped; also the redirected data dir so nothing real is touched.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("balcao-cli-lookup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One keyring service per scratch folder: each test's history gets its own key, created by its first lookup (two
/// tests creating it at once under one name would overwrite each other's).
fn keyring_service(scratch: &Scratch) -> String {
    format!("br.gov.balcao.test-{}", scratch.0.file_name().unwrap().to_string_lossy())
}

fn cli(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.arg("lookup")
        .args(args)
        .env("BALCAO_DATA_DIR", &scratch.0)
        .env("BALCAO_KEYRING_SERVICE", keyring_service(scratch))
        .env_remove("BALCAO_CLIENT_ID")
        .env_remove("BALCAO_CLIENT_SECRET");
    for word in ["CPF", "CNPJ"] {
        cmd.env_remove(format!("BALCAO_{word}_CLIENT_ID")).env_remove(format!("BALCAO_{word}_CLIENT_SECRET"));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("balcao-cli runs");
    let text = String::from_utf8(stdout).expect("UTF-8 stdout");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text}\nstderr: {}", String::from_utf8_lossy(&stderr)));
    (status.code().expect("exit status"), json)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn start_sim(rt: &tokio::runtime::Runtime, config: SimConfig) -> SimHandle {
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator")
}

fn api_calls(sim: &SimHandle) -> Vec<LoggedRequest> {
    sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect()
}

fn profiles_file(scratch: &Scratch, base: &str) -> PathBuf {
    scratch.write(
        "profiles.toml",
        &format!(
            r#"
[[profile]]
id = "serpro-teste"
name = "SERPRO de teste"
provider = "serpro"
environment = "homologacao"
base_url = "{base}"
cpf_api = "serpro_v1"
cnpj_views = ["basica", "qsa"]

[[profile]]
id = "conecta-teste"
name = "Conecta de teste"
provider = "conecta"
environment = "homologacao"
base_url = "{base}"
cpf_api = "conecta_light"
cnpj_views = ["empresa"]
clerk_cpf = "000.000.001-91"
"#
        ),
    )
}

const ENV_CREDS: [(&str, &str); 2] = [("BALCAO_CLIENT_ID", "cli-id"), ("BALCAO_CLIENT_SECRET", "cli-secret")];

fn sim_with_cli_creds(rt: &tokio::runtime::Runtime) -> SimHandle {
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    start_sim(rt, SimConfig { serpro_credentials: creds.clone(), conecta_credentials: creds, ..SimConfig::default() })
}

#[test]
fn demonstracao_by_default_prints_the_record_and_the_raw_answer() {
    let s = Scratch::new("demo");
    let (code, json) = cli(&s, &["cpf", "404.428.201-35"], &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["record"]["kind"], "cpf");
    assert_eq!(json["record"]["cpf"], "40442820135");
    assert_eq!(json["record"]["status"]["label"], "Regular");
    assert_eq!(json["meta"]["api"], "serproCpfV2");
    assert!(json["raw"].as_str().is_some_and(|r| r.contains("40442820135")));
    assert!(json["consultedAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    let (code, json) = cli(&s, &["cnpj", "34.238.864/0001-68", "--view", "qsa"], &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["record"]["view"], "qsa");
    assert!(json["record"]["partners"].is_array());

    let (code, json) = cli(&s, &["cnpj", "12ABC34501DE35"], &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["record"]["view"], "empresa", "widest view by default");
}

#[test]
fn failures_print_a_coded_error_and_exit_with_its_status() {
    let s = Scratch::new("errors");
    for (args, code, status) in [
        (&["cpf", "404.428.201-36"][..], "InvalidDocument", 10),
        (&["cnpj", "404.428.201-35"][..], "InvalidDocument", 10),
        (&["cpf", "123.456.789-09"][..], "NotFound", 11),
        (&["cpf", "529.982.247-25"][..], "MinorDataBlocked", 14),
        (&["--profile", "inexistente", "cpf", "40442820135"][..], "Config", 23),
    ] {
        let (exit, json) = cli(&s, args, &[]);
        assert_eq!(exit, status, "{args:?}: {json}");
        assert_eq!(json["error"]["code"], code, "{args:?}");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(json.as_object().unwrap().len(), 1, "only the error key: {json}");
    }
}

#[test]
fn profiles_file_with_credentials_from_env_reaches_the_configured_gateway() {
    let s = Scratch::new("config");
    let rt = runtime();
    let sim = sim_with_cli_creds(&rt);
    let config = profiles_file(&s, &sim.base_url());
    let config = config.to_str().unwrap();

    let (code, json) = cli(
        &s,
        &["--config", config, "--profile", "serpro-teste", "cpf", "40442820135", "--credentials-from-env"],
        &ENV_CREDS,
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["meta"]["api"], "serproCpfV1");

    let (code, json) = cli(
        &s,
        &["--config", config, "--profile", "Conecta de teste", "cpf", "00000000272", "--credentials-from-env"],
        &ENV_CREDS,
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["meta"]["api"], "conectaCpfLight");

    let (code, json) = cli(
        &s,
        &[
            "--config",
            config,
            "--profile",
            "serpro-teste",
            "cnpj",
            "34238864000168",
            "--view",
            "empresa",
            "--credentials-from-env",
        ],
        &ENV_CREDS,
    );
    assert_eq!((code, json["error"]["code"].as_str()), (13, Some("Forbidden")), "view not contracted: {json}");

    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 2, "the refused view never left the machine");
    assert_eq!(calls[0].path, "/consulta-cpf-df/v1/cpf/40442820135");
    assert_eq!(calls[1].cpf_usuario.as_deref(), Some("00000000191"));

    let (code, json) = cli(&s, &["--config", config, "cpf", "40442820135", "--credentials-from-env"], &ENV_CREDS);
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")), "two profiles, none chosen: {json}");

    let (code, json) = cli(
        &s,
        &["--config", config, "--profile", "serpro-teste", "cpf", "40442820135", "--credentials-from-env"],
        &[],
    );
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")), "env vars missing: {json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("BALCAO_CLIENT_ID"));

    let wrong = [("BALCAO_CLIENT_ID", "cli-id"), ("BALCAO_CLIENT_SECRET", "errado")];
    let (code, json) = cli(
        &s,
        &["--config", config, "--profile", "serpro-teste", "cpf", "40442820135", "--credentials-from-env"],
        &wrong,
    );
    assert_eq!((code, json["error"]["code"].as_str()), (12, Some("Unauthorized")), "{json}");
    rt.block_on(sim.shutdown());
}

/// `--credentials-from-env` with one credential per API (#15; apis.md §8 A4: Conecta agencies hold one client
/// id/secret per API and a token carries one API's scope): each API's call goes with the token of its own
/// credential, and a CNPJ lookup with only the CPF variables (and no shared ones) is refused before any call.
#[test]
fn per_api_environment_variables_give_each_api_its_own_token() {
    let s = Scratch::new("per-api");
    let rt = runtime();
    let sim = start_sim(
        &rt,
        SimConfig {
            conecta_credentials: Vec::new(),
            conecta_scoped_credentials: vec![
                ("cpf-id".into(), "cpf-secret".into(), "api-cpf-light-v1".into()),
                ("cnpj-id".into(), "cnpj-secret".into(), "api-cnpj-v1".into()),
            ],
            ..SimConfig::default()
        },
    );
    let config = profiles_file(&s, &sim.base_url());
    let config = config.to_str().unwrap();
    let per_api = [
        ("BALCAO_CPF_CLIENT_ID", "cpf-id"),
        ("BALCAO_CPF_CLIENT_SECRET", "cpf-secret"),
        ("BALCAO_CNPJ_CLIENT_ID", "cnpj-id"),
        ("BALCAO_CNPJ_CLIENT_SECRET", "cnpj-secret"),
    ];
    let conecta = ["--config", config, "--profile", "Conecta de teste", "--credentials-from-env"];
    let (code, json) = cli(&s, &[&conecta[..], &["cpf", "00000000272"]].concat(), &per_api);
    assert_eq!(code, 0, "{json}");
    let (code, json) = cli(&s, &[&conecta[..], &["cnpj", "34238864000168"]].concat(), &per_api);
    assert_eq!(code, 0, "{json}");
    let tokens: Vec<Option<String>> =
        sim.requests().into_iter().filter(|r| r.is_token_call()).map(|r| r.token).collect();
    assert_eq!(tokens, [Some("cpf-id".to_owned()), Some("cnpj-id".to_owned())]);
    let calls = api_calls(&sim);
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].token, calls[1].token, "each API its own token");

    let (code, json) = cli(&s, &[&conecta[..], &["cnpj", "34238864000168"]].concat(), &per_api[..2]);
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")), "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("BALCAO_CNPJ_CLIENT_ID"), "{json}");
    assert_eq!(api_calls(&sim).len(), 2, "nothing sent");
    rt.block_on(sim.shutdown());
}

#[test]
fn gateway_failures_map_to_their_exit_status() {
    let s = Scratch::new("gateway");
    let rt = runtime();
    let sim = sim_with_cli_creds(&rt);
    let config = profiles_file(&s, &sim.base_url());
    let config = config.to_str().unwrap();
    let args = ["--config", config, "--profile", "serpro-teste", "cpf", "40442820135", "--credentials-from-env"];
    for (fault, code, status) in [
        (balcao_sim::Fault::status(403), "Forbidden", 13),
        (balcao_sim::Fault::status(500), "Upstream", 17),
        (balcao_sim::Fault::status(504).times(3), "Timeout", 19),
        (balcao_sim::Fault::reset().times(3), "Network", 18),
        (
            balcao_sim::Fault::new(balcao_sim::FaultKind::Status { status: 429, body: None, retry_after: Some(600) }),
            "RateLimited",
            15,
        ),
    ] {
        sim.clear_faults();
        sim.inject(fault);
        let (exit, json) = cli(&s, &args, &ENV_CREDS);
        assert_eq!((exit, json["error"]["code"].as_str()), (status, Some(code)), "{json}");
    }
    rt.block_on(sim.shutdown());

    let (exit, json) = cli(&s, &args, &ENV_CREDS);
    assert_eq!((exit, json["error"]["code"].as_str()), (18, Some("Network")), "simulator gone: {json}");
}

/// Without `--credentials-from-env`, a real profile's credentials come from the keyring (a real Secret Service in its
/// own D-Bus session): the keyring holds one pair, the environment another, and the simulator accepts only the
/// keyring's. The lookup succeeds, every token call carries the keyring's client id, and with the keyring emptied
/// the lookup fails on the missing credential without calling anything, although the environment still holds a pair.
#[test]
fn a_profile_without_env_credentials_reads_the_keyring_and_never_falls_back_to_the_environment() {
    const INSIDE: &str = "BALCAO_TEST_LOOKUP_KEYRING_INSIDE";
    if !common::in_keyring_session(
        INSIDE,
        "a_profile_without_env_credentials_reads_the_keyring_and_never_falls_back_to_the_environment",
        "lookup-keyring",
    ) {
        return;
    }
    let s = Scratch::new("keyring");
    let rt = runtime();
    let keyring_pair = vec![("keyring-id".to_owned(), "keyring-secret".to_owned())];
    let sim = start_sim(
        &rt,
        SimConfig {
            serpro_credentials: keyring_pair.clone(),
            conecta_credentials: keyring_pair,
            ..SimConfig::default()
        },
    );
    let config = profiles_file(&s, &sim.base_url());
    let text = std::fs::read_to_string(&config).unwrap();
    let profile = balcao_service::gov_config::load_profiles_toml(&text).unwrap().remove(0);
    assert_eq!(profile.id, "serpro-teste");
    // `cli` points the binary at this service.
    let store = balcao_platform::KeyringStore::with_service(&keyring_service(&s));
    let binding = balcao_service::gov_config::CredentialBinding::for_profile(
        &profile,
        balcao_service::gov_config::CredentialScope::AllApis,
    )
    .unwrap();
    balcao_service::gov_config::store_credentials(
        &store,
        &binding,
        &balcao_service::gov_config::Credentials::new("keyring-id", "keyring-secret"),
    )
    .expect("stored in the session's keyring");
    let args = ["--config", config.to_str().unwrap(), "--profile", "serpro-teste", "cpf", "40442820135"];

    let (exit, json) = cli(&s, &args, &ENV_CREDS);
    assert_eq!(exit, 0, "the keyring's pair is accepted: {json}");
    assert_eq!(json["record"]["cpf"], "40442820135");
    let tokens: Vec<Option<String>> =
        sim.requests().iter().filter(|r| r.is_token_call()).map(|r| r.token.clone()).collect();
    assert_eq!(tokens, [Some("keyring-id".to_owned())], "one token call, with the keyring's client id");
    assert_eq!(api_calls(&sim).len(), 1);

    // The keyring emptied: the environment's pair is not used in its place.
    for key in balcao_service::gov_config::credential_keys(
        "serpro-teste",
        balcao_service::gov_config::CredentialScope::AllApis,
    ) {
        balcao_platform::SecretStore::delete(&store, &key).unwrap();
    }
    sim.clear_requests();
    let (exit, json) = cli(&s, &args, &ENV_CREDS);
    assert_eq!((exit, json["error"]["code"].as_str()), (23, Some("Config")), "{json}");
    assert!(sim.requests().is_empty(), "no credentials, no call: {:?}", sim.requests());
    rt.block_on(sim.shutdown());
}

#[test]
fn help_documents_the_exit_statuses() {
    let out = Command::new(env!("CARGO_BIN_EXE_balcao-cli")).args(["lookup", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for line in [
        "10  InvalidDocument",
        "11  NotFound",
        "16  QuotaExhausted",
        "21  KeychainUnavailable",
        "23  Config",
        "26  Busy",
    ] {
        assert!(help.contains(line), "help lacks «{line}»:\n{help}");
    }
    assert!(help.contains("--credentials-from-env"));
}
