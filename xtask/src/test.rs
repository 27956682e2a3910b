//! `cargo xtask test`: the whole suite in stages (deps, fmt, UI, clippy, Rust tests, fuzz smoke, e2e) with a timing summary.

use crate::pg::TestPg;
use crate::session::Sandbox;
use crate::sh::{self, Result, Stages};
use crate::{bundle, deps, e2e, fuzz, repo_test, supply};

/// How long the test command fuzzes, split between the targets (document parser, answer reading).
const FUZZ_SMOKE_SECS: u64 = 20;

pub fn run() -> Result {
    let mut st = Stages::new();
    let r = all(&mut st);
    st.summary();
    r
}

fn all(st: &mut Stages) -> Result {
    st.stage("deps (apt, npm ci, tauri-driver)", deps::ensure_all)?;
    st.stage("cargo fmt --check", || sh::run(sh::cargo().args(["fmt", "--all", "--", "--check"])))?;
    st.stage("ui: vite build", || sh::run(sh::npm("ui").args(["run", "build"])))?;
    st.stage("ui: svelte-check", || sh::run(sh::npm("ui").args(["run", "check"])))?;
    st.stage("ui: vitest", || sh::run(sh::npm("ui").args(["test"])))?;
    st.stage("cargo clippy -D warnings", || {
        sh::run(sh::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            "balcao-platform/secret-service-tests",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    st.stage("cargo test (in a D-Bus + keyring sandbox)", rust_tests)?;
    st.stage("supply chain: cargo deny (licenses, bans, sources)", supply::cargo_deny)?;
    st.stage("supply chain: cargo deny advisories", supply::cargo_deny_advisories)?;
    st.stage("supply chain: npm audit --omit=dev", supply::npm_audit)?;
    st.stage("fuzz smoke (document parser, answer reading)", || fuzz::run(FUZZ_SMOKE_SECS))?;
    st.stage("e2e: build the app and the CLI", e2e::build_app_and_cli)?;
    st.stage("e2e: real window (Xvfb + tauri-driver)", e2e::run)?;
    st.stage("hardening: single instance (debug app)", bundle::single_instance_check)?;
    st.stage("repository: signed APT repo, install, upgrade, tamper (debug .deb, .rpm)", repo_test::run)?;
    Ok(())
}

/// Rust tests, with the Secret Service integration tests, inside a throwaway session, beside a throwaway PostgreSQL
/// cluster for the agency store (stopped and removed when the stage ends, whatever happened).
fn rust_tests() -> Result {
    let guard = e2e::RealDataGuard::capture();
    let pg = TestPg::start()?;
    let sb = Sandbox::start(false)?;
    let mut cmd = sb.command(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.envs(pg.env().iter().map(|(k, v)| (k, v)));
    // Every failing test binary is reported in one run, not only the first.
    cmd.current_dir(sh::root()).args([
        "test",
        "--workspace",
        "--no-fail-fast",
        "--features",
        "balcao-platform/secret-service-tests",
    ]);
    let r = sh::run(&mut cmd);
    drop(sb);
    drop(pg);
    r?;
    guard.verify()
}

pub fn e2e_only() -> Result {
    let mut st = Stages::new();
    let r = (|| {
        st.stage("deps (apt, npm ci, tauri-driver)", deps::ensure_all)?;
        st.stage("ui: vite build", || sh::run(sh::npm("ui").args(["run", "build"])))?;
        st.stage("e2e: build the app", e2e::build_app)?;
        st.stage("e2e: real window (Xvfb + tauri-driver)", e2e::run)
    })();
    st.summary();
    r
}

/// Regenerates ui/src/lib/bindings from the Rust types, then the command table (the capability and
/// `bindings/commands.ts`) from the shell's command declaration, which imports them.
pub fn bless_bindings() -> Result {
    sh::run(sh::cargo().args(["test", "-p", "balcao-core", "--test", "bindings"]).env("BALCAO_BLESS", "1"))?;
    sh::run(sh::cargo().args(["test", "-p", "balcao", "--lib", "commands::bindings"]).env("BALCAO_BLESS", "1"))
}
