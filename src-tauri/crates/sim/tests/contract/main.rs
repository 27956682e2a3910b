//! Contract tests: the simulator over real HTTP on loopback, against the reference's documented behaviour.

mod answers;
mod conecta;
mod control;
mod faults;
mod limits;
mod scopes;
mod serpro;

use balcao_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig, SimHandle, Simulator};
use reqwest::{Client, Response};
use serde_json::Value;

/// The public SERPRO trial bearer.
pub const TRIAL: &str = balcao_sim::SERPRO_TRIAL_BEARER;
/// The operator CPF sent as `x-cpf-usuario` (homologation example).
pub const OPERATOR: &str = "00000000191";

/// A simulator with the test surface on (control and request-log routes, CORS), as the contract tests use it.
pub async fn start(config: SimConfig) -> SimHandle {
    start_exactly(config.with_test_routes()).await
}

/// A simulator with `config` as given (the Demonstração default has no control routes and no CORS).
pub async fn start_exactly(config: SimConfig) -> SimHandle {
    Simulator::start(([127, 0, 0, 1], 0).into(), config).await.expect("simulator starts on loopback")
}

pub async fn sim() -> SimHandle {
    start(SimConfig::default()).await
}

/// A client that ignores any proxy set in the environment.
pub fn client() -> Client {
    Client::builder().no_proxy().build().expect("http client")
}

pub fn url(sim: &SimHandle, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

/// `POST /token` with the demo credentials; returns the access token.
pub async fn serpro_token(sim: &SimHandle) -> String {
    client_credentials(sim, "/token").await
}

/// `POST /oauth2/jwt-token` with the demo credentials; returns the JWT.
pub async fn conecta_token(sim: &SimHandle) -> String {
    client_credentials(sim, "/oauth2/jwt-token").await
}

/// A client-credentials grant at `path` (HTTP Basic, form body); returns `access_token`.
async fn client_credentials(sim: &SimHandle, path: &str) -> String {
    let res = client()
        .post(url(sim, path))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token call");
    assert_eq!(res.status(), 200, "{path}");
    let body: Value = res.json().await.expect("token JSON");
    body["access_token"].as_str().expect("access_token").to_owned()
}

/// GET with a bearer token.
pub async fn get(sim: &SimHandle, path: &str, token: &str) -> Response {
    client().get(url(sim, path)).bearer_auth(token).send().await.expect("GET answered")
}

/// GET on Conecta: bearer + `x-cpf-usuario`.
pub async fn conecta_get(sim: &SimHandle, path: &str, token: &str) -> Response {
    client()
        .get(url(sim, path))
        .bearer_auth(token)
        .header("x-cpf-usuario", OPERATOR)
        .send()
        .await
        .expect("GET answered")
}

pub fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub async fn json(res: Response) -> Value {
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
