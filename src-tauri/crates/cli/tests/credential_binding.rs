//! `balcao-cli lookup` with credentials from the real keyring (Secret Service in its own D-Bus session): once the
//! profiles file points the profile at another gateway origin, the stored secret is not sent there.

mod common;

use std::path::Path;
use std::process::Command;

use balcao_platform::{KeyringStore, SecretStore};
use balcao_service::gov_config::{
    CredentialBinding, CredentialScope, Credentials, load_profiles_toml, store_credentials,
};
use balcao_sim::{SimConfig, SimHandle, Simulator};
use common::{Scratch, in_keyring_session};
use serde_json::Value;

const INSIDE: &str = "BALCAO_TEST_BINDING_INSIDE";

fn profiles(base: &str) -> String {
    format!(
        "[[profile]]\nid = \"serpro-prod\"\nname = \"SERPRO\"\nprovider = \"serpro\"\nenvironment = \"producao\"\n\
         base_url = \"{base}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n"
    )
}

/// Stores the demo pair in the keyring, bound to the profile as `file` describes it.
fn enter_credentials(file: &str) {
    let profile = load_profiles_toml(file).expect("profiles file").remove(0);
    let binding = CredentialBinding::for_profile(&profile, CredentialScope::AllApis).expect("binding");
    store_credentials(&KeyringStore::new(), &binding, &Credentials::demo()).expect("stored in the keyring");
}

fn lookup(config: &Path) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(["lookup", "--config"])
        .arg(config)
        .args(["--profile", "serpro-prod", "cpf", "40442820135"])
        .output()
        .expect("balcao-cli runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    (out.status.code().expect("exit status"), json)
}

fn start(rt: &tokio::runtime::Runtime) -> SimHandle {
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default())).expect("simulator")
}

#[test]
fn cli_lookup_refuses_keyring_credentials_for_another_origin_and_sends_nothing_there() {
    if !in_keyring_session(
        INSIDE,
        "cli_lookup_refuses_keyring_credentials_for_another_origin_and_sends_nothing_there",
        "binding",
    ) {
        return;
    }
    let s = Scratch::new("binding");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (old, new) = (start(&rt), start(&rt));
    let config = s.path("profiles.toml");

    std::fs::write(&config, profiles(&old.base_url())).unwrap();
    enter_credentials(&profiles(&old.base_url()));
    let (code, json) = lookup(&config);
    assert_eq!(code, 0, "at the address it was entered for: {json}");

    std::fs::write(&config, profiles(&new.base_url())).unwrap();
    let (code, json) = lookup(&config);
    assert_eq!((code, json["error"]["code"].as_str()), (23, Some("Config")), "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("informe de novo") && message.contains("não foi enviado"), "{message}");
    assert!(new.requests().is_empty(), "no request at all at the new address: {:?}", new.requests());
    let secret = KeyringStore::new()
        .get(&balcao_service::gov_config::client_secret_key("serpro-prod"))
        .expect("keyring answers");
    assert!(secret.is_some(), "refused, not deleted");

    enter_credentials(&profiles(&new.base_url()));
    let (code, json) = lookup(&config);
    assert_eq!(code, 0, "entered again for the new address: {json}");
    assert!(new.requests().iter().any(|r| r.is_token_call()));
}
