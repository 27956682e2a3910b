//! balcao-cli: the terminal entry point; each subcommand lives in its own module.

mod admin;
mod audit;
mod batch;
mod exit;
mod history;
mod lookup;
mod profile_args;
mod recover;
mod sim;
mod text;
mod usage;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "balcao-cli",
    version,
    about = "Balcão na linha de comando: validar, consultar, simular e gerir o histórico.",
    after_help = exit::help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Valida CPFs e CNPJs localmente (nenhuma consulta é feita).
    Validate(validate::Args),
    /// Inicia o simulador SERPRO/Conecta.
    Sim(sim::Args),
    /// Consulta um CPF ou CNPJ pelo perfil indicado (Demonstração por padrão).
    Lookup(lookup::Args),
    /// Pesquisa, exporta ou expurga o histórico criptografado.
    History(history::Args),
    /// Valida uma lista (CSV ou texto) de CPFs e CNPJs, com retomada (Demonstração por padrão).
    Batch(batch::Args),
    /// Para a TI: grava as credenciais dos perfis da agência no cofre da máquina, confere a instalação e recupera o
    /// histórico com a chave da agência (e gera essa chave).
    Admin(admin::Args),
    /// Para a TI e o encarregado de dados: quem consultou um CPF ou CNPJ, no banco central da agência.
    Audit(audit::Args),
}

fn main() -> ExitCode {
    // First: no core dump holding a secret, the history key or citizens' data (children inherit the limit).
    if let Err(e) = balcao_platform::forbid_core_dumps() {
        eprintln!("Aviso: não foi possível desligar os core dumps ({e}).");
    }
    // Before the parser, which would repeat an unknown argument (a secret typed on the command line) in its error.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(refusal) = admin::refuse_secret_arguments(&argv) {
        return admin::refuse(&refusal);
    }
    let parsed =
        usage::localised(Cli::command()).try_get_matches_from(argv).and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return usage::report(&e),
    };
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Lookup(args) => lookup::run(args),
        Command::History(args) => history::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Audit(args) => audit::run(args),
    }
}
