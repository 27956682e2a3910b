//! `balcao-cli audit who-looked-up` and `audit quota`: the citizen's question (LGPD art. 18 and 19) answered from the agency store,
//! as the reader role (its password from standard input), the number found by the agency key of the machine store.

use std::io::IsTerminal;
use std::process::ExitCode;

use balcao_core::Document;
use balcao_core::Sensitive;
use balcao_service::agency_credentials::machine_store;
use balcao_service::agency_store::{quota_use, who_looked_up};
use balcao_service::policy::current_policy_dir;
use time::macros::format_description;
use time::{Date, Duration};

use crate::admin::read_password;
use crate::exit::{EXIT_ADMIN_FAILED, EXIT_USAGE};
use crate::text::{eprint_line, print_line};

pub const HELP: &str = "\
Responde a quem pergunta quem consultou o seu CPF: lê o banco central da agência (endereço no [agency_store] da
política) com o papel de leitura; a senha desse papel vem da entrada padrão, uma linha. O número é encontrado pela
chave de identificação da agência gravada no cofre da máquina (admin set-agency-key); o banco não guarda o número.
As datas são dias em UTC; --to inclui o dia indicado.

  printf '%s\\n' \"$SENHA_LEITURA\" | balcao-cli audit who-looked-up 529.982.247-25 --user balcao_dpo \\
      --ca /etc/balcao/banco-ca.pem --from 2026-01-01 --to 2026-12-31

Status de saída: 0 feito; 1 o banco, a chave ou a senha não puderam ser usados; 2 uso incorreto.";

#[derive(Debug, clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Lista quem consultou um CPF ou CNPJ no banco central da agência (senha de leitura pela entrada padrão).
    WhoLookedUp(WhoArgs),
    /// Mostra o uso da cota da agência por credencial, API e dia (senha de leitura pela entrada padrão).
    Quota(QuotaArgs),
}

#[derive(Debug, clap::Args)]
pub struct QuotaArgs {
    /// Arquivo PEM com o certificado da autoridade (CA) que assina o certificado do servidor PostgreSQL.
    #[arg(long, value_name = "ARQUIVO")]
    pub ca: std::path::PathBuf,
    /// O papel de leitura (sem ela, o usuário do endereço da política).
    #[arg(long, value_name = "PAPEL")]
    pub user: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct WhoArgs {
    /// O CPF ou CNPJ do cidadão.
    #[arg(value_name = "NÚMERO")]
    pub number: String,
    /// Arquivo PEM com o certificado da autoridade (CA) que assina o certificado do servidor PostgreSQL.
    #[arg(long, value_name = "ARQUIVO")]
    pub ca: std::path::PathBuf,
    /// O papel de leitura (sem ela, o usuário do endereço da política).
    #[arg(long, value_name = "PAPEL")]
    pub user: Option<String>,
    /// Desde este dia (AAAA-MM-DD, UTC).
    #[arg(long, value_name = "AAAA-MM-DD")]
    pub from: Option<String>,
    /// Até este dia, inclusive (AAAA-MM-DD, UTC).
    #[arg(long, value_name = "AAAA-MM-DD")]
    pub to: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::WhoLookedUp(a) => who(&a),
        Command::Quota(a) => quota(&a),
    }
}

fn fail(status: u8, message: &str) -> ExitCode {
    eprint_line(&format!("balcao-cli audit: {message}"));
    ExitCode::from(status)
}

fn day(text: Option<&str>, option: &str) -> Result<Option<Date>, String> {
    let Some(text) = text else { return Ok(None) };
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| format!("{option} deve ser um dia no formato AAAA-MM-DD."))
}

fn who(args: &WhoArgs) -> ExitCode {
    let doc = match Document::parse(&args.number) {
        Ok(d) => d,
        Err(_) => return fail(EXIT_USAGE, "o número informado não é um CPF nem um CNPJ válido."),
    };
    let (from, to) = match (day(args.from.as_deref(), "--from"), day(args.to.as_deref(), "--to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(m), _) | (_, Err(m)) => return fail(EXIT_USAGE, &m),
    };
    let from = from.map(|d| d.midnight().assume_utc());
    let to = to.and_then(|d| d.midnight().assume_utc().checked_add(Duration::DAY));
    let (password, ca, runtime) = match reader_inputs(&args.ca) {
        Ok(inputs) => inputs,
        Err(m) => return fail(EXIT_ADMIN_FAILED, &m),
    };
    let dir = current_policy_dir();
    let store = machine_store(&dir);
    let reader = (args.user.as_deref(), password, ca.as_slice());
    let found = match runtime.block_on(who_looked_up(&dir, store.as_ref(), reader, &doc, from, to)) {
        Ok(f) => f,
        Err(e) => return fail(EXIT_ADMIN_FAILED, &e.message),
    };
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    print_line(&format!("{} consulta(s) de {} no banco da agência.", found.len(), doc.masked()));
    for r in &found {
        let at = r.at.to_offset(time::UtcOffset::UTC).format(&fmt).unwrap_or_default();
        print_line(&format!(
            "{at}  balcão {}  atendente {}  API {}  finalidade: {}  autorização e-CAC: {}  resultado: {}",
            r.counter_id,
            r.clerk,
            r.api,
            r.purpose.as_deref().unwrap_or("—"),
            r.authorization_code.as_deref().unwrap_or("—"),
            r.outcome
        ));
    }
    ExitCode::SUCCESS
}

/// The reader's password (standard input, never a terminal), the CA's PEM and a runtime.
fn reader_inputs(ca: &std::path::Path) -> Result<(Sensitive<String>, Vec<u8>, tokio::runtime::Runtime), String> {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return Err("a senha do papel de leitura vem da entrada padrão, não do teclado.".to_owned());
    }
    let password = read_password(&mut stdin)?;
    let pem = std::fs::read(ca).map_err(|e| {
        format!(
            "não foi possível ler o certificado da autoridade {} ({}).",
            ca.display(),
            balcao_core::error::io_reason(&e)
        )
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| "não foi possível iniciar a execução assíncrona.".to_owned())?;
    Ok((password, pem, runtime))
}

fn quota(args: &QuotaArgs) -> ExitCode {
    let (password, ca, runtime) = match reader_inputs(&args.ca) {
        Ok(inputs) => inputs,
        Err(m) => return fail(EXIT_ADMIN_FAILED, &m),
    };
    let dir = current_policy_dir();
    let reader = (args.user.as_deref(), password, ca.as_slice());
    let uses = match runtime.block_on(quota_use(&dir, reader)) {
        Ok(u) => u,
        Err(e) => return fail(EXIT_ADMIN_FAILED, &e.message),
    };
    print_line(&format!("{} linha(s) de uso da cota no banco da agência (dia do gateway).", uses.len()));
    for u in &uses {
        print_line(&format!("{}  credencial {}  API {}  usadas {}", u.gateway_day, u.credential, u.api, u.used));
    }
    ExitCode::SUCCESS
}
