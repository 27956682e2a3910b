//! `balcao-cli sim`: the real binary prints its address, serves the trial with the public bearer, honours
//! `--config`, and stops cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const TRIAL_BEARER: &str = "06aef429-a981-3ec5-a1f8-71d38d86481e";

/// The running `balcao-cli sim`, killed if a test fails before stopping it.
struct Sim {
    child: Child,
    base: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(extra: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(["sim", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balcao-cli starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("first stdout line");
    let base = line.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "first line is the address, got {line:?}");
    Sim { child, base }
}

/// A minimal HTTP/1.1 GET (the test needs no HTTP client crate): status code and body.
fn http_get(base: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    let authority = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).expect("connect to the simulator");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let auth = bearer.map(|b| format!("Authorization: Bearer {b}\r\n")).unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{auth}Accept: application/json\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP head and body");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, body.to_owned())
}

fn interrupt(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
}

fn wait_with_deadline(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn serves_a_trial_cpf_and_cnpj_with_the_public_bearer_then_stops_on_ctrl_c() {
    let mut sim = spawn(&[]);
    let (status, body) = http_get(&sim.base, "/consulta-cpf-df-trial/v1/cpf/40442820135", Some(TRIAL_BEARER));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"ni":"40442820135","nome":"Nome do CPF 404.428.201-35","situacao":{"codigo":"0","descricao":"Regular"}}"#
    );
    let (status, body) = http_get(&sim.base, "/consulta-cnpj-df-trial/v2/empresa/34238864000168", Some(TRIAL_BEARER));
    assert_eq!(status, 200);
    assert!(body.contains(r#""ni":"34238864000168""#), "{body}");
    assert!(body.contains(r#""cpf":"07119488449""#), "empresa carries partner CPFs: {body}");
    let (status, _) = http_get(&sim.base, "/consulta-cpf-df-trial/v1/cpf/40442820135", None);
    assert_eq!(status, 401);
    let (status, log) = http_get(&sim.base, "/__sim/requests", None);
    assert_eq!(status, 200);
    assert_eq!(log.matches("\"kind\":\"api\"").count(), 3);

    interrupt(&sim.child);
    let exit = wait_with_deadline(&mut sim.child, Duration::from_secs(10)).expect("the simulator stops on SIGINT");
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    sim.child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr text");
    assert!(stderr.contains("Simulador encerrado."), "{stderr}");
}

#[test]
fn honours_a_toml_config_file() {
    let dir = std::env::temp_dir().join(format!("balcao-cli-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sim.toml");
    std::fs::write(&file, "quota = 1\n[[faults]]\nkind = \"status\"\nstatus = 503\n").expect("config written");
    let sim = spawn(&["--config", file.to_str().expect("utf-8 path")]);
    let path = "/consulta-cpf-df-trial/v1/cpf/40442820135";
    assert_eq!(http_get(&sim.base, path, Some(TRIAL_BEARER)).0, 503, "the configured fault");
    assert_eq!(http_get(&sim.base, path, Some(TRIAL_BEARER)).0, 200);
    assert_eq!(http_get(&sim.base, path, Some(TRIAL_BEARER)).0, 429, "quota = 1");
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_config_file_is_refused_with_a_message() {
    let dir = std::env::temp_dir().join(format!("balcao-cli-sim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sim.json");
    std::fs::write(&file, r#"{"quota": "many"}"#).expect("config written");
    let out = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(["sim", "--addr", "127.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .expect("balcao-cli runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("configuração"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
