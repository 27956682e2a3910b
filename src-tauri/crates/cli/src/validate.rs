//! `balcao-cli validate`: checks CPFs and CNPJs locally (no call) and prints one JSON object per input.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use balcao_core::api::Validation;
use balcao_core::{AppError, DocKind};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CPFs ou CNPJs, com ou sem máscara. Sem nenhum, lê um por linha da entrada padrão (linhas em branco são puladas).
    #[arg(value_name = "NÚMERO")]
    pub inputs: Vec<String>,
}

/// One output line: `kind` is always present (null when the input looks like neither);
/// `canonical`/`formatted` only when valid, `error` only when not.
#[derive(Debug, Serialize)]
struct Line<'a> {
    input: &'a str,
    kind: Option<DocKind>,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a AppError>,
}

impl<'a> From<&'a Validation> for Line<'a> {
    fn from(v: &'a Validation) -> Self {
        Self {
            input: &v.input,
            kind: v.kind,
            valid: v.valid,
            canonical: v.canonical.as_deref(),
            formatted: v.formatted.as_deref(),
            error: v.error.as_ref(),
        }
    }
}

fn read_stdin() -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if !line.trim().is_empty() {
            out.push(line.to_owned());
        }
    }
    Ok(out)
}

/// Exit 0 when every input is valid, 1 when any is not, 2 on a usage error (nothing to validate, unreadable stdin).
pub fn run(args: Args) -> ExitCode {
    let inputs = if args.inputs.is_empty() {
        match read_stdin() {
            Ok(lines) if lines.is_empty() => {
                eprintln!(
                    "Nenhum número informado. Uso: balcao-cli validate <CPF ou CNPJ>... (ou um por linha na entrada padrão)"
                );
                return ExitCode::from(2);
            }
            Ok(lines) => lines,
            Err(e) => {
                eprintln!("Não foi possível ler a entrada padrão: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        args.inputs
    };
    let mut all_valid = true;
    let mut out = std::io::stdout().lock();
    for input in &inputs {
        let v = Validation::of(input);
        all_valid &= v.valid;
        let json = serde_json::to_string(&Line::from(&v)).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        if writeln!(out, "{json}").is_err() {
            // The reader went away (a closed pipe): stop quietly; the exit code still tells the result so far.
            break;
        }
    }
    let _ = out.flush();
    if all_valid { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
