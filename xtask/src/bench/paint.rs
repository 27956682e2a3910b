//! From response received to verdict painted, in the real window through WebDriver, with no change to the app.
//!
//! The page is instrumented from outside (a WebDriver script): `window.fetch` is wrapped, so the moment the
//! `lookup` command's IPC answer reaches the page is stamped (Tauri's IPC on Linux is a fetch to
//! `ipc://localhost/<command>`); a MutationObserver stamps the moment the verdict (`result-cpf`, or an error)
//! enters the DOM, then the next animation frame, then a task queued from that frame's rAF callback, which runs
//! once the frame's rendering update (style, layout, paint) is done: that is "painted". The other end, "response
//! received", is the embedded simulator's own log time of the request (`GET /__sim/requests`, field `at`): it is
//! stamped when the request arrives, before the answer is built and read back, so the figure slightly overstates
//! the true interval. Both ends are wall-clock times of the same machine (`performance.timeOrigin +
//! performance.now()` in the page, `SystemTime` in the app).

use std::path::Path;
use std::time::{Duration, Instant};

use super::json::Json;
use super::procs;
use super::webdriver::{self, Session};
use crate::e2e::{DriverPorts, driver_command};
use crate::session::Sandbox;
use crate::sh::Result;

/// SERPRO trial CPFs of the simulator's data set (two regular, one suspended), looked up in turn.
const CPFS: [&str; 3] = ["40442820135", "63017285995", "40532176871"];

const INSTALL: &str = r#"
if (window.__bb) return true;
const now = () => performance.timeOrigin + performance.now();
const bb = (window.__bb = { current: null });
const origFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : (input && input.url) || '';
  const p = origFetch.call(window, input, init);
  const run = bb.current;
  if (run && url.indexOf('ipc://localhost/lookup') === 0) {
    run.ipcSent = now();
    return p.then((r) => { run.ipcResponse = now(); return r; });
  }
  return p;
};
const SEL = '[data-testid="result-cpf"], [data-testid="result-cnpj"], [data-testid="lookup-error"]';
new MutationObserver(() => {
  const run = bb.current;
  if (!run || run.dom || !run.ipcResponse || !document.querySelector(SEL)) return;
  run.dom = now();
  run.verdict = document.querySelector(SEL).getAttribute('data-testid');
  requestAnimationFrame(() => {
    run.frame = now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { run.painted = now(); run.clockSkew = Date.now() - now(); };
    ch.port2.postMessage(null);
  });
}).observe(document.body, { childList: true, subtree: true });
return true;
"#;

const TRIGGER: &str = r#"
const cpf = arguments[0];
const el = document.querySelector('[data-testid="lookup-input"]');
if (!el || !window.__bb) return false;
window.__bb.current = { cpf, trigger: performance.timeOrigin + performance.now() };
setTimeout(() => {
  el.focus();
  el.value = cpf;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.form.requestSubmit();
}, 0);
return true;
"#;

const READY: &str = r#"
const a = document.activeElement;
return !!(a && a.getAttribute('data-testid') === 'lookup-input' && window.__TAURI_INTERNALS__);
"#;

const TIMELINE: &str = r#"
const n = performance.getEntriesByType('navigation')[0];
const fcp = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
const res = performance.getEntriesByType('resource').filter((r) => /\.(js|css)$/.test(r.name));
return {
  responseEnd: n ? n.responseEnd : null,
  domInteractive: n ? n.domInteractive : null,
  domContentLoaded: n ? n.domContentLoadedEventEnd : null,
  loadEventEnd: n ? n.loadEventEnd : null,
  firstContentfulPaint: fcp ? fcp.startTime : null,
  assets: res.length,
  assetsEnd: res.reduce((m, r) => Math.max(m, r.responseEnd), 0),
};
"#;

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

pub fn measure(sb: &Sandbox, app: &Path, warmup: usize, lookups: usize, log: &Path) -> Result<PaintRuns> {
    let (mut cmd, DriverPorts { driver: driver_port, sim: sim_port }) = driver_command(sb, log)?;
    let mut driver = cmd
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .spawn()
        .map_err(|e| format!("tauri-driver: {e} (cargo xtask deps installs it)"))?;
    let result = (|| {
        wait_until(Duration::from_secs(20), "tauri-driver", || {
            std::net::TcpStream::connect(("127.0.0.1", driver_port)).is_ok()
        })?;
        let session = Session::open(driver_port, &app.to_string_lossy())?;
        let r = drive(&session, sim_port, warmup, lookups);
        session.close();
        r
    })();
    let pids = procs::tree(driver.id());
    let _ = driver.kill();
    let _ = driver.wait();
    for &p in &pids[1..] {
        procs::signal(p, "TERM");
    }
    procs::reap(&pids, Duration::from_secs(5));
    result
}

fn drive(s: &Session, sim_port: u16, warmup: usize, lookups: usize) -> Result<PaintRuns> {
    wait_until(Duration::from_secs(60), "the focused lookup input", || {
        s.exec(READY, &[]).is_ok_and(|v| v == Json::Bool(true))
    })?;
    let mut out = PaintRuns { warmup, ..PaintRuns::default() };
    if let Json::Obj(m) = s.exec(TIMELINE, &[])? {
        out.timeline = m.into_iter().filter_map(|(k, v)| v.num().map(|n| (k, n))).collect();
    }
    s.exec(INSTALL, &[])?;
    for i in 0..warmup + lookups {
        let cpf = CPFS[i % CPFS.len()];
        std::thread::sleep(Duration::from_millis(800));
        if s.exec(TRIGGER, &[Json::Str(cpf.into())])? != Json::Bool(true) {
            return Err("the lookup input is not on the page".into());
        }
        // Leave the page alone while it works, then poll (polling runs script in the page's main thread).
        std::thread::sleep(Duration::from_millis(700));
        let mut run = Json::Null;
        wait_until(Duration::from_secs(20), "the verdict to be painted", || {
            run = s.exec("return window.__bb.current;", &[]).unwrap_or(Json::Null);
            run.get("painted").and_then(Json::num).is_some()
        })
        .map_err(|e| format!("{e}; page state: {}", webdriver::to_text(&run)))?;
        let f = |k: &str| run.get(k).and_then(Json::num).unwrap_or(f64::NAN);
        let sim_at = sim_request_time(sim_port, cpf)?;
        let r = PaintRun {
            verdict: run.get("verdict").and_then(Json::str).unwrap_or("?").into(),
            sim_at,
            trigger: f("trigger"),
            ipc_response: f("ipcResponse"),
            dom: f("dom"),
            frame: f("frame"),
            painted: f("painted"),
        };
        eprintln!(
            "  lookup {:>2}{} {cpf}: response→paint {:>6.1} ms (app {:>5.1} + page {:>5.1}); Enter→paint {:>6.1} ms [{}]",
            i + 1,
            if i < warmup { " (warm-up)" } else { "" },
            r.response_to_paint(),
            r.response_to_ipc(),
            r.ipc_to_paint(),
            r.trigger_to_paint(),
            r.verdict
        );
        if i >= warmup {
            out.runs.push(r);
        }
    }
    Ok(out)
}

/// The log time (epoch ms) of the simulator's latest API request for this CPF.
fn sim_request_time(port: u16, cpf: &str) -> Result<f64> {
    let (status, body) = webdriver::request(port, "GET", "/__sim/requests", None, Duration::from_secs(10))?;
    if status != 200 {
        return Err(format!("simulator log: HTTP {status}"));
    }
    let log = Json::parse(&body)?;
    let entry = log
        .arr()
        .iter()
        .rev()
        .find(|e| {
            e.get("kind").and_then(Json::str) == Some("api")
                && e.get("path").and_then(Json::str).is_some_and(|p| p.ends_with(cpf))
        })
        .ok_or_else(|| format!("the simulator logged no API call for {cpf}"))?;
    let at = entry.get("at").and_then(Json::str).ok_or("log entry without `at`")?;
    rfc3339_epoch_ms(at).ok_or_else(|| format!("unreadable time {at:?}"))
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

fn wait_until(timeout: Duration, what: &str, mut ok: impl FnMut() -> bool) -> Result {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("timed out waiting for {what}"))
}

#[cfg(test)]
mod tests {
    use super::rfc3339_epoch_ms;

    #[test]
    fn simulator_times_convert_to_epoch_milliseconds() {
        assert_eq!(rfc3339_epoch_ms("1970-01-01T00:00:00Z"), Some(0.0));
        // The simulator's own doc example: 1_800_000_000_123 ms.
        assert_eq!(rfc3339_epoch_ms("2027-01-15T08:00:00.123Z"), Some(1_800_000_000_123.0));
        let t = rfc3339_epoch_ms("2026-11-26T16:30:00.123456789Z").unwrap();
        assert!((t - 1_795_710_600_123.457).abs() < 0.01, "{t}");
        assert_eq!(rfc3339_epoch_ms("2026-11-26 16:30:00"), None);
    }
}
