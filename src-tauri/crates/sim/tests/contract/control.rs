//! The `/__sim/*` control endpoints and the request log, as end-to-end tests in other languages use them.

use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn a_fresh_simulator_has_seen_no_call_at_all() {
    let sim = sim().await;
    let res = client().get(url(&sim, "/__sim/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let health = json(res).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["requests"], 0);
    let log = json(client().get(url(&sim, "/__sim/requests")).send().await.unwrap()).await;
    assert_eq!(log, json!([]));
    assert!(sim.requests().is_empty(), "control calls are not logged");
}

#[tokio::test]
async fn the_log_shows_exactly_one_token_call_and_the_token_used() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    for cpf in ["40442820135", "63017285995", "12345678909"] {
        get(&sim, &format!("/consulta-cpf-df/v1/cpf/{cpf}?x=1"), &token).await;
    }
    let log = sim.requests();
    assert_eq!(log.iter().filter(|r| r.is_token_call()).count(), 1);
    let token_call = &log[0];
    assert_eq!((token_call.method.as_str(), token_call.path.as_str()), ("POST", "/token"));
    assert_eq!(token_call.token.as_deref(), Some(balcao_sim::DEMO_CLIENT_ID));
    let api: Vec<_> = log.iter().filter(|r| r.is_api_call()).collect();
    assert_eq!(api.iter().map(|r| r.status).collect::<Vec<_>>(), vec![200, 200, 404]);
    assert!(api.iter().all(|r| r.token.as_deref() == Some(token.as_str())));
    assert_eq!(api[0].query.as_deref(), Some("x=1"));
    assert!(api.windows(2).all(|w| w[0].at <= w[1].at));

    // The same log over HTTP, snake_case JSON.
    let over_http = json(client().get(url(&sim, "/__sim/requests")).send().await.unwrap()).await;
    let entries = over_http.as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[1]["path"], "/consulta-cpf-df/v1/cpf/40442820135");
    assert_eq!(entries[1]["kind"], "api");
    assert_eq!(entries[1]["status"], 200);
    assert_eq!(entries[1]["cpf_usuario"], Value::Null);
    assert!(entries[1]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entries[0]["kind"], "token");

    // Each entry's activity id is the one the response carried.
    let res = get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &token).await;
    let activity = header(&res, "activityid").to_owned();
    assert_eq!(sim.requests().last().unwrap().activity_id, activity);

    let res = client().delete(url(&sim, "/__sim/requests")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(sim.requests().is_empty());
    sim.clear_requests();
}

#[tokio::test]
async fn faults_over_http() {
    let sim = sim().await;
    let c = client();
    let res = c
        .post(url(&sim, "/__sim/faults"))
        .json(&json!({"kind": "status", "status": 500, "times": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(json(res).await, json!({"queued": 1, "pending": 1}));
    let many = json!([{"kind": "latency", "ms": 1}, {"kind": "reset", "scope": "token"}, {"kind": "html_error"}]);
    let res = c.post(url(&sim, "/__sim/faults")).json(&many).send().await.unwrap();
    assert_eq!(json(res).await, json!({"queued": 3, "pending": 4}));
    let pending = json(c.get(url(&sim, "/__sim/faults")).send().await.unwrap()).await;
    assert_eq!(pending[0], json!({"kind": "status", "status": 500, "times": 2, "scope": "api"}));
    assert_eq!(pending[3]["status"], 502);

    for bad in
        [json!({"kind": "explode"}), json!({"kind": "status"}), json!({"kind": "status", "status": 42}), json!(7)]
    {
        let res = c.post(url(&sim, "/__sim/faults")).json(&bad).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert!(json(res).await["error"].is_string());
    }
    let res = c.post(url(&sim, "/__sim/faults")).body("not json").send().await.unwrap();
    assert_eq!(res.status(), 400);

    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await.status(), 500);
    assert_eq!(c.delete(url(&sim, "/__sim/faults")).send().await.unwrap().status(), 204);
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await.status(), 200);
    assert!(sim.pending_faults().is_empty());
}

#[tokio::test]
async fn expire_tokens_usage_and_reset_over_http() {
    let sim = sim().await;
    let c = client();
    let token = serpro_token(&sim).await;
    let path = "/consulta-cpf-df/v1/cpf/40442820135";
    assert_eq!(get(&sim, path, &token).await.status(), 200);
    let usage = json(c.get(url(&sim, "/__sim/usage")).send().await.unwrap()).await;
    assert_eq!(usage, json!({"consulta-cpf-df/v1": 1}));
    assert_eq!(c.post(url(&sim, "/__sim/expire-tokens")).send().await.unwrap().status(), 204);
    assert_eq!(get(&sim, path, &token).await.status(), 401);

    // Reset: no tokens, no counters, no log; the changing record starts over.
    get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    let fresh = serpro_token(&sim).await;
    let first = json(get(&sim, "/consulta-cpf-df/v1/cpf/11144477735", &fresh).await).await;
    assert_eq!(c.post(url(&sim, "/__sim/reset")).send().await.unwrap().status(), 204);
    assert!(sim.requests().is_empty() && sim.usage().is_empty());
    assert_eq!(get(&sim, path, &fresh).await.status(), 401);
    let again = serpro_token(&sim).await;
    assert_eq!(json(get(&sim, "/consulta-cpf-df/v1/cpf/11144477735", &again).await).await, first);
}

#[tokio::test]
async fn preflight_and_shutdown() {
    let sim = sim().await;
    let res = client().request(reqwest::Method::OPTIONS, url(&sim, "/token")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "access-control-allow-origin"), "*");
    assert!(header(&res, "access-control-allow-methods").contains("POST"));
    assert!(sim.requests().is_empty(), "preflights are not logged");
    let base = sim.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(base, format!("http://{}", sim.addr()));
    let clone = sim.clone();
    sim.shutdown().await;
    assert!(client().get(format!("{base}/__sim/health")).send().await.is_err(), "the port is closed");
    clone.shutdown().await;
}

#[tokio::test]
async fn the_demo_default_serves_no_control_routes_and_no_cors_to_other_local_clients() {
    let sim = start_exactly(SimConfig::default()).await;
    let c = client();
    for (method, path) in [
        ("GET", "/__sim/requests"),
        ("DELETE", "/__sim/requests"),
        ("GET", "/__sim/health"),
        ("POST", "/__sim/faults"),
        ("POST", "/__sim/expire-tokens"),
        ("GET", "/__sim/usage"),
        ("POST", "/__sim/reset"),
        ("GET", "/__sim"),
    ] {
        let req = c.request(method.parse().unwrap(), url(&sim, path)).header("origin", "https://evil.example");
        let res = req.body(r#"{"kind":"status","status":503,"times":5}"#).send().await.unwrap();
        assert_eq!(res.status(), 404, "{method} {path}");
        assert!(res.headers().keys().all(|k| !k.as_str().starts_with("access-control-")), "{method} {path}");
    }
    assert!(sim.pending_faults().is_empty(), "no fault was queued");
    // Gateway answers and preflights carry no CORS header either: a web page cannot read them.
    let res = c.get(url(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135")).bearer_auth(TRIAL);
    let res = res.header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().keys().all(|k| !k.as_str().starts_with("access-control-")), "{:?}", res.headers());
    let res = c.request(reqwest::Method::OPTIONS, url(&sim, "/token")).send().await.unwrap();
    assert!(res.headers().keys().all(|k| !k.as_str().starts_with("access-control-")), "{:?}", res.headers());
    assert!(sim.requests().iter().all(|r| !r.path.starts_with("/__sim")), "control paths are never logged");
    // The same server with the test surface on answers them.
    let on = start(SimConfig::default()).await;
    assert_eq!(c.get(url(&on, "/__sim/requests")).send().await.unwrap().status(), 200);
}
