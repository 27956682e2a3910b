//! `balcao-cli sim`: runs the SERPRO/Conecta simulator standalone, prints its address, serves until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use balcao_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SERPRO_TRIAL_BEARER, SimConfig, Simulator};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Endereço de escuta; a porta 0 escolhe uma porta livre (o endereço real é impresso na saída).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Arquivo de configuração do simulador: TOML, ou JSON se o nome terminar em .json.
    #[arg(long, value_name = "ARQUIVO")]
    pub config: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let config = match &args.config {
        Some(path) => match SimConfig::load(path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => SimConfig::default(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Não foi possível iniciar o runtime assíncrono: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A developer and test tool: the control and request-log routes and CORS are on (never in the app).
    runtime.block_on(serve(args.addr, config.with_test_routes()))
}

async fn serve(addr: SocketAddr, config: SimConfig) -> ExitCode {
    let demo_credentials =
        config.serpro_credentials.iter().any(|(k, s)| k == DEMO_CLIENT_ID && s == DEMO_CLIENT_SECRET);
    let sim = match Simulator::start(addr, config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("Não foi possível iniciar o simulador em {addr}: {e}. Escolha outro endereço com --addr.");
            return ExitCode::FAILURE;
        }
    };
    // The address goes alone on stdout, flushed at once: scripts and tests read this line.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sim.base_url());
    let _ = out.flush();
    drop(out);
    eprintln!("Simulador SERPRO/Conecta em execução. Ctrl-C para encerrar.");
    eprintln!("  Degustação SERPRO: Authorization: Bearer {SERPRO_TRIAL_BEARER}");
    if demo_credentials {
        eprintln!("  Credenciais de demonstração: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}");
    }
    eprintln!("  Controle: {}/__sim/health, /__sim/requests, /__sim/faults, /__sim/expire-tokens", sim.base_url());
    wait_for_stop().await;
    sim.shutdown().await;
    eprintln!("Simulador encerrado.");
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
