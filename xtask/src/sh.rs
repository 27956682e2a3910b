//! Running commands from xtask: the workspace root, echoing, failing with context, and per-stage timing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the parent of xtask/).
pub fn root() -> PathBuf {
    // `cargo run` (what `cargo xtask` is) names the manifest folder at run time too. Prefer it: with a target folder
    // shared by several clones, this binary may have been linked from another clone's sources, and the compile-time
    // path would send every stage to that clone.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest = manifest.filter(|d| d.join("src/main.rs").is_file() && d.ends_with("xtask"));
    let manifest = manifest.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// Runs a command to completion, echoing it first; a non-zero exit is an error naming the command.
pub fn run(cmd: &mut Command) -> Result {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", describe(cmd))) }
}

/// Runs a command to completion and returns whether it succeeded and its standard output and error together
/// (for checks that read what a tool said, e.g. apt refusing a repository).
pub fn output(cmd: &mut Command) -> Result<(bool, String)> {
    eprintln!("$ {}", describe(cmd));
    let out = cmd.output().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A command run as root: directly when this process is root (CI), else through sudo; non-interactive for apt.
pub fn as_root(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new(program);
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    } else {
        // sudo resets the environment: the variable goes on the command line.
        let mut c = Command::new("sudo");
        c.args(["env", "DEBIAN_FRONTEND=noninteractive", program]);
        c
    }
}

/// Where a program is on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// Whether a program is on PATH.
pub fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The cargo that runs xtask (so the same toolchain builds everything).
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// npm in a folder of the repository.
pub fn npm(dir: &str) -> Command {
    let mut c = Command::new("npm");
    c.current_dir(root().join(dir));
    c
}

/// Times named stages and prints a summary table at the end, whatever the outcome.
#[derive(Debug, Default)]
pub struct Stages {
    done: Vec<(String, Duration, bool)>,
    started: Option<Instant>,
}

impl Stages {
    pub fn new() -> Self {
        Self { done: Vec::new(), started: Some(Instant::now()) }
    }

    pub fn stage(&mut self, name: &str, f: impl FnOnce() -> Result) -> Result {
        eprintln!("\n==> {name}");
        let t = Instant::now();
        let r = f();
        self.done.push((name.to_owned(), t.elapsed(), r.is_ok()));
        r.map_err(|e| format!("stage «{name}»: {e}"))
    }

    pub fn summary(&self) {
        eprintln!("\n==> timing summary");
        for (name, d, ok) in &self.done {
            eprintln!("  {:<34} {:>8.1} s  {}", name, d.as_secs_f64(), if *ok { "ok" } else { "FAILED" });
        }
        if let Some(t) = self.started {
            eprintln!("  {:<34} {:>8.1} s", "total", t.elapsed().as_secs_f64());
        }
    }
}
