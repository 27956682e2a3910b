//! `balcao-cli history`: search, export (CSV) and purge the encrypted history, with the key from the OS keyring.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use balcao_core::history_api::{AuditOrigin, DayRange, HistoryQuery, Outcome, PurgeScope};
use balcao_core::{AppError, Cpf, ErrorCode};
use balcao_history::{Actor, History};
use balcao_platform::KeyringStore;
use balcao_service::policy::current_policy_dir;
use balcao_service::recovery::policy_recovery_key;
use balcao_service::session::open_existing_history;

use crate::exit::{EXIT_HISTORY_UNUSABLE, EXIT_USAGE};
use crate::text::{clean_line, eprint_line, json_line, print_line, truncate};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Pesquisa o histórico (mais recentes primeiro).
    Search(SearchArgs),
    /// Exporta o histórico ou a trilha de auditoria em CSV (separado por «;», UTF-8).
    Export(ExportArgs),
    /// Apaga consultas do histórico (a auditoria e os contadores de cota são mantidos).
    Purge(PurgeArgs),
}

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// CPF/CNPJ em qualquer formato (busca exata) ou palavras do nome, cada uma o início de uma palavra dele, em
    /// qualquer ordem (sem diferença de acentos e maiúsculas): "silva", "conc" e "conceição" acham "CONCEIÇÃO SILVA".
    #[arg(value_name = "TEXTO")]
    pub text: Option<String>,
    /// Só as consultas deste perfil (id).
    #[arg(long)]
    pub profile: Option<String>,
    /// Só este resultado.
    #[arg(long, value_enum)]
    pub outcome: Option<OutcomeArg>,
    /// Primeiro dia (AAAA-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Último dia (AAAA-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Quantas linhas mostrar (máximo 500).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Continua a partir deste id (o indicado no fim da página anterior).
    #[arg(long)]
    pub before: Option<i64>,
    /// Uma linha JSON por consulta, em vez da tabela.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OutcomeArg {
    Found,
    Partial,
    NotFound,
    Failed,
}

impl From<OutcomeArg> for Outcome {
    fn from(o: OutcomeArg) -> Self {
        match o {
            OutcomeArg::Found => Outcome::Found,
            OutcomeArg::Partial => Outcome::Partial,
            OutcomeArg::NotFound => Outcome::NotFound,
            OutcomeArg::Failed => Outcome::Failed,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["history", "audit"])))]
pub struct ExportArgs {
    /// Exporta as consultas do histórico.
    #[arg(long)]
    pub history: bool,
    /// Exporta a trilha de auditoria (números mascarados).
    #[arg(long)]
    pub audit: bool,
    /// Primeiro dia (AAAA-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Último dia (AAAA-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Arquivo de saída (sem ele, a saída padrão).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// CPF de quem exporta, para o cabeçalho e a auditoria.
    #[arg(long, value_name = "CPF")]
    pub clerk_cpf: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["all", "older_than_days", "policy"])))]
pub struct PurgeArgs {
    /// Apaga todas as consultas do histórico.
    #[arg(long)]
    pub all: bool,
    /// Apaga as consultas com mais de N dias.
    #[arg(long, value_name = "N")]
    pub older_than_days: Option<u32>,
    /// Aplica agora a política de retenção configurada.
    #[arg(long)]
    pub policy: bool,
    /// Confirma o expurgo (sem isto nada é apagado).
    #[arg(long)]
    pub yes: bool,
    /// CPF de quem expurga, para a auditoria.
    #[arg(long, value_name = "CPF")]
    pub clerk_cpf: Option<String>,
}

/// Exit 0 on success, 1 when the history cannot be used (locked, keyring, I/O), 2 on a usage error.
pub fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Search(a) => search(a),
        Command::Export(a) => export(a),
        Command::Purge(a) => purge(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprint_line(&format!("balcao-cli history: {msg}"));
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::App(e)) => {
            eprint_line(&format!("balcao-cli history: {} [{:?}]", e.message, e.code));
            ExitCode::from(EXIT_HISTORY_UNUSABLE)
        }
    }
}

enum Failure {
    Usage(String),
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e.code {
            ErrorCode::InvalidDocument | ErrorCode::Config => Failure::Usage(e.message),
            _ => Failure::App(e),
        }
    }
}

fn io(e: std::io::Error) -> Failure {
    Failure::App(AppError::new(
        ErrorCode::Internal,
        format!("Não foi possível escrever a saída: {}.", balcao_core::error::io_reason(&e)),
    ))
}

/// Opens the existing history through the service (never creates one: a CLI search must not mint a key), its key
/// also kept wrapped for the managed policy's recovery key.
fn open() -> Result<History, Failure> {
    let dir = balcao_platform::data_dir();
    let recovery = policy_recovery_key(&current_policy_dir());
    Ok(open_existing_history(&dir, &KeyringStore::new(), AuditOrigin::Cli, recovery.as_ref())?)
}

fn actor(clerk_cpf: Option<&str>) -> Result<Actor, Failure> {
    let cpf = clerk_cpf.map(|c| Cpf::parse(c).map_err(|e| Failure::Usage(format!("--clerk-cpf: {e}")))).transpose()?;
    Ok(Actor::current(cpf))
}

fn search(a: SearchArgs) -> Result<(), Failure> {
    let h = open()?;
    let query = HistoryQuery {
        text: a.text,
        profile_id: a.profile,
        outcome: a.outcome.map(Outcome::from),
        from: a.from,
        to: a.to,
        before_id: a.before,
        limit: Some(a.limit),
    };
    let page = h.search(&query)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        for item in &page.items {
            writeln!(out, "{}", json_line(item)).map_err(io)?;
        }
        return out.flush().map_err(io);
    }
    if page.items.is_empty() {
        writeln!(out, "Nenhuma consulta encontrada.").map_err(io)?;
        return out.flush().map_err(io);
    }
    for s in &page.items {
        let result = match s.error_code {
            Some(code) if s.outcome == Outcome::Failed => format!("{} ({code:?})", s.outcome.label()),
            _ => s.outcome.label().to_owned(),
        };
        writeln!(
            out,
            "{:>8}  {}  {:<22}  {:<18}  {:<40}  {}",
            s.id,
            clean_line(&h.local_datetime(&s.at)),
            truncate(&s.profile_name, 22),
            clean_line(&s.formatted),
            truncate(s.name.as_deref().unwrap_or("—"), 40),
            result
        )
        .map_err(io)?;
    }
    if let Some(next) = page.next_before_id {
        writeln!(out, "… há mais consultas: repita com --before {next}").map_err(io)?;
    }
    out.flush().map_err(io)
}

fn export(a: ExportArgs) -> Result<(), Failure> {
    let actor = actor(a.clerk_cpf.as_deref())?;
    if let Some(path) = &a.out {
        balcao_platform::check_result_path(path, &[]).map_err(AppError::from)?;
    }
    let mut h = open()?;
    let range = DayRange { from: a.from, to: a.to };
    let mut write = |sink: &mut dyn Write| {
        if a.audit { h.export_audit_csv(sink, &range, &actor) } else { h.export_history_csv(sink, &range, &actor) }
    };
    match &a.out {
        // A file of names and CPFs: a checked destination, created 0600, whole or not at all.
        Some(path) => {
            let rows = balcao_platform::write_private_atomically(path, write)?;
            eprint_line(&format!("{rows} linha(s) exportada(s) para {}.", path.display()));
        }
        None => {
            let mut out = crate::text::CleanWriter::new(std::io::stdout().lock());
            write(&mut out)?;
            out.flush().map_err(io)?;
        }
    }
    Ok(())
}

fn purge(a: PurgeArgs) -> Result<(), Failure> {
    let scope = match (a.all, a.older_than_days, a.policy) {
        (true, _, _) => PurgeScope::All,
        (_, Some(days), _) => PurgeScope::OlderThan { days },
        _ => PurgeScope::Policy,
    };
    if !a.yes {
        return Err(Failure::Usage(
            "o expurgo não pode ser desfeito: repita com --yes para confirmar. Nada foi apagado.".to_owned(),
        ));
    }
    let actor = actor(a.clerk_cpf.as_deref())?;
    let mut h = open()?;
    let r = h.purge(&actor, &scope)?;
    print_line(&format!("{} consulta(s) apagada(s); {} restante(s). A auditoria foi mantida.", r.removed, r.remaining));
    Ok(())
}
