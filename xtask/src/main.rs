//! `cargo xtask`: the build, test, bench and bundle automation behind the README's two commands.

mod bench;
mod bundle;
mod deps;
mod e2e;
mod fuzz;
mod pg;
mod repo;
mod repo_test;
mod run;
mod session;
mod sh;
mod stand_ins;
mod supply;
mod test;

use std::process::ExitCode;

const USAGE: &str = "uso: cargo xtask <comando>

  run                 instala o que falta, compila a interface e abre o Balcão em Demonstração
  test                a suíte inteira (fmt, clippy, svelte-check, testes Rust e da interface, fuzz, e2e)
  e2e                 só os testes de ponta a ponta na janela real
  single-instance     só a verificação de instância única (compila o app de depuração, abre duas vezes)
  bindings            regenera os tipos TypeScript gerados a partir do Rust
  fuzz [segundos]     roda os fuzzers (CPF/CNPJ e leitura das respostas), tempo dividido (padrão: 60 s)
  bench               roda os benchmarks e escreve docs/benchmarks.md
  bundle [--no-smoke] [--keep-installed] [--repo PASTA]
                      compila a versão de distribuição e os pacotes (.deb e .rpm aqui, com o balcao-cli); no Linux
                      instala o .deb e testa o app instalado (janela, uma consulta, segunda instância, registros,
                      balcao-cli); com --repo, monta em PASTA o repositório APT assinado e o .rpm assinado (chave em
                      BALCAO_REPO_GPG_KEY e BALCAO_REPO_GPG_PASSPHRASE, ou uma chave de teste descartável)
  repo-test           só o teste do repositório (pacotes de depuração: instala, atualiza, recusa adulterados)
  pg                  sobe um PostgreSQL descartável (TLS) para rodar à mão os testes do balcao-agency
  deps                só instala as dependências do sistema e do npm";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run::run(),
        Some("test") => test::run(),
        Some("e2e") => test::e2e_only(),
        Some("single-instance") => e2e::build_app().and_then(|()| bundle::single_instance_check()),
        Some("bindings") => test::bless_bindings(),
        Some("fuzz") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
            fuzz::run(secs)
        }
        Some("bench") => bench::run(),
        Some("bundle") => bundle::run(&args[1..]),
        Some("repo-test") => repo_test::run(),
        Some("deps") => deps::ensure_all(),
        Some("pg") => pg::manual(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
