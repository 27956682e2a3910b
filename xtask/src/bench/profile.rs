//! Where start-up time goes: one `perf record -e cpu-clock` of each app, from spawn until its ready line (the app
//! is stopped right then), every process of the tree followed; summarized by thread name and by library.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::apps::{App, READY_PREFIX};
use super::procs;
use crate::session::Sandbox;
use crate::sh::Result;

/// One profiled start-up.
#[derive(Debug, Clone)]
pub struct StartProfile {
    pub app: &'static str,
    pub wall_ms: f64,
    /// CPU time sampled in all processes of the tree (ms).
    pub cpu_ms: f64,
    /// (thread name, process binary, share of CPU %) — `perf report --sort comm,dso` style rows.
    pub by_thread: Vec<(String, f64)>,
    pub by_library: Vec<(String, f64)>,
    /// The main thread's hottest symbols (the binary itself is stripped, so its own code shows as addresses).
    pub main_thread: Vec<(String, f64)>,
    pub data: PathBuf,
}

pub fn available() -> bool {
    Command::new("perf")
        .args(["record", "-e", "cpu-clock", "-o", "/dev/null", "--", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn record(sb: &Sandbox, app: &App, dir: &Path) -> Result<StartProfile> {
    let data = dir.join(format!("perf-{}.data", app.name));
    let mut child = sb
        .command("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", "2000", "-o"])
        .arg(&data)
        .arg("--")
        .arg(&app.bin)
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("perf: {e}"))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(std::result::Result::ok) {
            if line.starts_with(READY_PREFIX) {
                let _ = tx.send(t0.elapsed());
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(90));
    let tree = procs::tree(child.id());
    if let Some(&app_pid) = tree.get(1) {
        procs::signal(app_pid, "TERM");
    }
    let _ = child.wait();
    procs::reap(&tree, Duration::from_secs(5));
    let _ = reader.join();
    let wall = ready.map_err(|_| format!("{} under perf printed no ready line", app.name))?;
    let report = |sort: &str, extra: &[&str]| -> Result<String> {
        let out = Command::new("perf")
            .args(["report", "--stdio", "-i"])
            .arg(&data)
            .args(["--sort", sort, "--percent-limit", "1"])
            .args(extra)
            .output()
            .map_err(|e| format!("perf report: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let by_thread_text = report("comm", &[])?;
    let main_name: String =
        app.bin.file_name().map(|n| n.to_string_lossy().chars().take(15).collect()).unwrap_or_default();
    Ok(StartProfile {
        app: app.name,
        wall_ms: wall.as_secs_f64() * 1000.0,
        cpu_ms: event_count_ns(&by_thread_text).unwrap_or(f64::NAN) / 1e6,
        by_thread: rows(&by_thread_text),
        by_library: rows(&report("dso", &[])?),
        main_thread: rows(&report("dso,sym", &["--comms", &main_name])?).into_iter().take(12).collect(),
        data,
    })
}

/// `# Event count (approx.): N` of a cpu-clock report: CPU time in ns.
fn event_count_ns(report: &str) -> Option<f64> {
    report.lines().find_map(|l| l.strip_prefix("# Event count (approx.):")).and_then(|v| v.trim().parse().ok())
}

/// The "  12.34%  name…" rows of a perf report.
fn rows(report: &str) -> Vec<(String, f64)> {
    report
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.trim();
            let (pct, rest) = l.split_once('%')?;
            let pct: f64 = pct.trim().parse().ok()?;
            let name = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            (!name.is_empty()).then_some((name, pct))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{event_count_ns, rows};

    #[test]
    fn perf_report_rows_and_event_count() {
        let r = "# Samples: 1K of event 'cpu-clock'\n# Event count (approx.): 523250000\n#\n# Overhead  Command\n\
                 #\n    41.20%  WebKitWebProces\n     9.03%  balcao  libc.so.6  [.] memcpy\n\n";
        assert_eq!(event_count_ns(r), Some(523_250_000.0));
        let v = rows(r);
        assert_eq!(v, vec![("WebKitWebProces".to_owned(), 41.2), ("balcao libc.so.6 [.] memcpy".to_owned(), 9.03)]);
    }
}
