//! `cargo xtask bench`: the performance budget (issue 10). Builds the release app and the hello floor, measures
//! start-up, memory, response-to-paint, HTTP throughput, token economy and sizes in one run, profiles start-up,
//! runs the workspace's other criterion benches (simulator start, history store, batch throughput, the agency
//! store's drain and reservation against a throwaway PostgreSQL), and writes
//! `docs/benchmarks.md` with the chart `docs/benchmarks/budget.svg`.
//!
//! Knobs (environment): `BALCAO_BENCH_REPS` (start-up/memory launches per app, default 7),
//! `BALCAO_BENCH_LOOKUPS` (painted lookups, default 15), `BALCAO_BENCH_HTTP_REPS` (default 5),
//! `BALCAO_BENCH_HTTP_SECS` (seconds per HTTP run, default 4), `BALCAO_BENCH_ROWS` (history bench rows, default
//! 20 000 here), `BALCAO_BENCH_SKIP_BUILD=1` (reuse the binaries), `BALCAO_BENCH_ONLY=sizes,startup,paint,
//! profile,http,tokens,criterion` (a partial run, written to artifacts/bench/ instead of docs/),
//! `BALCAO_BENCH_DEBUG=1` (measure the debug build `cargo xtask e2e` leaves, build nothing: a cheap check that the
//! chosen stages run, e.g. `BALCAO_BENCH_DEBUG=1 BALCAO_BENCH_ONLY=paint BALCAO_BENCH_LOOKUPS=2`; its figures go to
//! artifacts/bench/ and are not the budget's).

mod apps;
mod chart;
mod http;
mod paint;
mod procs;
mod profile;
mod report;
mod sizes;
mod stats;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::deps;
use crate::e2e::target_dir;
use crate::session::Sandbox;
use crate::sh::{self, Result, Stages};

/// Everything one run measured; a stage that failed leaves its field empty and its error in `errors`.
#[derive(Debug, Default)]
pub struct Results {
    pub date: String,
    pub machine: Vec<(String, String)>,
    pub loads: Vec<(String, String)>,
    pub startup: Option<apps::StartupRuns>,
    pub paint: Option<paint::PaintRuns>,
    pub profiles: Vec<profile::StartProfile>,
    pub http: Option<http::HttpRuns>,
    pub tokens: Option<String>,
    pub sizes: Option<sizes::Sizes>,
    pub criterion: Vec<(String, f64, f64, f64)>,
    pub history_rows: String,
    pub errors: Vec<(String, String)>,
    pub skipped: Vec<String>,
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn wanted(stage: &str) -> bool {
    std::env::var("BALCAO_BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == stage))
}

fn partial() -> bool {
    std::env::var_os("BALCAO_BENCH_ONLY").is_some() || debug_build()
}

fn debug_build() -> bool {
    std::env::var_os("BALCAO_BENCH_DEBUG").is_some()
}

pub fn run() -> Result {
    let mut st = Stages::new();
    let work = sh::root().join("artifacts/bench");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let target = target_dir();
    let built = target.join(if debug_build() { "debug" } else { "release" });
    let hello = apps::App { name: "hello", bin: built.join("hello-bench") };
    let balcao = apps::App { name: "Balcão", bin: built.join("balcao") };
    let cli = built.join("balcao-cli");
    let mut r = Results { date: utc_now(), machine: machine(), ..Results::default() };

    let skip_build = std::env::var_os("BALCAO_BENCH_SKIP_BUILD").is_some() || debug_build();
    let mut bench_exe = None;
    st.stage("prepare (tools, UI, release builds)", || {
        prepare_tools()?;
        if !skip_build {
            deps::ensure_npm("ui")?;
            sh::run(sh::npm("ui").args(["run", "build"]))?;
            sh::run(sh::cargo().args([
                "build",
                "--release",
                "-p",
                "balcao",
                "-p",
                "hello-bench",
                "--features",
                "balcao/custom-protocol,hello-bench/custom-protocol",
            ]))?;
            sh::run(sh::cargo().args(["build", "--release", "-p", "balcao-cli"]))?;
        }
        // Only what the chosen stages use must be there (a partial run builds and checks no more).
        let needs: [(&[&str], &Path); 3] = [
            (&["sizes", "startup", "profile"], &hello.bin),
            (&["sizes", "startup", "paint", "profile"], &balcao.bin),
            (&["http"], &cli),
        ];
        for (stages, b) in needs {
            if stages.iter().any(|s| wanted(s)) && !b.exists() {
                return Err(format!("{} is missing (run without BALCAO_BENCH_SKIP_BUILD)", b.display()));
            }
        }
        if wanted("http") {
            bench_exe = Some(http::build_bench()?);
        }
        Ok(())
    })?;

    let mut record = |r: &mut Results, name: &str, f: &mut dyn FnMut(&mut Results) -> Result| {
        if !wanted(name) {
            r.skipped.push(name.to_owned());
            return;
        }
        r.loads.push((name.to_owned(), loadavg()));
        if let Err(e) = st.stage(name, || f(r)) {
            eprintln!("xtask bench: {e}");
            r.errors.push((name.to_owned(), e));
        }
    };

    record(&mut r, "sizes", &mut |r| {
        r.sizes = Some(sizes::measure(&balcao.bin, &hello.bin, &target, &sh::root().join("ui/dist"))?);
        Ok(())
    });

    let needs_window = ["startup", "paint", "profile"].iter().any(|s| wanted(s));
    let sandbox = if needs_window { Some(Sandbox::start(true)?) } else { None };
    if let Some(sb) = &sandbox {
        let reps = env_num("BALCAO_BENCH_REPS", 7) as usize;
        record(&mut r, "startup", &mut |r| {
            let idle = Duration::from_secs(5);
            r.startup = Some(apps::measure(sb, &hello, &balcao, reps, idle, &work.join("apps.log"))?);
            Ok(())
        });
        record(&mut r, "paint", &mut |r| {
            let n = env_num("BALCAO_BENCH_LOOKUPS", 15) as usize;
            r.paint = Some(paint::measure(sb, &balcao.bin, 3, n, &work)?);
            Ok(())
        });
        record(&mut r, "profile", &mut |r| {
            if !profile::available() {
                return Err("perf record does not work here (package linux-perf)".into());
            }
            for app in [&hello, &balcao] {
                r.profiles.push(profile::record(sb, app, &work)?);
            }
            Ok(())
        });
    }
    drop(sandbox);

    record(&mut r, "http", &mut |r| {
        let bench_exe = bench_exe.clone().ok_or("no gov bench executable")?;
        let setup = http::Setup { cli: cli.clone(), bench_exe, criterion_home: work.join("criterion-http") };
        let reps = env_num("BALCAO_BENCH_HTTP_REPS", 5) as usize;
        let secs = env_num("BALCAO_BENCH_HTTP_SECS", 4);
        r.http = Some(http::measure(&setup, reps, secs, &[1, 4], &work.join("http.log"))?);
        Ok(())
    });
    record(&mut r, "tokens", &mut |r| {
        r.tokens = Some(http::token_test()?);
        Ok(())
    });
    record(&mut r, "criterion", &mut |r| {
        let home = work.join("criterion");
        let rows = std::env::var("BALCAO_BENCH_ROWS").unwrap_or_else(|_| "20000".into());
        r.history_rows = rows.clone();
        // One cargo call per bench, so a failing bench does not hide the others' figures.
        let mut failed = Vec::new();
        // The agency store's bench (#18) runs against a throwaway PostgreSQL, as its tests do.
        let pg = crate::pg::TestPg::start().map_err(|e| format!("PostgreSQL for the agency bench: {e}"))?;
        for (pkg, bench) in [
            ("balcao-sim", "start"),
            ("balcao-history", "history"),
            ("balcao-batch", "throughput"),
            ("balcao-service", "agency"),
        ] {
            let run = sh::run(
                sh::cargo()
                    .args(["bench", "-p", pkg, "--bench", bench])
                    .env("CRITERION_HOME", &home)
                    .env("BALCAO_BENCH_ROWS", &rows)
                    .envs(pg.env().iter().map(|(k, v)| (k, v))),
            );
            if let Err(e) = run {
                failed.push(format!("{pkg}/{bench}: {e}"));
            }
        }
        r.criterion = http::all_estimates(&home);
        if failed.is_empty() { Ok(()) } else { Err(failed.join("; ")) }
    });
    r.loads.push(("end".into(), loadavg()));

    let (doc, chart_dir) = if partial() {
        (work.join("benchmarks.partial.md"), work.clone())
    } else {
        (sh::root().join("docs/benchmarks.md"), sh::root().join("docs/benchmarks"))
    };
    std::fs::create_dir_all(&chart_dir).map_err(|e| e.to_string())?;
    let chart = chart_dir.join("budget.svg");
    std::fs::write(&chart, chart::svg("Balcão performance budget", &report::bars(&r))).map_err(|e| e.to_string())?;
    let text = report::markdown(&r, &relative(&chart, doc.parent().unwrap_or(Path::new("."))));
    std::fs::write(&doc, text).map_err(|e| format!("{}: {e}", doc.display()))?;
    st.summary();
    eprintln!("\nwrote {} and {}", doc.display(), chart.display());
    if r.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} stage(s) failed: {}",
            r.errors.len(),
            r.errors.iter().map(|e| e.0.as_str()).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// wrk (Debian package), tauri-driver (crates.io) and the e2e harness (npm) are needed; xtask installs them when it
/// can.
fn prepare_tools() -> Result {
    if wanted("http") && !sh::has("wrk") {
        let mut apt = Command::new("apt-get");
        apt.args(["install", "-y", "-qq", "--no-install-recommends", "wrk"]).env("DEBIAN_FRONTEND", "noninteractive");
        sh::run(&mut apt).map_err(|e| format!("wrk is needed (apt-get install wrk): {e}"))?;
    }
    // The paint measurement runs on the e2e tests' WebdriverIO harness.
    deps::ensure_npm("tests/e2e")?;
    deps::ensure_tauri_driver()
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string_lossy().into_owned())
}

fn output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn utc_now() -> String {
    output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn first_line_with(path: &str, prefix: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with(prefix)).map(|l| l.split_once(':').map_or(l, |x| x.1).trim().to_owned())
        })
        .unwrap_or_default()
}

fn lock_version(name: &str) -> String {
    let lock = std::fs::read_to_string(sh::root().join("Cargo.lock")).unwrap_or_default();
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle).map(|i| lock[i + needle.len()..].split('"').next().unwrap_or("").to_owned()).unwrap_or_default()
}

fn machine() -> Vec<(String, String)> {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim_matches('"').to_owned()))
        .unwrap_or_default();
    let mem_kb: f64 = first_line_with("/proc/meminfo", "MemTotal").trim_end_matches("kB").trim().parse().unwrap_or(0.0);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let commit = output("git", &["-C", &sh::root().to_string_lossy(), "rev-parse", "--short", "HEAD"]);
    let dirty = !output("git", &["-C", &sh::root().to_string_lossy(), "status", "--porcelain", "--untracked-files=no"])
        .is_empty();
    vec![
        ("CPU".into(), format!("{} × {cores} cores", first_line_with("/proc/cpuinfo", "model name"))),
        ("memory".into(), format!("{:.1} GiB", mem_kb / 1024.0 / 1024.0)),
        ("OS".into(), format!("{os}, kernel {}", output("uname", &["-r"]))),
        ("WebKitGTK".into(), output("dpkg-query", &["-W", "-f=${Version}", "libwebkit2gtk-4.1-0"])),
        ("Tauri / wry".into(), format!("{} / {}", lock_version("tauri"), lock_version("wry"))),
        ("rustc".into(), output("rustc", &["--version"])),
        ("commit".into(), format!("{commit}{}", if dirty { " (with uncommitted changes)" } else { "" })),
        (
            "display".into(),
            "Xvfb 1366×768×24 (software rendering), `WEBKIT_DISABLE_DMABUF_RENDERER=1` for both apps".into(),
        ),
    ]
}

/// The repository-relative form of a path, for the report.
pub fn shown(p: &Path) -> String {
    relative(p, &sh::root())
}
