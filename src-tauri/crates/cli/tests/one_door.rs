//! `balcao-cli lookup` goes through the same door as the window (issue #14): one audit line and one more on the quota
//! per lookup, the agency's purpose rule, and no call at all when the history cannot be opened (exit 22). The real
//! binary, a simulated SERPRO gateway over loopback, the history in a real SQLCipher file keyed from a real Secret
//! Service (each test in its own D-Bus session).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use balcao_core::history_api::{AuditEvent, AuditOrigin};
use balcao_core::record::ApiKind;
use balcao_history::History;
use balcao_platform::KeyringStore;
use balcao_sim::{LoggedRequest, SimConfig, SimHandle, Simulator};
use common::{Scratch, in_keyring_session};
use serde_json::Value;

const INSIDE: &str = "BALCAO_CLI_ONE_DOOR_INSIDE";

fn data_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("BALCAO_DATA_DIR").expect("the session redirects the data dir"))
}

fn cli(args: &[&str]) -> (i32, Value) {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .arg("lookup")
        .args(args)
        .env("BALCAO_CLIENT_ID", "cli-id")
        .env("BALCAO_CLIENT_SECRET", "cli-secret")
        .output()
        .expect("balcao-cli runs");
    let text = String::from_utf8(stdout).expect("UTF-8 stdout");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text}\nstderr: {}", String::from_utf8_lossy(&stderr)));
    (status.code().expect("exit status"), json)
}

/// A SERPRO gateway that takes the pair the CLI reads from the environment, and the runtime that serves it.
fn serpro_sim() -> (tokio::runtime::Runtime, SimHandle) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let sim = rt
        .block_on(Simulator::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig { serpro_credentials: creds, ..SimConfig::default() },
        ))
        .expect("simulator");
    (rt, sim)
}

fn profiles(s: &Scratch, base: &str) -> String {
    let path = s.path("profiles.toml");
    let text = format!(
        "[[profile]]\nid = \"serpro-hom\"\nname = \"SERPRO homologação\"\nprovider = \"serpro\"\n\
         environment = \"homologacao\"\nbase_url = \"{base}\"\ncpf_api = \"serpro_v2\"\ncnpj_views = [\"basica\"]\n"
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn api_calls(sim: &SimHandle) -> Vec<LoggedRequest> {
    sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect()
}

fn write_settings(dir: &Path, json: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("settings.json"), json).unwrap();
}

/// The audit trail's lookup lines and the profile's counted SERPRO CPF calls, read from the real history.
fn audited(profile: &str) -> (Vec<balcao_core::history_api::AuditEntry>, u64) {
    let h = History::open(&data_dir(), &KeyringStore::new()).expect("the history opens");
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    let lookups = audit.into_iter().filter(|a| a.event == AuditEvent::Lookup).collect();
    (lookups, h.quota_for(profile, ApiKind::SerproCpfV2).unwrap().used_total)
}

#[test]
fn cli_lookup_writes_one_audit_line_and_counts_the_quota() {
    if !in_keyring_session(INSIDE, "cli_lookup_writes_one_audit_line_and_counts_the_quota", "one-door-audit") {
        return;
    }
    let s = Scratch::new("one-door-audit");
    let (rt, sim) = serpro_sim();
    let config = profiles(&s, &sim.base_url());
    let (code, json) = cli(&["--config", &config, "--credentials-from-env", "cpf", "40442820135"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(api_calls(&sim).len(), 1);
    let (lookups, used) = audited("serpro-hom");
    assert_eq!(lookups.len(), 1, "one audit line for one lookup: {lookups:?}");
    let line = &lookups[0];
    assert_eq!(line.origin, Some(AuditOrigin::Cli));
    assert_eq!(line.profile_id.as_deref(), Some("serpro-hom"));
    assert_eq!(line.api, Some(ApiKind::SerproCpfV2));
    assert!(line.billable && line.recorded, "{line:?}");
    assert_eq!(used, 1, "the quota counts the lookup");

    // A second run starts its client from the counter kept in the history, and adds its own call to it.
    let (code, json) = cli(&["--config", &config, "--credentials-from-env", "cpf", "40442820135"]);
    assert_eq!(code, 0, "{json}");
    let (lookups, used) = audited("serpro-hom");
    assert_eq!((lookups.len(), used), (2, 2));
    rt.block_on(sim.shutdown());
}

#[test]
fn cli_lookup_sends_nothing_and_exits_22_when_the_history_cannot_be_opened() {
    if !in_keyring_session(
        INSIDE,
        "cli_lookup_sends_nothing_and_exits_22_when_the_history_cannot_be_opened",
        "one-door-locked",
    ) {
        return;
    }
    let s = Scratch::new("one-door-locked");
    let (rt, sim) = serpro_sim();
    let config = profiles(&s, &sim.base_url());
    // A history file whose key is not in this user's keyring: it cannot be opened, so no lookup may be made.
    std::fs::create_dir_all(data_dir()).unwrap();
    std::fs::write(History::path_in(&data_dir()), b"not a database this keyring can open").unwrap();
    for args in
        [vec!["--config", config.as_str(), "--credentials-from-env", "cpf", "40442820135"], vec!["cpf", "40442820135"]]
    {
        let (code, json) = cli(&args);
        assert_eq!(code, 22, "{args:?}: {json}");
        assert_eq!(json["error"]["code"], "HistoryLocked", "{json}");
        common::assert_pt_br(json["error"]["message"].as_str().unwrap_or_default());
    }
    assert!(sim.requests().is_empty(), "no request reached the gateway: {:?}", sim.requests());
    rt.block_on(sim.shutdown());
}

#[test]
fn cli_lookup_refuses_without_the_purpose_the_agency_requires() {
    if !in_keyring_session(INSIDE, "cli_lookup_refuses_without_the_purpose_the_agency_requires", "one-door-purpose") {
        return;
    }
    let s = Scratch::new("one-door-purpose");
    let (rt, sim) = serpro_sim();
    let config = profiles(&s, &sim.base_url());
    write_settings(&data_dir(), r#"{"settings":{"purposeRequired":true}}"#);
    for purpose in [None, Some("   ")] {
        let mut args = vec!["--config", config.as_str(), "--credentials-from-env"];
        if let Some(p) = purpose {
            args.extend(["--purpose", p]);
        }
        args.extend(["cpf", "40442820135"]);
        let (code, json) = cli(&args);
        assert_eq!(code, 24, "{purpose:?}: {json}");
        assert_eq!(json["error"]["code"], "PurposeRequired");
        common::assert_pt_br(json["error"]["message"].as_str().unwrap_or_default());
    }
    assert!(api_calls(&sim).is_empty(), "refused before any call");
    let (code, json) =
        cli(&["--config", &config, "--credentials-from-env", "--purpose", "Protocolo 2026/123", "cpf", "40442820135"]);
    assert_eq!(code, 0, "{json}");
    let (lookups, _) = audited("serpro-hom");
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(lookups[0].purpose.as_deref(), Some("Protocolo 2026/123"), "the purpose is in the audit");
    rt.block_on(sim.shutdown());
}
