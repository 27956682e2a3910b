//! From response received to verdict painted, in the real window, with no change to the app: the measurement is
//! `tests/e2e/bench/paint.mjs`, run on the e2e tests' WebdriverIO harness (see that file for how the page is
//! instrumented); this module starts tauri-driver in the sandbox, runs it, and reads its JSON answer.
//!
//! "Response received" is the embedded simulator's own log time of the request (`GET /__sim/requests`, field
//! `at`): it is stamped when the request arrives, before the answer is built and read back, so the figure slightly
//! overstates the true interval. Both ends are wall-clock times of the same machine (`performance.timeOrigin +
//! performance.now()` in the page, `SystemTime` in the app).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::procs;
use crate::e2e::{DriverPorts, driver_command, wait_port};
use crate::session::Sandbox;
use crate::sh::{self, Result};

/// One measured lookup (wall-clock ms since the epoch, except the derived intervals).
#[derive(Debug, Clone)]
pub struct PaintRun {
    pub verdict: String,
    /// Simulator's log time of the API request (≈ response sent).
    pub sim_at: f64,
    pub trigger: f64,
    pub ipc_response: f64,
    pub dom: f64,
    pub frame: f64,
    pub painted: f64,
}

impl PaintRun {
    /// The budgeted figure: response received to verdict painted.
    pub fn response_to_paint(&self) -> f64 {
        self.painted - self.sim_at
    }
    /// In the app process: parse, normalize, history write (SQLCipher, fsync), serialize, IPC answer.
    pub fn response_to_ipc(&self) -> f64 {
        self.ipc_response - self.sim_at
    }
    /// In the page: JSON, Svelte update, DOM, the next frame painted.
    pub fn ipc_to_paint(&self) -> f64 {
        self.painted - self.ipc_response
    }
    /// The whole lookup as the clerk sees it: Enter to painted (includes the simulated gateway call).
    pub fn trigger_to_paint(&self) -> f64 {
        self.painted - self.trigger
    }
}

#[derive(Debug, Default)]
pub struct PaintRuns {
    pub warmup: usize,
    pub runs: Vec<PaintRun>,
    /// The page's own start-up timeline (ms since navigation start), under WebDriver.
    pub timeline: Vec<(String, f64)>,
}

pub fn measure(sb: &Sandbox, app: &Path, warmup: usize, lookups: usize, work: &Path) -> Result<PaintRuns> {
    let (mut cmd, DriverPorts { driver: driver_port, sim: sim_port }) =
        driver_command(sb, &work.join("tauri-driver.log"))?;
    let mut driver = cmd
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .spawn()
        .map_err(|e| format!("tauri-driver: {e} (cargo xtask deps installs it)"))?;
    let out = work.join("paint.json");
    let result = (|| {
        wait_port(driver_port)?;
        let mut node = sb.command("node");
        node.current_dir(sh::root().join("tests/e2e"))
            .arg("bench/paint.mjs")
            .env("BALCAO_APP", app)
            .env("TAURI_DRIVER_PORT", driver_port.to_string())
            .env("BALCAO_SIM_URL", format!("http://127.0.0.1:{sim_port}"))
            .env("BALCAO_E2E_DATA_DIR", sb.var("BALCAO_DATA_DIR").unwrap_or_default())
            .env("BALCAO_E2E_SCREENSHOTS", work.join("paint-screenshots"))
            .env("BALCAO_BENCH_WARMUP", warmup.to_string())
            .env("BALCAO_BENCH_LOOKUPS", lookups.to_string())
            .env("BALCAO_BENCH_PAINT_OUT", &out);
        sh::run(&mut node)?;
        let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        parse(&text, warmup)
    })();
    let pids = procs::tree(driver.id());
    let _ = driver.kill();
    let _ = driver.wait();
    for &p in pids.get(1..).unwrap_or_default() {
        procs::signal(p, "TERM");
    }
    procs::reap(&pids, Duration::from_secs(5));
    let runs = result?;
    for (i, r) in runs.runs.iter().enumerate() {
        eprintln!(
            "  lookup {:>2}: response→paint {:>6.1} ms (app {:>5.1} + page {:>5.1}); Enter→paint {:>6.1} ms [{}]",
            i + 1,
            r.response_to_paint(),
            r.response_to_ipc(),
            r.ipc_to_paint(),
            r.trigger_to_paint(),
            r.verdict
        );
    }
    Ok(runs)
}

/// The measurement script's answer: the page's start-up timeline and one object per lookup (warm-ups marked).
fn parse(text: &str, warmup: usize) -> Result<PaintRuns> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("paint.json: {e}"))?;
    let timeline = v
        .get("timeline")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n))).collect())
        .unwrap_or_default();
    let mut runs = Vec::new();
    for run in v.get("runs").and_then(Value::as_array).ok_or("paint.json: no runs")? {
        if run.get("warmup").and_then(Value::as_bool).unwrap_or(false) {
            continue;
        }
        let f = |k: &str| run.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let at = run.get("simAt").and_then(Value::as_str).ok_or("paint.json: a run without `simAt`")?;
        runs.push(PaintRun {
            verdict: run.get("verdict").and_then(Value::as_str).unwrap_or("?").into(),
            sim_at: rfc3339_epoch_ms(at).ok_or_else(|| format!("unreadable time {at:?}"))?,
            trigger: f("trigger"),
            ipc_response: f("ipcResponse"),
            dom: f("dom"),
            frame: f("frame"),
            painted: f("painted"),
        });
    }
    Ok(PaintRuns { warmup, runs, timeline })
}

/// `2026-11-26T16:30:00.123456789Z` (UTC, as the simulator writes it) to ms since the epoch.
pub fn rfc3339_epoch_ms(s: &str) -> Option<f64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let frac: f64 = format!("0.{frac}").parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(secs as f64 * 1000.0 + frac * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::{parse, rfc3339_epoch_ms};

    #[test]
    fn simulator_times_convert_to_epoch_milliseconds() {
        assert_eq!(rfc3339_epoch_ms("1970-01-01T00:00:00Z"), Some(0.0));
        // The simulator's own doc example: 1_800_000_000_123 ms.
        assert_eq!(rfc3339_epoch_ms("2027-01-15T08:00:00.123Z"), Some(1_800_000_000_123.0));
        let t = rfc3339_epoch_ms("2026-11-26T16:30:00.123456789Z").unwrap();
        assert!((t - 1_795_710_600_123.457).abs() < 0.01, "{t}");
        assert_eq!(rfc3339_epoch_ms("2026-11-26 16:30:00"), None);
    }

    #[test]
    fn the_scripts_answer_becomes_the_measured_runs_without_the_warm_ups() {
        let text = r#"{
          "timeline": { "domInteractive": 41.5, "firstContentfulPaint": null, "assets": 3 },
          "runs": [
            { "warmup": true, "simAt": "2027-01-15T08:00:00.000Z", "painted": 1.0, "verdict": "result-cpf" },
            { "warmup": false, "simAt": "2027-01-15T08:00:00.123Z", "trigger": 1800000000000.0,
              "ipcResponse": 1800000000130.5, "dom": 1800000000131.0, "frame": 1800000000140.0,
              "painted": 1800000000141.0, "verdict": "lookup-error" }
          ]
        }"#;
        let r = parse(text, 1).unwrap();
        assert_eq!(r.warmup, 1);
        let mut timeline = r.timeline.clone();
        timeline.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(timeline, vec![("assets".to_owned(), 3.0), ("domInteractive".to_owned(), 41.5)]);
        assert_eq!(r.runs.len(), 1);
        let run = &r.runs[0];
        assert_eq!(run.verdict, "lookup-error");
        assert!((run.response_to_paint() - 18.0).abs() < 0.001, "{}", run.response_to_paint());
        assert!((run.response_to_ipc() - 7.5).abs() < 0.001);
        assert!((run.trigger_to_paint() - 141.0).abs() < 0.001);
    }

    #[test]
    fn an_answer_without_runs_or_a_readable_time_is_an_error() {
        assert!(parse("{}", 0).unwrap_err().contains("no runs"));
        assert!(parse(r#"{"runs":[{"simAt":"yesterday"}]}"#, 0).unwrap_err().contains("unreadable time"));
        assert!(parse("not json", 0).is_err());
    }
}
