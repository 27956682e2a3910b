//! `balcao-cli sim` (being built; see its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("balcao-cli sim: ainda não disponível nesta versão.");
    ExitCode::from(2)
}
