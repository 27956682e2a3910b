//! Start-up and memory of one desktop app: wall time from spawn to its `BALCAO_UI_READY_MS` line on stderr, and
//! the RSS/PSS of its whole process tree (main + WebKit web and network processes) after an idle pause.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::procs::{self, ProcMem};
use crate::session::Sandbox;
use crate::sh::Result;

/// The line both apps print once the page says its input is focused and ready.
pub const READY_PREFIX: &str = "BALCAO_UI_READY_MS=";

/// An app under test.
#[derive(Debug, Clone)]
pub struct App {
    pub name: &'static str,
    pub bin: PathBuf,
}

/// One launch.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Process spawn to the ready line read from stderr (wall clock, ms).
    pub spawn_to_ready_ms: f64,
    /// What the page reported: `performance.now()` at ready, i.e. ms since the page's navigation started.
    pub page_ready_ms: f64,
    /// CPU time (user + system) of the whole process tree when the ready line was read (ms, 10 ms ticks).
    pub cpu_to_ready_ms: f64,
    /// Sum over the process tree after the idle pause (kB); 0 when memory was not measured.
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub procs: Vec<ProcMem>,
}

impl Launch {
    /// Spawn to the page's time origin: process start, GTK and WebKit set-up, web process launch, page request.
    pub fn native_ms(&self) -> f64 {
        self.spawn_to_ready_ms - self.page_ready_ms
    }
}

/// Launches `app` in the sandbox, waits for ready, idles `idle` and reads the memory (when `idle` is not zero), then
/// stops the whole tree. Its stderr is appended to `log`.
pub fn launch(sb: &Sandbox, app: &App, log: &Path, idle: Option<Duration>) -> Result<Launch> {
    let mut out =
        OpenOptions::new().create(true).append(true).open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let _ = writeln!(out, "----- {} launch", app.name);
    let mut cmd = sb.command(&app.bin);
    cmd.env("WEBKIT_DISABLE_DMABUF_RENDERER", "1").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", app.bin.display()))?;
    let pid = child.id();
    let stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(std::result::Result::ok) {
            if let Some(v) = line.strip_prefix(READY_PREFIX) {
                let _ = tx.send((t0.elapsed(), v.trim().parse::<f64>().unwrap_or(f64::NAN)));
            }
            let _ = writeln!(out, "{line}");
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(90));
    let result = match ready {
        Ok((wall, page)) => {
            let cpu = procs::cpu_ms(pid);
            let mem = idle.map(|d| {
                std::thread::sleep(d);
                procs::memory(pid)
            });
            let procs = mem.unwrap_or_default();
            if idle.is_some() && !procs.iter().any(|p| p.pid == pid) {
                // Balcão makes itself non-dumpable (no core dumps): only root may read its /proc memory files.
                Err(format!(
                    "could not read the memory of {} (/proc/{pid}/smaps_rollup): a non-dumpable process is readable \
                     by root only; run the bench as root",
                    app.name
                ))
            } else {
                Ok(Launch {
                    spawn_to_ready_ms: wall.as_secs_f64() * 1000.0,
                    page_ready_ms: page,
                    cpu_to_ready_ms: cpu,
                    rss_kb: procs.iter().map(|p| p.rss_kb).sum(),
                    pss_kb: procs.iter().map(|p| p.pss_kb).sum(),
                    procs,
                })
            }
        }
        Err(_) => Err(format!("{} printed no {READY_PREFIX} line within 90 s (see {})", app.name, log.display())),
    };
    let pids = procs::tree(pid);
    procs::signal(pid, "TERM");
    let stop = Instant::now();
    while child.try_wait().ok().flatten().is_none() && stop.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    procs::reap(&pids, Duration::from_secs(5));
    let _ = reader.join();
    result
}

/// Start-up and memory of both apps, alternated (ABBA…), after one unmeasured warm-up launch each.
#[derive(Debug, Default)]
pub struct StartupRuns {
    pub hello: Vec<Launch>,
    pub balcao: Vec<Launch>,
    pub idle: Duration,
}

pub fn measure(
    sb: &Sandbox,
    hello: &App,
    balcao: &App,
    reps: usize,
    idle: Duration,
    log: &Path,
) -> Result<StartupRuns> {
    for app in [hello, balcao] {
        eprintln!("  warm-up launch: {}", app.name);
        launch(sb, app, log, None)?;
    }
    let mut runs = StartupRuns { idle, ..StartupRuns::default() };
    for i in 0..reps {
        let order = if i % 2 == 0 { [hello, balcao] } else { [balcao, hello] };
        for app in order {
            std::thread::sleep(Duration::from_millis(500));
            let l = launch(sb, app, log, Some(idle))?;
            eprintln!(
                "  [{}/{reps}] {:<7} ready {:>7.1} ms (page {:>6.1} ms)  PSS {:>7} kB  RSS {:>7} kB  ({} processes)",
                i + 1,
                app.name,
                l.spawn_to_ready_ms,
                l.page_ready_ms,
                l.pss_kb,
                l.rss_kb,
                l.procs.len()
            );
            if std::ptr::eq(app, hello) { runs.hello.push(l) } else { runs.balcao.push(l) }
        }
    }
    Ok(runs)
}
