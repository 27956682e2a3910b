//! The CLI under the agency's managed policy (policy.toml, #17): the policy's clerk rule wins over settings.json's,
//! so `balcao-cli lookup` without `--atendente` is refused (exit 12, pt-BR) before any call where the policy
//! requires a signed-in clerk, even when the clerk's own settings.json does not.

use std::ffi::OsStr;

use balcao_sim::{LoggedRequest, SimConfig, Simulator};

mod common;
use common::{Run, Scratch, measure};

const UNAUTHORIZED: i32 = 12;

fn lookup(scratch: &Scratch, config: &std::path::Path) -> Run {
    let args: Vec<&OsStr> = ["lookup", "--config"]
        .into_iter()
        .map(OsStr::new)
        .chain([config.as_os_str()])
        .chain(["--credentials-from-env", "cpf", "40442820135"].into_iter().map(OsStr::new))
        .collect();
    let (data, policy) = (scratch.path("data"), scratch.path("policy"));
    let env: [(&str, &OsStr); 5] = [
        ("BALCAO_DATA_DIR", data.as_os_str()),
        ("BALCAO_POLICY_DIR", policy.as_os_str()),
        ("BALCAO_KEYRING_SERVICE", OsStr::new("br.gov.balcao.test.cli-managed-policy")),
        ("BALCAO_CLIENT_ID", OsStr::new("cli-id")),
        ("BALCAO_CLIENT_SECRET", OsStr::new("cli-secret")),
    ];
    measure(&args, &env, None)
}

#[test]
fn the_policys_clerk_rule_wins_over_settings_json_in_the_cli_before_any_call() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let sim = rt
        .block_on(Simulator::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig { serpro_credentials: creds, ..SimConfig::default() },
        ))
        .unwrap();
    let scratch = Scratch::new("cli-managed-policy");
    let config = scratch.path("profiles.toml");
    std::fs::write(
        &config,
        format!(
            "[[profile]]\nid = \"h\"\nname = \"Homologação\"\nprovider = \"serpro\"\nenvironment = \"homologacao\"\n\
             base_url = \"{}\"\ncpf_api = \"serpro_v1\"\n",
            sim.base_url()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(scratch.path("data")).unwrap();
    std::fs::write(scratch.path("data").join("settings.json"), r#"{"clerkPolicy":{"required":false}}"#).unwrap();
    std::fs::create_dir_all(scratch.path("policy")).unwrap();
    std::fs::write(scratch.path("policy").join("policy.toml"), "[clerks]\nrequired = true\n").unwrap();
    let run = lookup(&scratch, &config);
    assert_eq!(run.code, Some(UNAUTHORIZED), "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(run.stdout.contains("--atendente"), "{}", run.stdout);
    let calls: Vec<LoggedRequest> = sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect();
    assert!(calls.is_empty(), "no call left: {calls:?}");
}
