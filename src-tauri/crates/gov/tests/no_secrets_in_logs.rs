//! Proves that neither the client secret nor an access token reaches the logs: every event of full lookups
//! (token request, 401 refresh, API calls on both gateways, a failure) is captured at TRACE level.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use balcao_core::record::CnpjView;
use balcao_gov::{Credentials, GovClient};
use balcao_sim::SimConfig;
use common::*;
use tracing_subscriber::fmt::MakeWriter;

const SECRET: &str = "s3cr3t-que-nunca-aparece";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn neither_secret_nor_token_is_logged() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .init();

    let creds = vec![("balcao-logs".to_owned(), SECRET.to_owned())];
    let sim =
        sim_with(SimConfig { serpro_credentials: creds.clone(), conecta_credentials: creds, ..SimConfig::default() })
            .await;
    let serpro = GovClient::new(serpro_profile(&sim), Credentials::new("balcao-logs", SECRET)).unwrap();
    serpro.lookup_cpf(&cpf("40442820135")).await.expect("SERPRO CPF");
    sim.expire_tokens();
    serpro.lookup_cnpj(&cnpj("34238864000168"), CnpjView::Empresa).await.expect("refresh then CNPJ");
    let conecta = GovClient::new(conecta_profile(&sim), Credentials::new("balcao-logs", SECRET)).unwrap();
    conecta.lookup_cpf(&cpf("00000000191")).await.expect("CPF Light");
    let wrong = GovClient::new(serpro_profile(&sim), Credentials::new("balcao-logs", "outro-segredo-errado")).unwrap();
    assert!(wrong.lookup_cpf(&cpf("40442820135")).await.is_err());
    let debug = format!("{serpro:?} {conecta:?}");

    let tokens: Vec<String> = api_calls(&sim).into_iter().filter_map(|r| r.token).collect();
    assert!(tokens.len() >= 3, "the simulator saw the bearer tokens: {}", tokens.len());
    sim.shutdown().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("gov call answered"), "the capture works at TRACE: {logs}");
    assert!(logs.contains("access token issued"));
    for secret in [SECRET, "outro-segredo-errado"] {
        assert!(!logs.contains(secret), "secret in logs");
        assert!(!debug.contains(secret), "secret in Debug");
    }
    for token in &tokens {
        assert!(!logs.contains(token.as_str()), "token in logs");
        assert!(!debug.contains(token.as_str()), "token in Debug");
        let jwt_payload = token.split('.').nth(1).unwrap_or(token);
        assert!(!logs.contains(jwt_payload), "JWT payload in logs");
    }
    let basic = base64_of(&format!("balcao-logs:{SECRET}"));
    assert!(!logs.contains(&basic), "HTTP Basic header in logs");
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
