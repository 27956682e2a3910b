//! `balcao-cli admin`: the commands for the agency's IT (key recovery of the history).

use std::process::ExitCode;

use crate::recover;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Recupera o histórico depois da perda do cofre de senhas, com a chave privada de recuperação da agência.
    Recover(recover::RecoverArgs),
    /// Gera o par de chaves de recuperação da agência (a pública vai na política; a privada fica fora dos PCs).
    RecoveryKeygen(recover::KeygenArgs),
}

pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Recover(a) => recover::recover(a),
        Command::RecoveryKeygen(a) => recover::keygen(a),
    }
}
