//! HTTP throughput and per-lookup overhead: `GovClient` (criterion bench `balcao-gov/client`) against `wrk` on the
//! same simulator endpoint and concurrency, alternated, the simulator standalone in its own process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::procs;
use crate::e2e::free_port;
use crate::sh::{self, Result};

/// The endpoint both load generators use: SERPRO trial Consulta CPF v1 (fixed public bearer, no token call).
pub const PATH: &str = "/consulta-cpf-df-trial/v1/cpf/40442820135";
pub const TRIAL_BEARER: &str = "06aef429-a981-3ec5-a1f8-71d38d86481e";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Wrk,
    /// `GovClient::lookup_cpf`: token manager, quota, retries policy, JSON parse and normalization.
    Client,
    /// A bare reqwest GET with the same headers, body read (the HTTP stack the client is built on).
    Reqwest,
}

impl Tool {
    pub fn label(self) -> &'static str {
        match self {
            Tool::Wrk => "wrk",
            Tool::Client => "GovClient",
            Tool::Reqwest => "bare reqwest",
        }
    }
}

/// One timed run: lookups (requests) per second at `concurrency`.
#[derive(Debug, Clone)]
pub struct Sample {
    pub tool: Tool,
    pub concurrency: usize,
    pub per_sec: f64,
}

#[derive(Debug, Default)]
pub struct HttpRuns {
    pub concurrencies: Vec<usize>,
    pub secs: u64,
    pub samples: Vec<Sample>,
}

impl HttpRuns {
    pub fn of(&self, tool: Tool, concurrency: usize) -> Vec<f64> {
        self.samples.iter().filter(|s| s.tool == tool && s.concurrency == concurrency).map(|s| s.per_sec).collect()
    }
}

/// Where the pieces are.
#[derive(Debug)]
pub struct Setup {
    pub cli: PathBuf,
    pub bench_exe: PathBuf,
    pub criterion_home: PathBuf,
}

/// The gov bench executable, built (release profile) if needed.
pub fn build_bench() -> Result<PathBuf> {
    let out = sh::cargo()
        .args([
            "bench",
            "-p",
            "balcao-gov",
            "--bench",
            "client",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo bench --no-run: {e}"))?;
    if !out.status.success() {
        return Err("cargo bench -p balcao-gov --bench client --no-run failed".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.pointer("/target/name").and_then(Value::as_str) == Some("client"))
        .find_map(|v| v.get("executable").and_then(Value::as_str).map(PathBuf::from))
        .ok_or_else(|| "cargo did not name the gov bench executable".into())
}

pub fn measure(setup: &Setup, reps: usize, secs: u64, concurrencies: &[usize], log: &Path) -> Result<HttpRuns> {
    let port = free_port()?;
    let mut sim = Command::new(&setup.cli)
        .args(["sim", "--addr", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", setup.cli.display()))?;
    let mut first = String::new();
    if let Some(out) = sim.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    }
    let base = format!("http://127.0.0.1:{port}");
    eprintln!("  simulator (balcao-cli sim, own process): {}", first.trim());
    let result = (|| {
        let mut runs = HttpRuns { concurrencies: concurrencies.to_vec(), secs, samples: Vec::new() };
        for rep in 0..reps {
            for &c in concurrencies {
                let order = if rep % 2 == 0 {
                    [Tool::Wrk, Tool::Client, Tool::Reqwest]
                } else {
                    [Tool::Client, Tool::Reqwest, Tool::Wrk]
                };
                for tool in order {
                    let per_sec = match tool {
                        Tool::Wrk => wrk(&base, c, secs, log)?,
                        Tool::Client | Tool::Reqwest => criterion(setup, &base, tool, c, secs, log)?,
                    };
                    eprintln!("  [{}/{reps}] c={c:<2} {:<13} {per_sec:>9.0} lookups/s", rep + 1, tool.label());
                    runs.samples.push(Sample { tool, concurrency: c, per_sec });
                }
            }
        }
        Ok(runs)
    })();
    procs::signal(sim.id(), "TERM");
    let _ = sim.wait();
    result
}

fn append(log: &Path, text: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
        let _ = f.write_all(text.as_bytes());
    }
}

fn wrk(base: &str, c: usize, secs: u64, log: &Path) -> Result<f64> {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{c}"),
            &format!("-d{secs}s"),
            "-H",
            &format!("Authorization: Bearer {TRIAL_BEARER}"),
            "-H",
            "Accept: application/json",
            &format!("{base}{PATH}"),
        ])
        .output()
        .map_err(|e| format!("wrk: {e} (apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    append(log, &format!("----- wrk c={c}\n{text}"));
    if text.contains("Non-2xx") {
        return Err(format!("wrk got error answers:\n{text}"));
    }
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:").and_then(|v| v.trim().parse().ok()))
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))
}

fn criterion(setup: &Setup, base: &str, tool: Tool, c: usize, secs: u64, log: &Path) -> Result<f64> {
    let id = format!("{}_c{c}", if tool == Tool::Client { "client" } else { "reqwest" });
    let out = Command::new(&setup.bench_exe)
        .args(["--bench", "--exact", &format!("gov_http/{id}"), "--warm-up-time", "1", "--sample-size", "10"])
        .args(["--measurement-time", &secs.to_string()])
        .env("BALCAO_BENCH_SIM_URL", base)
        .env("BALCAO_BENCH_CONCURRENCY", c.to_string())
        .env("CRITERION_HOME", &setup.criterion_home)
        .output()
        .map_err(|e| format!("{}: {e}", setup.bench_exe.display()))?;
    append(
        log,
        &format!(
            "----- criterion {id}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    );
    if !out.status.success() {
        return Err(format!("gov bench {id} failed (see {})", log.display()));
    }
    let ns = estimate_ns(&setup.criterion_home.join("gov_http").join(&id))?;
    Ok(1e9 / ns)
}

/// Criterion's median time per iteration (ns) of one bench directory.
pub fn estimate_ns(dir: &Path) -> Result<f64> {
    let file = dir.join("new/estimates.json");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    serde_json::from_str::<Value>(&text)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .pointer("/median/point_estimate")
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("{}: no median", file.display()))
}

/// Every criterion result under `home`: (group/bench id, median ns, 95 % interval of the median).
pub fn all_estimates(home: &Path) -> Vec<(String, f64, f64, f64)> {
    let mut out = Vec::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == "new") {
                let read = |name: &str| -> Option<Value> {
                    serde_json::from_str(&std::fs::read_to_string(p.join(name)).ok()?).ok()
                };
                if let (Some(b), Some(e)) = (read("benchmark.json"), read("estimates.json")) {
                    let id = b.get("full_id").and_then(Value::as_str).unwrap_or("?").to_owned();
                    let m = |k: &str| e.pointer(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
                    out.push((
                        id,
                        m("/median/point_estimate"),
                        m("/median/confidence_interval/lower_bound"),
                        m("/median/confidence_interval/upper_bound"),
                    ));
                }
            } else if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Runs the token-economy test (100 concurrent cold lookups → exactly one token request); returns its summary line.
pub fn token_test() -> Result<String> {
    let name = "hundred_concurrent_lookups_on_a_cold_cache_make_one_token_request";
    let out = sh::cargo()
        .args(["test", "-p", "balcao-gov", "--test", "tokens", "--", "--exact", name])
        .output()
        .map_err(|e| format!("cargo test: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("test result:")).unwrap_or("").to_owned();
    if out.status.success() && line.contains("1 passed") {
        Ok(format!("`{name}` — {line}"))
    } else {
        Err(format!("token test failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr)))
    }
}
