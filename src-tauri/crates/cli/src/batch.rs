//! `balcao-cli batch`: validates a CSV or text list through a profile (Demonstração by default), with a progress line
//! on stderr, every call in the encrypted history, its resumable state saved there too (per output file), and the
//! result CSV.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use balcao_batch::{Batch, Cancel, Journal, MAX_BYTES, state_path_for};
use balcao_core::batch_api::{BatchEstimate, BatchOptions, BatchPreview, BatchProgress, BatchState};
use balcao_core::error::io_reason;
use balcao_core::record::CnpjView;
use balcao_core::{AppError, DocKind, ErrorCode};
use balcao_platform::LimitedReadError;
use balcao_service::session::Session;

use crate::exit::{EXIT_CANCELLED, EXIT_LOOKUPS_FAILED};
use crate::lookup::{Kind, View, exit_status};
use crate::profile_args::{ProfileArgs, connect};
use crate::text::{eprint_line, json_pretty, truncate};

pub const HELP: &str = "\
Entrada: CSV (separado por «,», «;» ou tabulação) ou texto com um número por linha, em UTF-8 ou Windows-1252.
A coluna dos números e o cabeçalho são detectados (use --column N e --header/--no-header para escolher).
Números inválidos são relatados sem consulta; repetidos são consultados uma vez.

Saída: SAÍDA (CSV UTF-8 com BOM, mesmo separador da entrada) com todas as linhas da entrada, na ordem, e as
colunas balcao_resultado, balcao_documento, balcao_tipo, balcao_situacao_codigo, balcao_situacao, balcao_nome,
balcao_erro_codigo, balcao_mensagem e balcao_observacao. Na saída padrão, um resumo em JSON; o progresso vai
para a saída de erros. Cada consulta é gravada no histórico e na auditoria, como uma consulta avulsa.

Interrupção: o estado do lote fica salvo no histórico criptografado, ligado à SAÍDA (Ctrl-C, cota esgotada,
credenciais recusadas…). Para retomar, repita o mesmo comando acrescentando --resume: só os números que faltam são
consultados. Para descartá-lo, use --discard. Expurgar o histórico também o apaga.

O arquivo de resultado é criado só para o seu usuário (permissão 0600). SAÍDA deve ser um arquivo comum numa pasta
que já existe: pastas, links simbólicos, dispositivos, filas, o próprio arquivo de entrada e a pasta de dados do
Balcão (histórico e auditoria) são recusados antes de qualquer consulta.

Status de saída: 0 lote concluído sem falhas; 3 lote terminado, mas consultas falharam (o estado fica
salvo no histórico cifrado: repita com --resume --retry-failed); 130 cancelado (Ctrl-C); 2 uso incorreto; demais como em
`balcao-cli lookup --help` (16 cota esgotada, 23 configuração, arquivo ou destino inválido…).";

/// Characters of a cell, column title or file name echoed in the preview and the description.
const ECHO_CHARS: usize = 120;

#[derive(Debug, clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// O arquivo com os números.
    #[arg(value_name = "ENTRADA")]
    pub input: PathBuf,
    /// O arquivo de resultado (CSV).
    #[arg(long, short, value_name = "SAÍDA")]
    pub out: PathBuf,
    /// A coluna dos números, contada a partir de 1 (padrão: a que tem mais números válidos).
    #[arg(long, value_name = "N")]
    pub column: Option<u32>,
    /// A primeira linha é cabeçalho.
    #[arg(long, conflicts_with = "no_header")]
    pub header: bool,
    /// A primeira linha já é um dado.
    #[arg(long)]
    pub no_header: bool,
    /// Reaproveita consultas encontradas no histórico com até DIAS dias, sem nova chamada.
    #[arg(long, value_name = "DIAS")]
    pub reuse_days: Option<u32>,
    /// Como ler 14 dígitos que são ao mesmo tempo CNPJ e CPF com zeros (padrão: o tipo da maioria das linhas).
    #[arg(long, value_enum, value_name = "TIPO")]
    pub ambiguous_as: Option<Kind>,
    /// Finalidade ou número do protocolo, gravado na auditoria de cada consulta.
    #[arg(long, value_name = "TEXTO")]
    pub purpose: Option<String>,
    /// A visão da Consulta CNPJ (padrão: a mais completa contratada).
    #[arg(long, value_enum)]
    pub view: Option<View>,
    /// Retoma o lote interrompido desta SAÍDA (estado salvo no histórico criptografado).
    #[arg(long, conflicts_with = "discard")]
    pub resume: bool,
    /// Descarta o lote interrompido desta SAÍDA (as consultas feitas ficam no histórico) e sai.
    #[arg(long)]
    pub discard: bool,
    /// Ao retomar, consulta de novo os números cuja consulta falhou.
    #[arg(long, requires = "resume")]
    pub retry_failed: bool,
    /// Só lê, valida e estima o custo (JSON na saída padrão); nenhuma consulta.
    #[arg(long)]
    pub dry_run: bool,
    /// Sem linha de progresso.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return fail(&AppError::new(
                ErrorCode::Internal,
                format!("Não foi possível iniciar o runtime: {}.", io_reason(&e)),
            ));
        }
    };
    match runtime.block_on(batch(args)) {
        Ok((summary, code)) => {
            let _ = writeln!(std::io::stdout().lock(), "{summary}");
            code
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &AppError) -> ExitCode {
    let body = serde_json::json!({ "error": { "code": e.code, "message": e.message } });
    let _ = writeln!(std::io::stdout().lock(), "{}", json_pretty(&body));
    ExitCode::from(exit_status(e.code))
}

/// The preview with every text from the file (name, column titles, sample cells, invalid inputs) shortened to
/// [`ECHO_CHARS`]: a 50-million-digit cell is shown by its start, not echoed whole.
fn capped(mut p: BatchPreview) -> BatchPreview {
    p.file_name = truncate(&p.file_name, ECHO_CHARS);
    for title in &mut p.columns {
        *title = truncate(title, ECHO_CHARS);
    }
    for cell in p.sample.iter_mut().flatten() {
        *cell = truncate(cell, ECHO_CHARS);
    }
    for row in &mut p.invalid_sample {
        row.input = truncate(&row.input, ECHO_CHARS);
        row.message = truncate(&row.message, 4 * ECHO_CHARS);
    }
    p
}

/// The input file, refused in pt-BR when it is a folder, missing, unreadable or over the batch limit.
fn read_input(path: &Path) -> Result<Vec<u8>, AppError> {
    let limit = MAX_BYTES as u64;
    balcao_platform::read_limited(path, limit).map_err(|e| {
        let hint =
            if matches!(e, LimitedReadError::TooLarge { .. }) { "; divida a lista em arquivos menores" } else { "" };
        AppError::new(ErrorCode::Config, format!("Não foi possível ler {}: {}{hint}.", path.display(), e.reason(limit)))
    })
}

fn options(args: &Args) -> BatchOptions {
    BatchOptions {
        column: args.column,
        has_header: if args.header {
            Some(true)
        } else if args.no_header {
            Some(false)
        } else {
            None
        },
        reuse_max_age_days: args.reuse_days,
        ambiguous_as: args.ambiguous_as.map(|k| match k {
            Kind::Cpf => DocKind::Cpf,
            Kind::Cnpj => DocKind::Cnpj,
        }),
        purpose: args.purpose.clone(),
        view: args.view.map(CnpjView::from),
    }
}

/// The command line that resumes this batch (the arguments given, plus `--resume`).
fn resume_command() -> String {
    let quote = |a: String| {
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>()*?".contains(c)) {
            format!("'{}'", a.replace('\'', r"'\''"))
        } else {
            a
        }
    };
    let mut parts: Vec<String> = std::env::args().map(quote).collect();
    if !parts.iter().any(|a| a == "--resume") {
        parts.push("--resume".to_owned());
    }
    parts.join(" ")
}

/// The command line that retries the failed lookups (the arguments given, plus `--resume --retry-failed`).
fn retry_command() -> String {
    let mut line = resume_command();
    if !std::env::args().any(|a| a == "--retry-failed") {
        line.push_str(" --retry-failed");
    }
    line
}

/// The preview in words (texts from the file already shortened by [`capped`]).
fn describe(p: &BatchPreview) -> String {
    let c = &p.counts;
    let e = &p.estimate;
    let mut s = format!(
        "{}: {} linhas ({}, separador {}, {}), coluna {} «{}».\n\
         {} números válidos ({} distintos: {} CPF, {} CNPJ; {} repetidos), {} inválidos, {} vazios.\n",
        p.file_name,
        c.rows,
        p.encoding.label(),
        p.delimiter.label(),
        if p.has_header { "com cabeçalho" } else { "sem cabeçalho" },
        p.column,
        p.columns.get(p.column as usize - 1).map(String::as_str).unwrap_or_default(),
        c.valid,
        c.unique,
        c.unique_cpf,
        c.unique_cnpj,
        c.duplicates,
        c.invalid,
        c.empty,
    );
    s.push_str(&estimate_line(e));
    s
}

fn estimate_line(e: &BatchEstimate) -> String {
    let mut s =
        format!("A consultar: {} números em {} chamadas (até {} cobradas)", e.to_look_up, e.calls, e.billable_max);
    if e.already_done > 0 {
        s.push_str(&format!("; {} já consultados antes", e.already_done));
    }
    if e.reused > 0 {
        s.push_str(&format!("; {} reaproveitados do histórico", e.reused));
    }
    if e.not_contracted > 0 {
        s.push_str(&format!("; {} de API não contratada (sem consulta)", e.not_contracted));
    }
    if let Some(secs) = e.seconds {
        s.push_str(&format!("; cerca de {} no limite de ritmo do perfil", duration(secs)));
    }
    s.push_str(".\n");
    if e.quota_exceeded {
        s.push_str("Atenção: a cota restante do perfil não basta; o lote vai parar na cota e poderá ser retomado.\n");
    }
    s
}

fn duration(secs: u32) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}min{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}min", secs / 3600, secs % 3600 / 60),
    }
}

/// One progress line: a bar, counts, rate and time left.
fn progress_line(p: &BatchProgress) -> String {
    let pct = if p.rows == 0 { 100 } else { u64::from(p.done_rows) * 100 / u64::from(p.rows) };
    let filled = (pct / 5) as usize;
    let mut s = format!(
        "[{}{}] {pct:>3}% {}/{} linhas · {} encontrados · {} não encontrados · {} inválidos · {} erros",
        "#".repeat(filled),
        ".".repeat(20 - filled),
        p.done_rows,
        p.rows,
        p.found,
        p.not_found,
        p.invalid + p.empty,
        p.errors
    );
    if p.per_second > 0.0 {
        s.push_str(&format!(" · {:.1}/s", p.per_second).replace('.', ","));
    }
    if let Some(left) = p.seconds_left {
        s.push_str(&format!(" · faltam {}", duration(left)));
    }
    if p.state == BatchState::Cancelling {
        s.push_str(" · cancelando…");
    }
    s
}

/// Writes progress to stderr: a `\r` line on a terminal, a line every few seconds otherwise.
struct Meter {
    terminal: bool,
    quiet: bool,
    last: Mutex<Option<Instant>>,
}

impl Meter {
    fn show(&self, p: &BatchProgress) {
        if self.quiet {
            return;
        }
        let final_state = !matches!(p.state, BatchState::Running | BatchState::Cancelling);
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let every = if self.terminal { Duration::ZERO } else { Duration::from_secs(2) };
        if !final_state && last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let line = progress_line(p);
        let _ = if self.terminal {
            write!(err, "\r{line}\x1b[K{}", if final_state { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }
}

/// The slot of the history's batch state for this output file (its absolute path).
fn slot_for(out: &Path) -> String {
    format!("cli:{}", std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf()).display())
}

async fn batch(args: Args) -> Result<(String, ExitCode), AppError> {
    let bytes = read_input(&args.input)?;
    // The destination is checked before the profile is even loaded: no lookup is billed for a result that could
    // not be written (and the state file goes next to it, in the same checked folder).
    balcao_platform::check_result_path(&args.out, &[&args.input])?;
    let file_name = args.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let session = connect(&args.profile).await?;
    let result = run_batch(&args, &bytes, &file_name, &session).await;
    session.close().await;
    result
}

/// The batch through the command's session (the service's door): its history keeps the state, its client makes and
/// records every call.
async fn run_batch(
    args: &Args,
    bytes: &[u8],
    file_name: &str,
    session: &Session,
) -> Result<(String, ExitCode), AppError> {
    let profile = session.profile();
    let history = session.history();
    let slot = slot_for(&args.out);
    let locked = || AppError::from(ErrorCode::HistoryLocked);
    let saved = {
        let mut h = history.lock().map_err(|_| locked())?;
        // A plain state file of an older version next to the output: into the encrypted history, then erased.
        Journal::import_legacy_file(&mut h, &slot, &state_path_for(&args.out))?;
        if args.discard {
            let had = Journal::discard(&mut h, &slot)?;
            let body = serde_json::json!({ "out": args.out.display().to_string(), "discarded": had });
            return Ok((body.to_string(), ExitCode::SUCCESS));
        }
        Journal::summary(&h, &slot)?.is_some()
    };
    let mut batch = if args.resume {
        if !saved {
            return Err(AppError::new(
                ErrorCode::Config,
                format!("Não há lote interrompido para {}.", args.out.display()),
            ));
        }
        let h = history.lock().map_err(|_| locked())?;
        let mut b = Batch::resume(&h, &slot, file_name, bytes)?;
        drop(h);
        if args.retry_failed {
            b.retry_failed();
        }
        b
    } else {
        if saved {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "Já existe um lote interrompido para {} (salvo no histórico criptografado). Para retomá-lo, repita \
                     o comando com --resume; para começar do zero, descarte-o antes com --discard.",
                    args.out.display()
                ),
            ));
        }
        let mut b = Batch::prepare(file_name, bytes, &options(args))?;
        let h = history.lock().map_err(|_| locked())?;
        b.reuse_history(&h, profile.environment, time::OffsetDateTime::now_utc())?;
        drop(h);
        b
    };
    let preview = capped(session.preview(&batch));
    if !args.quiet {
        let name = truncate(&profile.name, ECHO_CHARS);
        eprint_line(&format!("Perfil: {name} ({}).\n{}", profile.environment.label(), describe(&preview).trim_end()));
    }
    if args.dry_run {
        return Ok((json_pretty(&preview), ExitCode::SUCCESS));
    }
    let ctx = session.context();
    if !args.resume {
        session.check_batch_purpose(&batch)?;
        let mut h = history.lock().map_err(|_| locked())?;
        batch.start_journal(&mut h, &slot, &ctx)?;
    }
    batch.set_resume_hint(format!(
        "O que já foi consultado está salvo no histórico criptografado e não será consultado de novo. Para \
         continuar, repita o comando com --resume: {}",
        resume_command()
    ));
    let cancel = Cancel::new();
    let on_signal = cancel.clone();
    let quiet = args.quiet;
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
            if !quiet {
                eprintln!("\nCancelando: aguardando as consultas em andamento (o que foi feito fica salvo)…");
            }
        }
    });
    let meter = Meter { terminal: std::io::stderr().is_terminal(), quiet: args.quiet, last: Mutex::new(None) };
    // Run even when nothing is left to look up (every number answered from the history, or by the run resumed):
    // the run is what moves the batch from `ready` to `completed`; with nothing queued it makes no call.
    let end = session.run_batch(&mut batch, &ctx, &cancel, &|p| meter.show(p)).await?;
    signal.abort();
    let rows = balcao_platform::write_private_atomically(&args.out, |w| batch.write_csv(w))?;
    // The result file carries lookup results: its export leaves a trace in the audit trail, or it is taken back.
    let what = format!("lote «{file_name}» para {}", args.out.display());
    if let Err(e) = session.audit_file_export(&what, rows) {
        let _ = std::fs::remove_file(&args.out);
        return Err(e);
    }
    // Failed lookups keep the state, so that `--resume --retry-failed` asks only for them.
    let failed = end.state == BatchState::Completed && end.errors > 0;
    let code = match end.state {
        BatchState::Completed if failed => ExitCode::from(EXIT_LOOKUPS_FAILED),
        BatchState::Completed => {
            if let Ok(mut h) = history.lock() {
                let _ = Journal::discard(&mut h, &slot);
            }
            ExitCode::SUCCESS
        }
        BatchState::Cancelled => ExitCode::from(EXIT_CANCELLED),
        _ => ExitCode::from(end.stop.as_ref().map_or(exit_status(ErrorCode::Internal), |e| exit_status(e.code))),
    };
    let retry = retry_command();
    if failed {
        // Said even with --quiet: the run did not do all it was asked.
        eprint_line(&format!(
            "Lote terminado com {} consulta(s) que falharam; {rows} linhas em {}. O estado fica salvo no histórico \
             cifrado. Para consultar de novo só as que falharam: {retry}",
            end.errors,
            args.out.display(),
        ));
    } else if !args.quiet {
        match (&end.stop, &end.resume_hint) {
            (Some(stop), Some(hint)) => eprint_line(&format!("Lote interrompido: {}\n{hint}", stop.message)),
            (None, Some(hint)) => eprint_line(&format!("Lote cancelado. {hint}")),
            _ => eprint_line(&format!("Lote concluído: {rows} linhas em {}.", args.out.display())),
        }
    }
    let mut summary = serde_json::to_value(&end).unwrap_or_default();
    summary["out"] = serde_json::Value::String(args.out.display().to_string());
    if end.state != BatchState::Completed || failed {
        summary["saved"] = serde_json::Value::Bool(true);
    }
    if failed {
        summary["retryCommand"] = serde_json::Value::String(retry);
    }
    Ok((json_pretty(&summary), code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_and_durations() {
        let p = BatchProgress {
            state: BatchState::Running,
            rows: 200,
            done_rows: 50,
            found: 30,
            not_found: 10,
            invalid: 8,
            empty: 2,
            errors: 0,
            reused: 0,
            numbers_total: 100,
            numbers_done: 25,
            calls: 25,
            billable_calls: 25,
            per_second: 12.5,
            seconds_left: Some(75),
            elapsed_seconds: 2,
            stop: None,
            resume_hint: None,
        };
        let line = progress_line(&p);
        assert!(line.starts_with("[#####...............]  25% 50/200 linhas"), "{line}");
        assert!(line.contains("10 inválidos") && line.contains("12,5/s") && line.ends_with("faltam 1min15s"), "{line}");
        assert_eq!(duration(3725), "1h02min");
    }
}
