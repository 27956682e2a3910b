//! Supply chain: cargo-deny (licenses, bans, sources; advisories when the RustSec database can be fetched) and
//! `npm audit` of the UI's shipped (non-dev) dependencies.

use std::process::Command;

use crate::sh::{self, Result};

const CARGO_DENY_VERSION: &str = "0.20.2";

/// cargo-deny from crates.io (compiled once, ~5 min on two cores).
pub fn ensure_cargo_deny() -> Result {
    let ok = Command::new("cargo-deny")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_DENY_VERSION));
    if ok {
        return Ok(());
    }
    sh::run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
        "install",
        "cargo-deny",
        "--locked",
        "--version",
        CARGO_DENY_VERSION,
    ]))
}

/// Licenses, bans and sources need no network (they read `cargo metadata` and deny.toml).
pub fn cargo_deny() -> Result {
    ensure_cargo_deny()?;
    sh::run(sh::cargo().args(["deny", "--locked", "check", "licenses", "bans", "sources"]))
}

/// Advisories need the RustSec database from GitHub. When it cannot be fetched (no route to GitHub, as on the
/// build machines here) the check says so and does not fail, unless `BALCAO_REQUIRE_ADVISORIES=1` (release CI).
pub fn cargo_deny_advisories() -> Result {
    ensure_cargo_deny()?;
    let out = sh::cargo()
        .args(["deny", "--locked", "check", "advisories"])
        .output()
        .map_err(|e| format!("cargo deny: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        eprintln!("{err}");
        return Ok(());
    }
    let fetch_failed =
        ["failed to fetch", "failed to open advisory database", "Couldn't resolve host", "network", "github.com"]
            .iter()
            .any(|s| err.contains(s));
    let strict = std::env::var("BALCAO_REQUIRE_ADVISORIES").is_ok_and(|v| v == "1");
    if fetch_failed && !strict {
        let why = ["Could not resolve host", "unable to access", "failed to fetch"]
            .iter()
            .find_map(|k| err.lines().find(|l| l.contains(k)))
            .unwrap_or("sem acesso à rede")
            .trim();
        let first: String = why.chars().take(160).collect();
        eprintln!(
            "AVISO: cargo deny advisories NÃO RODOU: o banco RustSec (github.com/rustsec/advisory-db) não pôde ser \
             baixado desta máquina ({first}). Rode com BALCAO_REQUIRE_ADVISORIES=1 numa máquina com acesso."
        );
        return Ok(());
    }
    Err(format!("cargo deny check advisories:\n{err}"))
}

/// Licenses npm packages shipped in the UI may carry (an SPDX expression is accepted when every alternative of an
/// `OR`, or every part of an `AND`, is in the list).
const NPM_LICENSES: &[&str] = &["MIT", "Apache-2.0", "ISC", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Zlib"];

/// What the UI ships (`npm ls --omit=dev`): every package's license must be permissive. Offline.
pub fn npm_licenses() -> Result {
    let out = sh::npm("ui")
        .args(["ls", "--omit=dev", "--all", "--parseable"])
        .output()
        .map_err(|e| format!("npm ls: {e}"))?;
    if !out.status.success() {
        return Err(format!("npm ls --omit=dev: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let dirs: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().skip(1).map(str::to_owned).collect();
    // node reads each package.json exactly (name and license fields).
    let script = "for (const d of process.argv.slice(1)) { const p = require(d + '/package.json'); \
                  const l = typeof p.license === 'string' ? p.license : ''; console.log(p.name + '\\t' + l); }";
    let listed = Command::new("node").arg("-e").arg(script).args(&dirs).output().map_err(|e| format!("node: {e}"))?;
    let mut bad = Vec::new();
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        let (name, license) = line.split_once('\t').unwrap_or((line, ""));
        let expr = license.trim_matches(|c| c == '(' || c == ')');
        let ok = if expr.contains(" OR ") {
            expr.split(" OR ").any(|l| NPM_LICENSES.contains(&l.trim()))
        } else {
            expr.split(" AND ").all(|l| NPM_LICENSES.contains(&l.trim()))
        };
        eprintln!("  {name}: {license}");
        if !ok {
            bad.push(format!("{name} ({license})"));
        }
    }
    if dirs.is_empty() || !listed.status.success() {
        return Err("não foi possível listar os pacotes npm da interface".into());
    }
    if bad.is_empty() { Ok(()) } else { Err(format!("licenças não permitidas na interface: {}", bad.join(", "))) }
}

/// Known vulnerabilities in what the UI ships (devDependencies are build tools, not in the app). The audit needs
/// the registry's advisory endpoint; where it refuses (as the registry mirror here does, HTTP 405) the stage says
/// so and does not fail, unless `BALCAO_REQUIRE_ADVISORIES=1`.
pub fn npm_audit() -> Result {
    npm_licenses()?;
    let out = sh::npm("ui")
        .args(["audit", "--omit=dev", "--audit-level=low"])
        .output()
        .map_err(|e| format!("npm audit: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{}", text.trim());
    if out.status.success() {
        return Ok(());
    }
    let strict = std::env::var("BALCAO_REQUIRE_ADVISORIES").is_ok_and(|v| v == "1");
    if text.contains("audit endpoint returned an error") && !strict {
        eprintln!(
            "AVISO: npm audit NÃO RODOU: o registro npm recusou o pedido de avisos de segurança (endpoint \
             /-/npm/v1/security/advisories/bulk). As licenças dos pacotes da interface foram conferidas."
        );
        return Ok(());
    }
    Err("npm audit --omit=dev encontrou vulnerabilidades (acima)".into())
}
