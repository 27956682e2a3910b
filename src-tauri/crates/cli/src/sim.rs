//! `balcao-cli sim`: runs the SERPRO/Conecta simulator standalone, prints its address, serves until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use balcao_core::error::{FieldProblem, io_reason, line_and_column};
use balcao_sim::{ConfigError, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SERPRO_TRIAL_BEARER, SimConfig, Simulator};

use crate::exit::{EXIT_SIM_FAILED, EXIT_USAGE};
use crate::text::eprint_line;

/// Largest simulator config file read: a config is a few hundred bytes; faults and credentials lists stay small.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Endereço de escuta, só deste computador (127.0.0.1 ou [::1]); a porta 0 escolhe uma porta livre (o endereço
    /// real é impresso na saída).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ENDEREÇO")]
    pub addr: SocketAddr,
    /// Arquivo de configuração do simulador: TOML, ou JSON se o nome terminar em .json.
    #[arg(long, value_name = "ARQUIVO")]
    pub config: Option<PathBuf>,
}

/// Exit 0 after Ctrl-C, 2 for a refused address or config file, 1 when the simulator cannot start.
pub fn run(args: Args) -> ExitCode {
    if !args.addr.ip().is_loopback() {
        eprint_line(&format!(
            "balcao-cli sim: o endereço {} não é deste computador. O simulador só escuta em 127.0.0.1 ou [::1] \
             (por exemplo --addr 127.0.0.1:8080): ele aceita credenciais de demonstração e não deve ficar \
             acessível pela rede.",
            args.addr
        ));
        return ExitCode::from(EXIT_USAGE);
    }
    let config = match &args.config {
        Some(path) => match load_config(path) {
            Ok(config) => config,
            Err(message) => {
                eprint_line(&format!("balcao-cli sim: {message}"));
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => SimConfig::default(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprint_line(&format!("Não foi possível iniciar o runtime assíncrono: {}.", io_reason(&e)));
            return ExitCode::from(EXIT_SIM_FAILED);
        }
    };
    // A developer and test tool: the control and request-log routes and CORS are on (never in the app).
    runtime.block_on(serve(args.addr, config.with_test_routes()))
}

/// Reads the simulator's config file (JSON when its name ends in `.json`, TOML otherwise); a refusal is a pt-BR
/// message naming the file, the line and the field.
fn load_config(path: &Path) -> Result<SimConfig, String> {
    let name = path.display();
    let bytes = balcao_platform::read_limited(path, MAX_CONFIG_BYTES).map_err(|e| {
        format!("não foi possível ler o arquivo de configuração {name}: {}.", e.reason(MAX_CONFIG_BYTES))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| format!("o arquivo de configuração {name} não está em UTF-8."))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let located = |line: usize, path: String, message: String, syntax: bool| {
        if syntax {
            return format!(
                "arquivo de configuração {name} inválido, linha {line}: erro de sintaxe {}.",
                if is_json { "JSON" } else { "TOML" }
            );
        }
        let problem = FieldProblem::from_serde(&message);
        let mut field = path.split('.').filter(|s| *s != "?" && !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        field.extend(problem.field);
        let field = if field.is_empty() { String::new() } else { format!(", campo {}", field.join(".")) };
        format!("arquivo de configuração {name} inválido, linha {line}{field}: {}.", problem.problem)
    };
    let parsed = if is_json {
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize::<_, SimConfig>(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let syntax =
                matches!(inner.classify(), serde_json::error::Category::Syntax | serde_json::error::Category::Eof);
            located(inner.line(), path, inner.to_string(), syntax)
        })
    } else {
        let syntax_error = |e: toml::de::Error| {
            located(line_and_column(&text, e.span().map_or(0, |s| s.start)).0, String::new(), String::new(), true)
        };
        let de = toml::Deserializer::parse(&text).map_err(syntax_error)?;
        serde_path_to_error::deserialize::<_, SimConfig>(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = line_and_column(&text, inner.span().map_or(0, |s| s.start)).0;
            located(line, path, inner.message().to_owned(), false)
        })
    }?;
    parsed.validated().map_err(|e| match e {
        ConfigError::Invalid(reason) => format!("arquivo de configuração {name} inválido: {reason}"),
        _ => format!("arquivo de configuração {name} inválido."),
    })
}

async fn serve(addr: SocketAddr, config: SimConfig) -> ExitCode {
    let demo_credentials =
        config.serpro_credentials.iter().any(|(k, s)| k == DEMO_CLIENT_ID && s == DEMO_CLIENT_SECRET);
    let sim = match Simulator::start(addr, config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprint_line(&format!(
                "Não foi possível iniciar o simulador em {addr} ({}). Escolha outro endereço com --addr.",
                io_reason(&e)
            ));
            return ExitCode::from(EXIT_SIM_FAILED);
        }
    };
    // The address goes alone on stdout, flushed at once: scripts and tests read this line.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sim.base_url());
    let _ = out.flush();
    drop(out);
    eprint_line("Simulador SERPRO/Conecta em execução. Ctrl-C para encerrar.");
    eprintln!("  Degustação SERPRO: Authorization: Bearer {SERPRO_TRIAL_BEARER}");
    if demo_credentials {
        eprintln!("  Credenciais de demonstração: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}");
    }
    eprintln!("  Controle: {}/__sim/health, /__sim/requests, /__sim/faults, /__sim/expire-tokens", sim.base_url());
    wait_for_stop().await;
    sim.shutdown().await;
    eprint_line("Simulador encerrado.");
    ExitCode::SUCCESS
}

/// Ctrl-C (SIGINT), or SIGTERM on Unix.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
