//! Hostile numbers through the real `balcao-cli` binary (issue 22, "Crashes" and the retry-knob hang): a token
//! lifetime, a `Retry-After`, a number of days or a network knob chosen by a hostile server or a careless file.
//! Each case ends with its documented exit status and a pt-BR message (never "panicked"), within 10 s and under
//! 200 MB of peak memory, measured with GNU time (`/usr/bin/time -f %M`, Debian package `time`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use balcao_sim::{Fault, FaultKind, SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};

mod common;
use common::{Run, Scratch, assert_no_english, in_keyring_session, measure};

/// Runs `balcao-cli ARGS` with `envs` added, measured (time and peak memory) by the shared helper.
fn measured(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let envs: Vec<(&str, &OsStr)> = envs.iter().map(|(k, v)| (*k, OsStr::new(v))).collect();
    measure(&args, &envs, None)
}

/// The run ended with `code` within 10 s and 200 MB, printed no English library text nor a panic (a refusal reads
/// as Portuguese), and said `says`.
fn assert_ends_well(run: &Run, code: i32, says: &str) {
    run.assert_ends(code);
    if code == 0 {
        assert_no_english(&run.all_text())
    } else {
        run.assert_pt_br();
    }
    assert!(run.all_text().contains(says), "«{says}» expected in the output:\n{}", run.all_text());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn sim(rt: &tokio::runtime::Runtime) -> SimHandle {
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let config = SimConfig { serpro_credentials: creds.clone(), conecta_credentials: creds, ..SimConfig::default() };
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator")
}

/// A profiles file with one SERPRO (`serpro`) and one Conecta (`conecta`) profile at `base`, each with the
/// `[profile.network]` lines given.
fn profiles(scratch: &Scratch, base: &str, network: &str) -> PathBuf {
    let path = scratch.path("profiles.toml");
    let text = format!(
        r#"
[[profile]]
id = "serpro"
name = "SERPRO de teste"
provider = "serpro"
environment = "homologacao"
base_url = "{base}"
cpf_api = "serpro_v1"
cnpj_views = ["basica"]
[profile.network]
{network}

[[profile]]
id = "conecta"
name = "Conecta de teste"
provider = "conecta"
environment = "homologacao"
base_url = "{base}"
cpf_api = "conecta_light"
cnpj_views = ["empresa"]
clerk_cpf = "000.000.001-91"
[profile.network]
{network}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A CPF the simulator knows, per profile.
fn cpf_of(id: &str) -> &'static str {
    if id == "conecta" { "00000000272" } else { "40442820135" }
}

/// `lookup cpf N` through profile `id` of `config`, with credentials from the environment.
fn lookup(scratch: &Scratch, config: &Path, id: &str) -> Run {
    // One keyring service per scratch folder: the history's key is created on the first lookup, and two tests
    // creating it at once under one name would overwrite each other's.
    let service = format!("br.gov.balcao.test-hostile-{}", scratch.dir().file_name().unwrap().to_string_lossy());
    let data = scratch.path("data");
    let args =
        ["lookup", "--config", config.to_str().unwrap(), "--profile", id, "cpf", cpf_of(id), "--credentials-from-env"];
    let envs = [
        ("BALCAO_CLIENT_ID", "cli-id"),
        ("BALCAO_CLIENT_SECRET", "cli-secret"),
        ("BALCAO_DATA_DIR", data.to_str().unwrap()),
        ("BALCAO_KEYRING_SERVICE", service.as_str()),
    ];
    measured(&args, &envs)
}

/// A lookup whose token answer states this lifetime: it must work (the lifetime is capped), exit 0.
fn lookup_with_token_lifetime(
    tag: &str,
    profile: &str,
    expires_in: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
) {
    let s = Scratch::new(tag);
    let rt = runtime();
    let sim = sim(&rt);
    let config = profiles(&s, &sim.base_url(), "");
    sim.inject(Fault::new(FaultKind::TokenLifetime { expires_in, exp, iat }).on_token_calls());
    let run = lookup(&s, &config, profile);
    assert_ends_well(&run, 0, cpf_of(profile));
    assert!(sim.pending_faults().is_empty(), "the hostile token answer was served");
    rt.block_on(sim.shutdown());
}

#[test]
fn serpro_expires_in_1e20_is_capped_and_the_lookup_works() {
    lookup_with_token_lifetime("exp-1e20", "serpro", Some(json!(1e20)), None, None);
}

#[test]
fn serpro_expires_in_i64_max_is_capped_and_the_lookup_works() {
    lookup_with_token_lifetime("exp-i64max", "serpro", Some(json!(i64::MAX)), None, None);
}

#[test]
fn conecta_jwt_exp_far_in_the_future_is_capped_and_the_lookup_works() {
    // 10^15 s after 1970: some 31 million years from now, far past the year 9999 dates can hold.
    lookup_with_token_lifetime("jwt-far", "conecta", None, Some(json!(1_000_000_000_000_000_i64)), None);
}

#[test]
fn conecta_jwt_exp_minus_iat_overflowing_is_ignored_and_the_lookup_works() {
    lookup_with_token_lifetime("jwt-overflow", "conecta", None, Some(json!(i64::MAX)), Some(json!(-1)));
}

#[test]
fn retry_after_1e20_ends_the_call_with_rate_limited() {
    let s = Scratch::new("retry-after");
    let rt = runtime();
    let sim = sim(&rt);
    let config = profiles(&s, &sim.base_url(), "");
    sim.inject(Fault::new(FaultKind::RetryAfterText { status: 429, value: "1e20".into() }));
    let run = lookup(&s, &config, "serpro");
    assert_ends_well(&run, 15, "RateLimited");
    assert!(run.stdout.contains("pausa"), "{}", run.stdout);
    rt.block_on(sim.shutdown());
}

/// A lookup through a profiles file whose `[profile.network]` has `line`: refused with Config (23), the message
/// naming `field`, before any call.
fn refused_network_knob(tag: &str, line: &str, field: &str) {
    let s = Scratch::new(tag);
    let rt = runtime();
    let sim = sim(&rt);
    let config = profiles(&s, &sim.base_url(), line);
    let run = lookup(&s, &config, "serpro");
    assert_ends_well(&run, 23, field);
    assert!(sim.requests().is_empty(), "nothing was sent");
    rt.block_on(sim.shutdown());
}

#[test]
fn rate_limit_rps_1e_minus_300_is_refused_as_config() {
    refused_network_knob("rps-tiny", "rate_limit_rps = 1e-300", "rateLimitRps");
}

#[test]
fn rate_limit_rps_nan_is_refused_as_config() {
    refused_network_knob("rps-nan", "rate_limit_rps = nan", "rate_limit_rps");
}

#[test]
fn rate_limit_rps_inf_is_refused_as_config() {
    refused_network_knob("rps-inf", "rate_limit_rps = inf", "rate_limit_rps");
}

#[test]
fn max_retries_4294967295_is_refused_as_config() {
    refused_network_knob("max-retries", "max_retries = 4294967295", "maxRetries");
}

#[test]
fn retry_base_ms_4294967295_is_refused_as_config() {
    refused_network_knob("retry-base", "retry_base_ms = 4294967295", "retryBaseMs");
}

#[test]
fn retry_max_delay_ms_4294967295_is_refused_as_config() {
    refused_network_knob("retry-max-delay", "retry_max_delay_ms = 4294967295", "retryMaxDelayMs");
}

#[test]
fn all_retry_knobs_at_4294967295_against_a_failing_gateway_do_not_hang() {
    let s = Scratch::new("retry-all");
    let rt = runtime();
    let sim = sim(&rt);
    let network = "max_retries = 4294967295\nretry_base_ms = 4294967295\nretry_max_delay_ms = 4294967295";
    let config = profiles(&s, &sim.base_url(), network);
    sim.inject(Fault::status(503).times(u32::MAX));
    let run = lookup(&s, &config, "serpro");
    assert_ends_well(&run, 23, "maxRetries");
    rt.block_on(sim.shutdown());
}

#[test]
fn the_largest_retry_knobs_are_bounded_by_the_total_timeout() {
    let s = Scratch::new("retry-total");
    let rt = runtime();
    let sim = sim(&rt);
    let network = "max_retries = 10\nretry_base_ms = 60000\nretry_max_delay_ms = 300000\ntotal_timeout_ms = 2000";
    let config = profiles(&s, &sim.base_url(), network);
    sim.inject(Fault::new(FaultKind::RetryAfterText { status: 503, value: "3".into() }).times(u32::MAX));
    let run = lookup(&s, &config, "serpro");
    // The gateway's 503 is the answer: its Retry-After (3 s) does not fit in the 2 s the call has.
    assert_ends_well(&run, 17, "Upstream");
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    rt.block_on(sim.shutdown());
}

/// The cases that need the encrypted history: inside a D-Bus session with a throw-away keyring.
fn history_session_args(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let input = scratch.path("lista.txt");
    std::fs::write(&input, "404.428.201-35\n").unwrap();
    (input, scratch.path("saida.csv"))
}

/// A run inside the session (its data folder, keyring service and HOME are inherited).
fn run_in_session(args: &[&str]) -> Run {
    measured(args, &[])
}

const PURGE_INSIDE: &str = "BALCAO_CLI_HOSTILE_PURGE_INSIDE";

#[test]
fn history_purge_older_than_5000000_days_removes_nothing_and_does_not_crash() {
    if !in_keyring_session(
        PURGE_INSIDE,
        "history_purge_older_than_5000000_days_removes_nothing_and_does_not_crash",
        "hostile-purge",
    ) {
        return;
    }
    let s = Scratch::new("purge");
    let (input, out) = history_session_args(&s);
    let seeded = run_in_session(&["batch", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(seeded.code, Some(0), "a demo batch fills the history: {}", seeded.stderr);
    let run = run_in_session(&["history", "purge", "--older-than-days", "5000000", "--yes"]);
    assert_ends_well(&run, 0, "0 consulta(s) apagada(s); 1 restante(s)");
}

const REUSE_INSIDE: &str = "BALCAO_CLI_HOSTILE_REUSE_INSIDE";

#[test]
fn batch_reuse_days_99999999_reuses_the_history_and_does_not_crash() {
    if !in_keyring_session(
        REUSE_INSIDE,
        "batch_reuse_days_99999999_reuses_the_history_and_does_not_crash",
        "hostile-reuse",
    ) {
        return;
    }
    let s = Scratch::new("reuse");
    let (input, out) = history_session_args(&s);
    let seeded = run_in_session(&["batch", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(seeded.code, Some(0), "a demo batch fills the history: {}", seeded.stderr);
    // One number from the history, one new (one answered wholly from the history: hostile_batch.rs).
    let more = s.path("lista-maior.txt");
    std::fs::write(&more, "404.428.201-35\n917.086.352-03\n").unwrap();
    let again = s.path("de-novo.csv");
    let run = run_in_session(&[
        "batch",
        more.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--reuse-days",
        "99999999",
    ]);
    assert_ends_well(&run, 0, "1 reaproveitados do histórico");
}
