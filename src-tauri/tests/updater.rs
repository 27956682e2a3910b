//! The updater against a local update server on loopback (Tauri's mock runtime, nothing installed): a valid signed
//! update is found, downloaded and verified; a tampered artifact, another key's signature, a URL where the
//! signature belongs, a signature for another version and an older version are each refused in pt-BR.

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use balcao_app::updater::{self, TEST_PUBKEY, UpdateSource};
use balcao_core::ErrorCode;
use balcao_core::lock_api::UpdateState;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tauri::Url;
use tauri::test::{MockRuntime, mock_builder};

/// The test key pair's private half, as `tauri signer generate --password ''` wrote it.
const TEST_PRIVATE_KEY: &str = include_str!("../keys/balcao-updater-TEST-ONLY.key");

/// What the loopback server serves: file name → (manifest JSON or artifact bytes).
#[derive(Clone, Default)]
struct Files(Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>);

impl Files {
    fn put(&self, name: &str, body: impl Into<Vec<u8>>) {
        self.0.lock().unwrap().insert(name.to_owned(), body.into());
    }
}

async fn serve_file(State(files): State<Files>, Path(name): Path<String>) -> impl IntoResponse {
    match files.0.lock().unwrap().get(&name) {
        Some(b) => (StatusCode::OK, b.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

struct Server {
    addr: SocketAddr,
    files: Files,
    _task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start() -> Self {
        let files = Files::default();
        let app = Router::new().route("/{name}", get(serve_file)).with_state(files.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, files, _task: task }
    }

    fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    fn source(&self, manifest: &str) -> UpdateSource {
        UpdateSource {
            endpoints: vec![Url::parse(&self.url(manifest)).unwrap()],
            pubkey: TEST_PUBKEY.trim().to_owned(),
            check_on_start: true,
            origin: "teste".into(),
        }
    }

    /// Publishes a release: the manifest `name` announcing `version`, pointing at `artifact` with `signature`.
    fn publish(&self, name: &str, version: &str, artifact: &str, signature: &str) {
        let manifest = serde_json::json!({
            "version": version,
            "notes": "Correções para o atendimento.",
            "pub_date": "2026-11-20T12:00:00Z",
            "url": self.url(artifact),
            "signature": signature,
        });
        self.files.put(name, manifest.to_string());
    }
}

/// A minisign secret key from a `tauri signer` key file (base64 of the minisign text, empty password).
fn test_secret_key() -> minisign::SecretKey {
    let text = String::from_utf8(B64.decode(TEST_PRIVATE_KEY.trim()).unwrap()).unwrap();
    minisign::SecretKeyBox::from_string(&text).unwrap().into_secret_key(Some(String::new())).unwrap()
}

/// Signs like `tauri build` does: the `.sig` file's content is base64 of the minisign signature text, and the
/// trusted comment names the version the artifact was built for.
fn sign(sk: &minisign::SecretKey, data: &[u8], version: &str) -> String {
    let trusted = format!("timestamp:1763640000\tfile:balcao_{version}_amd64.deb\tversion:{version}");
    let sig =
        minisign::sign(None, sk, Cursor::new(data), Some(&trusted), Some("signature from tauri secret key")).unwrap();
    B64.encode(sig.into_string())
}

fn app() -> tauri::App<MockRuntime> {
    balcao_app::configure(mock_builder())
        .build(tauri::generate_context!())
        .expect("the shell builds on the mock runtime")
}

const ARTIFACT: &[u8] = b"!<arch>\ndebian-binary   a stand-in for balcao_9.9.9_amd64.deb, never installed";

#[tokio::test]
async fn a_valid_signed_update_is_found_downloaded_and_verified() {
    let server = Server::start().await;
    let app = app();
    server.files.put("balcao.deb", ARTIFACT);
    server.publish("latest.json", "9.9.9", "balcao.deb", &sign(&test_secret_key(), ARTIFACT, "9.9.9"));

    let (info, update) = updater::check(app.handle(), &server.source("latest.json")).await.expect("check");
    assert_eq!(info.state, UpdateState::Available);
    assert_eq!(info.current_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.offered_version.as_deref(), Some("9.9.9"));
    assert_eq!(info.notes.as_deref(), Some("Correções para o atendimento."));
    assert!(info.date.as_deref().is_some_and(|d| d.starts_with("2026-11-20")));
    assert!(info.message.contains("9.9.9"), "{}", info.message);

    let mut seen = Vec::new();
    let bytes = updater::download(&update.expect("an update to download"), |p| seen.push(p)).await.expect("verified");
    assert_eq!(bytes, ARTIFACT);
    assert_eq!(seen.last().map(|p| p.downloaded), Some(ARTIFACT.len() as u64));
}

#[tokio::test]
async fn a_tampered_artifact_is_refused() {
    let server = Server::start().await;
    let app = app();
    let mut tampered = ARTIFACT.to_vec();
    tampered[20] ^= 0x20;
    server.files.put("balcao.deb", tampered);
    server.publish("latest.json", "9.9.9", "balcao.deb", &sign(&test_secret_key(), ARTIFACT, "9.9.9"));
    let e = download_error(&app, &server).await;
    assert_eq!(e.code, ErrorCode::Upstream);
    assert!(e.message.contains("assinatura da atualização não confere"), "{}", e.message);
    assert!(e.message.contains("Nada foi instalado"), "{}", e.message);
}

#[tokio::test]
async fn a_signature_from_another_key_is_refused() {
    let server = Server::start().await;
    let app = app();
    let other = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    server.files.put("balcao.deb", ARTIFACT);
    server.publish("latest.json", "9.9.9", "balcao.deb", &sign(&other.sk, ARTIFACT, "9.9.9"));
    let e = download_error(&app, &server).await;
    assert_eq!(e.code, ErrorCode::Upstream);
    assert!(e.message.contains("assinado por outra chave"), "{}", e.message);
}

#[tokio::test]
async fn a_url_pasted_where_the_signature_belongs_is_refused() {
    let server = Server::start().await;
    let app = app();
    server.files.put("balcao.deb", ARTIFACT);
    server.files.put("balcao.deb.sig", sign(&test_secret_key(), ARTIFACT, "9.9.9"));
    let sig_url = server.url("balcao.deb.sig");
    server.publish("latest.json", "9.9.9", "balcao.deb", &sig_url);
    let e = download_error(&app, &server).await;
    assert_eq!(e.code, ErrorCode::Upstream);
    assert!(e.message.contains("não um endereço"), "{}", e.message);
}

#[tokio::test]
async fn a_signature_made_for_another_version_is_refused() {
    let server = Server::start().await;
    let app = app();
    server.files.put("balcao.deb", ARTIFACT);
    // A genuine, validly signed older package announced as a newer version.
    server.publish("latest.json", "9.9.9", "balcao.deb", &sign(&test_secret_key(), ARTIFACT, "0.0.1"));
    let e = download_error(&app, &server).await;
    assert!(e.message.contains("anunciou a versão 9.9.9") && e.message.contains("0.0.1"), "{}", e.message);
}

#[tokio::test]
async fn an_older_or_equal_version_is_not_offered() {
    let server = Server::start().await;
    let app = app();
    server.files.put("balcao.deb", ARTIFACT);
    server.publish("older.json", "0.0.9", "balcao.deb", &sign(&test_secret_key(), ARTIFACT, "0.0.9"));
    let (info, update) = updater::check(app.handle(), &server.source("older.json")).await.expect("check");
    assert!(update.is_none(), "nothing to download");
    assert_eq!(info.state, UpdateState::UpToDate);
    assert_eq!(info.offered_version.as_deref(), Some("0.0.9"));
    assert!(info.message.contains("não é mais nova") && info.message.contains("não é permitido"), "{}", info.message);

    let current = env!("CARGO_PKG_VERSION");
    server.publish("same.json", current, "balcao.deb", &sign(&test_secret_key(), ARTIFACT, current));
    let (info, update) = updater::check(app.handle(), &server.source("same.json")).await.expect("check");
    assert!(update.is_none());
    assert!(info.message.contains("está atualizado"), "{}", info.message);
}

#[tokio::test]
async fn an_unreachable_or_broken_server_is_explained() {
    let server = Server::start().await;
    let app = app();
    server.files.put("broken.json", "<html>proxy login</html>");
    let e = updater::check(app.handle(), &server.source("broken.json")).await.err().expect("a broken manifest fails");
    assert_eq!(e.code, ErrorCode::Upstream, "{}", e.message);
    assert!(e.message.contains("descrição de versão válida"), "{}", e.message);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut source = server.source("latest.json");
    source.endpoints = vec![Url::parse(&format!("http://{closed}/latest.json")).unwrap()];
    let e = updater::check(app.handle(), &source).await.err().expect("a closed port fails");
    assert_eq!(e.code, ErrorCode::Network, "{}", e.message);
    assert!(e.message.contains("Não foi possível conectar"), "{}", e.message);
}

async fn download_error(app: &tauri::App<MockRuntime>, server: &Server) -> balcao_core::AppError {
    let (info, update) =
        updater::check(app.handle(), &server.source("latest.json")).await.expect("the check itself works");
    assert_eq!(info.state, UpdateState::Available);
    updater::download(&update.unwrap(), |_| {}).await.expect_err("the download must be refused")
}

/// The check goes through the system proxy (here `http_proxy`, as a Linux desktop or IT sets it): the endpoint's
/// host does not even resolve, so only the proxy can answer. The proxy setting is per process, so the test runs
/// its own binary again with the variable set.
#[tokio::test]
async fn the_check_goes_through_the_system_proxy() {
    const CHILD: &str = "BALCAO_TEST_PROXY_CHILD";
    const UNRESOLVABLE: &str = "http://updates.balcao.invalid/latest.json";
    if std::env::var_os(CHILD).is_some() {
        let app = app();
        let source = UpdateSource {
            endpoints: vec![Url::parse(UNRESOLVABLE).unwrap()],
            pubkey: TEST_PUBKEY.trim().to_owned(),
            check_on_start: true,
            origin: "teste".into(),
        };
        let (info, _) = updater::check(app.handle(), &source).await.expect("answered through the proxy");
        assert_eq!(info.offered_version.as_deref(), Some("9.9.9"));
        return;
    }
    // The parent: a loopback "proxy" that answers any absolute-form request and remembers the hosts asked for.
    let hosts: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = hosts.clone();
    let manifest = serde_json::json!({
        "version": "9.9.9", "url": "http://updates.balcao.invalid/balcao.deb",
        "signature": sign(&test_secret_key(), ARTIFACT, "9.9.9"),
    })
    .to_string();
    let proxy = Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        let manifest = manifest.clone();
        async move {
            seen.lock().unwrap().push(req.uri().host().unwrap_or("").to_owned());
            manifest
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    let exe = std::env::current_exe().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(["--exact", "the_check_goes_through_the_system_proxy", "--nocapture"])
            .env(CHILD, "1")
            .env("http_proxy", format!("http://{addr}"))
            .env("HTTP_PROXY", format!("http://{addr}"))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the proxied check failed:\n{log}");
    assert!(log.contains("1 passed"), "the child ran the check:\n{log}");
    assert_eq!(hosts.lock().unwrap().as_slice(), ["updates.balcao.invalid"]);
}
