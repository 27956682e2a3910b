//! `cargo xtask fuzz [seconds]`: runs the libFuzzer targets (the CPF/CNPJ parser, the reading of gateway answers),
//! the seconds split between them, installing cargo-fuzz when missing.
//!
//! Only the stable toolchain is assumed: libFuzzer's `-Z` flags are unlocked with `RUSTC_BOOTSTRAP=1`. The build
//! uses its own target directory (sanitizer flags would otherwise invalidate the shared cache). The corpus grows
//! in `src-tauri/crates/core/fuzz/corpus/` (git-ignored) on top of the committed seeds; a crash leaves its input in
//! `fuzz/artifacts/<target>/` and fails the run. `read_answer` links balcao-gov without its `http` feature, so no
//! HTTP stack is ever built with sanitizers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Each target, with its dictionary (if any) under `fuzz/`.
const TARGETS: &[(&str, Option<&str>)] = &[("parse_document", Some("parse_document.dict")), ("read_answer", None)];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `BALCAO_FUZZ_TARGET_DIR`, else `/var/tmp/balcao-fuzz-target` (the temp dir off Unix).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BALCAO_FUZZ_TARGET_DIR") {
        return dir.into();
    }
    if cfg!(unix) {
        PathBuf::from("/var/tmp/balcao-fuzz-target")
    } else {
        std::env::temp_dir().join("balcao-fuzz-target")
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
}

fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", describe(cmd))) }
}

fn has_cargo_fuzz() -> bool {
    cargo().args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// Installs cargo-fuzz (from crates.io, locked versions) unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Result<(), String> {
    if has_cargo_fuzz() {
        return Ok(());
    }
    // Installed with its own temporary target directory, never the shared one.
    run_cmd(cargo().args(["install", "cargo-fuzz", "--locked"]).env_remove("CARGO_TARGET_DIR"))?;
    if has_cargo_fuzz() { Ok(()) } else { Err("cargo-fuzz was installed but `cargo fuzz` still does not run".into()) }
}

/// Builds and runs every fuzz target, `seconds` seconds in all (split evenly, at least 1 s each); Err when one
/// finds a crash or cannot run.
pub fn run(seconds: u64) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    let each = (seconds / TARGETS.len() as u64).max(1);
    for (target, dict) in TARGETS {
        run_target(target, *dict, each)?;
    }
    Ok(())
}

fn run_target(target: &str, dict: Option<&str>, seconds: u64) -> Result<(), String> {
    let core = repo_root().join("src-tauri/crates/core");
    let fuzz = core.join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("could not create {}: {e}", corpus.display()))?;
    let seeds = fuzz.join("seeds").join(target);
    let seeds = if seeds.is_dir() { seeds } else { fuzz.join("seeds") };
    let mut cmd = cargo();
    cmd.current_dir(&core)
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR")
        .arg("fuzz")
        .arg("run")
        .arg("--fuzz-dir")
        .arg(&fuzz)
        .arg("--target-dir")
        .arg(target_dir())
        .arg(target)
        .arg(&corpus)
        .arg(seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", seconds.max(1)));
    if let Some(dict) = dict {
        cmd.arg(format!("-dict={}", fuzz.join(dict).display()));
    }
    cmd.args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"]);
    run_cmd(&mut cmd).map_err(|e| {
        format!(
            "{e}\nthe fuzzer found a problem or could not run; a crashing input is kept in {}",
            fuzz.join("artifacts").join(target).display()
        )
    })
}
