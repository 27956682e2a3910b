//! `--atendente CPF`: the CLI names its clerk on every Conecta call (`x-cpf-usuario`) and in the audit trail, which
//! says the line came from the CLI; where the agency's clerk policy requires a signed-in clerk, the CLI refuses
//! without one (exit 12, pt-BR message) before any call. The real binary, a simulated Conecta gateway, the history in
//! a real SQLCipher file keyed from a real Secret Service (inside its own D-Bus session).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use balcao_core::Cpf;
use balcao_core::history_api::{AuditEvent, AuditOrigin};
use balcao_history::History;
use balcao_platform::KeyringStore;
use balcao_sim::{SimConfig, SimHandle, Simulator};
use serde_json::Value;

mod common;
use common::{Scratch, in_keyring_session};

const INSIDE: &str = "BALCAO_CLI_ATENDENTE_TEST_INSIDE";
const TEST_NAME: &str = "atendente_names_the_clerk_on_the_gateway_and_in_the_audit_from_the_cli";

#[test]
fn atendente_names_the_clerk_on_the_gateway_and_in_the_audit_from_the_cli() {
    if in_keyring_session(INSIDE, TEST_NAME, "cli-atendente") {
        inside_session();
    }
}

fn cli(args: &[&str]) -> (i32, Value, String) {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(args)
        .env("BALCAO_CLIENT_ID", "cli-id")
        .env("BALCAO_CLIENT_SECRET", "cli-secret")
        .output()
        .expect("balcao-cli runs");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let text = String::from_utf8(stdout).expect("UTF-8 stdout");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text}\nstderr: {stderr}"));
    (status.code().expect("exit status"), json, stderr)
}

fn conecta_profiles(scratch: &Scratch, base: &str) -> PathBuf {
    let path = scratch.path("profiles.toml");
    let text = format!(
        r#"
[[profile]]
id = "conecta-hom"
name = "Conecta homologação"
provider = "conecta"
environment = "homologacao"
base_url = "{base}"
cpf_api = "conecta_light"
cnpj_views = ["basica"]
clerk_cpf = "000.000.001-91"
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn write_settings(data_dir: &Path, json: &str) {
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(data_dir.join("settings.json"), json).unwrap();
}

fn headers(sim: &SimHandle) -> Vec<Option<String>> {
    sim.requests().iter().filter(|r| r.is_api_call()).map(|r| r.cpf_usuario.clone()).collect()
}

fn inside_session() {
    let s = Scratch::new("atendente");
    let data_dir = PathBuf::from(std::env::var_os("BALCAO_DATA_DIR").expect("the session redirects the data dir"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let sim: SimHandle = rt
        .block_on(Simulator::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig { conecta_credentials: creds, ..SimConfig::default() },
        ))
        .expect("simulator");
    let config = conecta_profiles(&s, &sim.base_url());
    let config = config.to_str().unwrap();
    let ana = Cpf::with_check_digits("111444777").unwrap();
    let input = s.path("cpfs.txt");
    std::fs::write(&input, "40442820135\n").unwrap();
    let out = s.path("saida.csv");
    let batch = |extra: &[&str]| {
        let mut args = vec!["batch", "--config", config, "--credentials-from-env", input.to_str().unwrap(), "-o"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        cli(&args)
    };

    // The agency requires a signed-in clerk: without --atendente, refused before any call, exit 12.
    write_settings(&data_dir, r#"{"clerkPolicy":{"required":true}}"#);
    let (code, json, stderr) = batch(&[]);
    assert_eq!(code, 12, "{json}\n{stderr}");
    assert_eq!(json["error"]["code"], "Unauthorized");
    assert!(json["error"]["message"].as_str().unwrap().contains("--atendente"), "{json}");
    let (code, json, _) = cli(&["lookup", "--config", config, "--credentials-from-env", "cpf", "40442820135"]);
    assert_eq!(code, 12, "{json}");
    assert!(headers(&sim).is_empty(), "nothing was sent");
    // An invalid CPF is refused as such.
    let (code, json, _) = batch(&["--atendente", "111.444.777-00"]);
    assert_eq!(code, 10, "{json}");
    assert!(headers(&sim).is_empty());
    // Demonstração works without a clerk.
    let (code, json, _) = cli(&["lookup", "cpf", "40442820135"]);
    assert_eq!(code, 0, "{json}");

    // With --atendente, the clerk is named on the gateway (not the profile's configured CPF) and in the audit.
    let (code, json, stderr) = batch(&["--atendente", &ana.formatted()]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let lookup_as_ana = || {
        cli(&[
            "lookup",
            "--config",
            config,
            "--credentials-from-env",
            "--atendente",
            ana.as_str(),
            "cpf",
            "40442820135",
        ])
    };
    let (code, json, _) = lookup_as_ana();
    assert_eq!(code, 0, "{json}");
    let sent = headers(&sim);
    assert_eq!(sent, vec![Some(ana.to_string()), Some(ana.to_string())], "x-cpf-usuario is the clerk's");

    let h = History::open(&data_dir, &KeyringStore::new()).unwrap();
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    let lookups: Vec<_> = audit
        .iter()
        .filter(|a| a.event == AuditEvent::Lookup && a.profile_id.as_deref() == Some("conecta-hom"))
        .collect();
    // The batch's lookup and the single lookup (which goes through the service's door too, #14).
    assert_eq!(lookups.len(), 2, "{audit:?}");
    for line in lookups {
        assert_eq!(line.clerk_cpf.as_deref(), Some(ana.as_str()));
        assert_eq!(line.origin, Some(AuditOrigin::Cli));
    }
    let export = audit.iter().find(|a| a.event == AuditEvent::Export).expect("the result file's audit line");
    assert_eq!((export.clerk_cpf.as_deref(), export.origin), (Some(ana.as_str()), Some(AuditOrigin::Cli)));
    drop(h);

    // Where the PC has clerks, --atendente must be one of them.
    write_settings(&data_dir, r#"{"clerkPolicy":{"required":true,"listed":[{"cpf":"52998224725","name":"Bruno"}]}}"#);
    let (code, json, _) = lookup_as_ana();
    assert_eq!(code, 12, "{json}");
    assert_eq!(headers(&sim).len(), 2, "nothing more was sent");
    rt.block_on(sim.shutdown());
}
