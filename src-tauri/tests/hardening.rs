//! Hardening on Tauri's mock runtime with the real config and capability: only local pages may call commands,
//! only Balcão's own commands are allowed, every command refuses malformed arguments, the idle lock gates data
//! commands (and fails closed before start-up knows the lock), and the CSP stays strict.

use std::sync::Arc;

use balcao_app::{AppState, COMMANDS, LockPolicy};
use balcao_platform::{MemoryStore, SecretStore};
use balcao_service::{Balcao, StartOptions};
use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

const LOCAL: &str = if cfg!(windows) { "http://tauri.localhost" } else { "tauri://localhost" };

fn app() -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    let app = balcao_app::configure(mock_builder()).build(tauri::generate_context!()).expect("builds");
    let w = app.get_webview_window("main").unwrap_or_else(|| {
        tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("main window")
    });
    (app, w)
}

fn options(dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> StartOptions {
    StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets),
    }
}

/// The app with its services started on a temporary folder and keyring (never the user's), as the setup hook does.
fn started_app(
    dir: &std::path::Path,
    secrets: Arc<dyn SecretStore>,
) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>, Arc<Balcao>) {
    let (app, w) = app();
    let b = tauri::async_runtime::block_on(app.state::<AppState>().start_with(|| options(dir, secrets)))
        .expect("services start");
    (app, w, b)
}

fn invoke(w: &tauri::WebviewWindow<MockRuntime>, origin: &str, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap_or(Value::Null))
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

#[test]
fn no_command_runs_for_a_page_from_another_origin() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, services) = started_app(dir.path(), Arc::new(MemoryStore::new()));
    for origin in ["https://evil.example/", "http://localhost:1420/", "https://tauri.localhost.evil.example/"] {
        for cmd in COMMANDS.iter().map(|c| c.name) {
            let e = invoke(&w, origin, cmd, json!({})).expect_err(cmd);
            assert!(text(&e).contains("not allowed"), "{cmd} from {origin}: {e}");
        }
    }
    // The refused lock_now did not run.
    assert!(!services.idle_lock().is_locked());
    // The same call from Balcão's own page runs.
    let ok = invoke(&w, LOCAL, "history_search", json!({"query": {}})).expect("local call");
    assert!(ok["items"].is_array(), "{ok}");
}

#[test]
fn plugin_and_core_commands_are_not_allowed_even_locally() {
    let (_app, w) = app();
    for cmd in [
        "plugin:updater|check",
        "plugin:updater|download_and_install",
        "plugin:event|listen",
        "plugin:webview|create_webview_window",
        "plugin:fs|read_file",
        "plugin:shell|execute",
        "plugin:dialog|open",
        "plugin:dialog|save",
        "plugin:dialog|message",
        "not_a_command",
    ] {
        let e = invoke(&w, LOCAL, cmd, json!({})).expect_err(cmd);
        assert!(text(&e).contains("not allowed") || text(&e).contains("not found"), "{cmd}: {e}");
    }
}

/// Malformed arguments for every command that takes any; commands without arguments ignore the body.
fn bad_arguments(cmd: &str) -> Option<Value> {
    Some(match cmd {
        "ui_ready" => json!({"millis": "soon"}),
        "page_error" => json!({"kind": 1, "message": null, "source": ["x"]}),
        "lookup" => json!({"request": {"input": 40442820135_u64}}),
        "history_search" => json!({"query": {"limit": -1}}),
        "history_get" | "history_previous" => json!({"id": "1; drop table history"}),
        "history_export" => json!({"kind": "everything", "from": null, "to": null}),
        "history_stats" => json!({"days": -7}),
        "compare_records" => json!({"left": {"kind": "cpf"}, "right": 3}),
        "check_declaration" => json!({"record": [], "declared": {}}),
        "find_partner" => json!({"record": {}, "query": ["x"]}),
        "profile_save" => json!({"profile": {"id": 5}}),
        "profile_delete" | "profile_activate" | "profile_test" => json!({"id": {"$ne": null}}),
        "profile_set_credentials" => json!({"id": "p", "clientId": 1, "clientSecret": null}),
        "settings_save" => json!({"settings": {"idleLockMinutes": "never"}}),
        "lock_unlock" => json!({"pin": 1234}),
        "lock_set_pin" => json!({"pin": ["1234"], "current": null}),
        "clerk_sign_in" => json!({"cpf": 11144477735_u64, "pin": "1234"}),
        "clerk_add" => json!({"cpf": "11144477735", "name": 2, "pin": "1234"}),
        "clerk_remove" => json!({"cpf": ["11144477735"]}),
        "clerk_set_pin" => json!({"cpf": "11144477735", "pin": 1234, "current": null}),
        "update_install" => json!({"onProgress": "not a channel"}),
        "batch_choose_file" | "batch_open_dropped" => json!({"reopen": "yes", "options": {}}),
        "batch_refresh" => json!({"options": ["column", 1]}),
        "window_drops" => json!({"onDrop": "not a channel"}),
        "batch_resume" => json!({"retryFailed": "yes"}),
        "batch_follow" => json!({"onProgress": "not a channel"}),
        "bases_offers" => json!({"kind": "rg"}),
        "bases_lookup" => json!({"request": {"baseId": 5, "input": []}}),
        "bases_of_entry" => json!({"id": "1; drop table base_answers"}),
        "profile_set_base_credentials" => json!({"id": "p", "baseId": ["cep"], "clientId": 1, "clientSecret": null}),
        _ => return None,
    })
}

#[test]
fn every_command_with_arguments_refuses_malformed_ones_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, _services) = started_app(dir.path(), Arc::new(MemoryStore::new()));
    for c in COMMANDS {
        let cmd = c.name;
        match (bad_arguments(cmd), c.args.is_empty()) {
            (Some(body), false) => {
                let keys: Vec<&str> =
                    body.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
                assert!(keys.iter().all(|k| c.args.contains(k)), "{cmd} takes {:?}, not {keys:?}", c.args);
                let e = invoke(&w, LOCAL, cmd, body).expect_err(cmd);
                let t = text(&e);
                assert!(t.contains("invalid") || t.contains("missing"), "{cmd}: {t}");
                // A missing argument is refused too.
                if !["lock_unlock", "lock_set_pin"].contains(&cmd) {
                    let e = invoke(&w, LOCAL, cmd, json!({})).expect_err(cmd);
                    assert!(text(&e).contains("missing required key"), "{cmd} without arguments: {e}");
                }
            }
            (None, true) => {}
            (Some(_), true) => panic!("{cmd} takes no arguments from the page: remove it from bad_arguments()"),
            (None, false) => panic!("{cmd} takes {:?}: add malformed ones to bad_arguments()", c.args),
        }
    }
}

#[test]
fn no_file_content_or_path_crosses_the_bridge() {
    // Started and unlocked: the refusals below are the bridge's, not the lock's.
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, _services) = started_app(dir.path(), Arc::new(MemoryStore::new()));
    // The commands that took a file's bytes from the page are gone; the page cannot open a dialog or read a file.
    for cmd in ["batch_preview", "batch_open_saved", "plugin:dialog|open", "plugin:fs|read_file", "plugin:fs|open"] {
        let e = invoke(&w, LOCAL, cmd, json!({"fileName": "l.csv", "bytesBase64": "MQ==", "path": "/etc/passwd"}));
        let e = e.expect_err(cmd);
        assert!(text(&e).contains("not allowed") || text(&e).contains("not found"), "{cmd}: {e}");
    }
    // Re-reading takes no path from the page: a `path` argument is ignored, only the file Rust opened is read.
    let options = json!({"column": null, "hasHeader": null, "reuseMaxAgeDays": null, "ambiguousAs": null,
        "purpose": null, "view": null});
    let e =
        invoke(&w, LOCAL, "batch_refresh", json!({"options": options, "path": "/etc/passwd"})).expect_err("no file");
    assert!(text(&e["message"]).contains("Nenhum arquivo aberto"), "{e}");
    // No dropped file waiting: nothing is opened, whatever the page sends.
    let none =
        invoke(&w, LOCAL, "batch_open_dropped", json!({"reopen": false, "options": options, "path": "/etc/passwd"}));
    assert_eq!(none.expect("nothing to open"), Value::Null);
}

#[test]
fn a_pin_that_is_not_4_to_12_digits_is_refused() {
    assert!(balcao_service::lock::validate_pin("12ab").is_err());
    assert!(balcao_service::lock::validate_pin("4821").is_ok());
}

#[test]
fn while_locked_only_harmless_commands_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, services) = started_app(dir.path(), Arc::new(MemoryStore::new()));
    services.idle_lock().lock();
    let e = invoke(&w, LOCAL, "history_search", json!({"query": {}})).expect_err("locked");
    assert_eq!(e["code"], json!("Unauthorized"), "{e}");
    assert!(text(&e["message"]).contains("bloqueada"), "{e}");
    for cmd in ["history_search", "lookup", "diagnostics", "settings_get", "compare_records"] {
        let e = invoke(&w, LOCAL, cmd, json!({})).expect_err(cmd);
        assert!(text(&e["message"]).contains("bloqueada"), "{cmd}: {e}");
    }
    invoke(&w, LOCAL, "ui_ready", json!({"millis": 12.5})).expect("ui_ready is harmless");
}

#[test]
fn before_start_up_knows_the_lock_data_and_settings_commands_are_refused() {
    // The services have not started (the setup hook has not run): whether a PIN is set is not known yet.
    let (_app, w) = app();
    for (cmd, body) in [
        ("history_search", json!({"query": {}})),
        ("history_export", json!({"kind": "audit"})),
        ("settings_get", json!({})),
        ("profiles_list", json!({})),
        ("profile_activate", json!({"id": "demonstracao"})),
        ("lookup", json!({"request": {"input": "40442820135"}})),
        ("lock_set_pin", json!({"pin": "1234", "current": null})),
    ] {
        let e = invoke(&w, LOCAL, cmd, body).expect_err(cmd);
        assert_eq!(e["code"], json!("Unauthorized"), "{cmd}: {e}");
        assert!(text(&e["message"]).contains("bloqueada"), "{cmd}: {e}");
    }
    // Every command the declaration does not let run while locked is refused by the lock, before its arguments are
    // even read.
    for cmd in COMMANDS.iter().filter(|c| c.while_locked == LockPolicy::Refused).map(|c| c.name) {
        let e = invoke(&w, LOCAL, cmd, json!({})).expect_err(cmd);
        assert!(text(&e["message"]).contains("bloqueada"), "{cmd}: {e}");
    }
}

#[test]
fn after_a_restart_with_a_pin_set_data_commands_are_refused_until_the_pin_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    // An earlier run set the PIN, then the app was closed.
    tauri::async_runtime::block_on(async {
        let earlier = Balcao::start(options(dir.path(), store.clone())).await.unwrap();
        earlier.lock().set_pin(Some("482913".to_owned().into()), None).await.unwrap();
    });
    let (_app, w, _services) = started_app(dir.path(), store);
    for cmd in ["history_search", "settings_get", "history_export"] {
        let body = match cmd {
            "history_search" => json!({"query": {}}),
            "history_export" => json!({"kind": "history"}),
            _ => json!({}),
        };
        let e = invoke(&w, LOCAL, cmd, body).expect_err(cmd);
        assert!(text(&e["message"]).contains("bloqueada"), "{cmd}: {e}");
    }
    let st = invoke(&w, LOCAL, "lock_status", json!({})).expect("lock_status runs while locked");
    assert_eq!(st["locked"], json!(true));
    assert_eq!(st["pinSet"], json!(true));
    let e = invoke(&w, LOCAL, "lock_unlock", json!({"pin": "000000"})).expect_err("wrong PIN");
    assert!(text(&e["message"]).contains("PIN incorreto"), "{e}");
    invoke(&w, LOCAL, "history_search", json!({"query": {}})).expect_err("still locked");
    let st = invoke(&w, LOCAL, "lock_unlock", json!({"pin": "482913"})).expect("right PIN");
    assert_eq!(st["locked"], json!(false));
    let page = invoke(&w, LOCAL, "history_search", json!({"query": {}})).expect("unlocked");
    assert!(page["items"].is_array(), "{page}");
}

#[test]
fn the_capability_lists_exactly_balcaos_commands() {
    let cap: Value = serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
    assert_eq!(cap["local"], json!(true));
    assert_eq!(cap["windows"], json!(["main"]));
    assert!(cap.get("remote").is_none(), "no remote URL may use the capability");
    let mut listed: Vec<String> =
        cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    let mut want: Vec<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.name.replace('_', "-"))).collect();
    listed.sort();
    want.sort();
    assert_eq!(listed, want);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(files, ["main.json"], "one capability only");
}

#[test]
fn the_csp_allows_no_eval_no_inline_script_and_no_remote_host() {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP string");
    for banned in
        ["unsafe-eval", "unsafe-inline", "unsafe-hashes", "wasm-unsafe-eval", "*", "https:", "http:", "data: 'self'"]
    {
        let hit = csp.split(';').flat_map(str::split_whitespace).any(|t| t == banned || t.trim_matches('\'') == banned);
        assert!(!hit, "CSP contains {banned}: {csp}");
    }
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing"))
            .to_owned()
    };
    assert_eq!(directive("script-src"), "script-src 'self'");
    assert_eq!(directive("default-src"), "default-src 'self'");
    assert_eq!(directive("connect-src"), "connect-src ipc: http://ipc.localhost");
    assert_eq!(directive("object-src"), "object-src 'none'");
    assert!(conf["app"]["security"].get("dangerousDisableAssetCspModification").is_none());
    assert!(conf["app"]["withGlobalTauri"].is_null(), "no global __TAURI__ object");
}

#[test]
fn the_version_comes_from_the_workspace_only() {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    assert!(conf.get("version").is_none(), "tauri.conf.json must not set a version: Tauri reads Cargo.toml's");
    let workspace = include_str!("../../Cargo.toml");
    assert!(workspace.contains(&format!("version = \"{}\"", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn the_updater_is_configured_at_run_time_and_safe_by_default() {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let up = &conf["plugins"]["updater"];
    assert_eq!(up["pubkey"], json!(""), "the key is a build input, not in the committed config");
    assert_eq!(up["endpoints"], json!([]), "IT configures the endpoint");
    assert_eq!(up["requireSignedVersion"], json!(true));
    for k in ["dangerousInsecureTransportProtocol", "dangerousAcceptInvalidCerts", "dangerousAcceptInvalidHostnames"] {
        assert!(up.get(k).is_none(), "{k} must stay off");
    }
}

#[test]
fn linux_packages_get_an_ascii_name_and_keep_the_accented_menu_entry() {
    let linux: Value = serde_json::from_str(include_str!("../tauri.linux.conf.json")).unwrap();
    let name = linux["productName"].as_str().unwrap();
    assert!(name.bytes().all(|b| b.is_ascii_alphanumeric()), "dpkg and rpm refuse {name:?} as a package name");
    let desktop = include_str!("../linux/balcao.desktop");
    assert!(desktop.contains("Name=Balcão") && desktop.contains("Exec={{exec}}"), "{desktop}");
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    assert_eq!(conf["productName"], json!("Balcão"));
    assert_eq!(conf["bundle"]["windows"]["nsis"]["installMode"], json!("perMachine"));
    assert_eq!(conf["bundle"]["windows"]["webviewInstallMode"]["type"], json!("offlineInstaller"));
    assert_eq!(conf["bundle"]["macOS"]["hardenedRuntime"], json!(true));
    assert_eq!(conf["bundle"]["createUpdaterArtifacts"], json!(true));
}
